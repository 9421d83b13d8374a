/* apm-hostdev.c: vfio-ap hostdevs in domain XML and on QEMU's side */
#include "config.h"
#include "apm-hostdev.h"

#include "apm-jsonio.h"

#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-kstrto.h"
#include "apm-xmldoc.h"

void
apm_hostdev_free(ApmHostdev *hostdev)
{
    if (!hostdev)
        return;
    g_free(hostdev->alias);
    g_free(hostdev);
}

void
apm_domain_info_free(ApmDomainInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_ptr_array_unref(info->hostdevs);
    g_free(info);
}

/* Whether a <hostdev> element is a vfio-ap mdev: TRUE/FALSE, or FALSE with an error when it is not one at all and
 * strict (a document meant to be a vfio-ap hostdev). */
static gboolean
is_vfio_ap(xmlNodePtr node, gboolean strict, GError **error)
{
    g_autofree char *mode = apm_xml_prop(node, "mode");
    g_autofree char *type = apm_xml_prop(node, "type");
    g_autofree char *model = apm_xml_prop(node, "model");

    if (g_strcmp0(mode, "subsystem") != 0 || g_strcmp0(type, "mdev") != 0) {
        if (strict)
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("The <hostdev> is mode '%s' type '%s', not a mediated device (mode='subsystem' "
                          "type='mdev')"),
                        mode ? mode : "", type ? type : "");
        return FALSE;
    }
    if (g_strcmp0(model, "vfio-ap") != 0) {
        if (strict)
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("The mediated device <hostdev> is of model '%s', not vfio-ap"), model ? model : "");
        return FALSE;
    }
    return TRUE;
}

/* A vfio-ap <hostdev>, read as libvirt reads one: the first of each element counts */
static ApmHostdev *
hostdev_from_node(ApmXmlDoc *doc, xmlNodePtr node, GError **error)
{
    g_autoptr(ApmHostdev) h = g_new0(ApmHostdev, 1);
    g_autofree char *uuid = NULL;

    if (apm_xpath_count(doc, node, "./source/address") == 0) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID,
                            _("The vfio-ap <hostdev> names no mdev: it needs <source><address uuid='…'/></source>"));
        return NULL;
    }
    uuid = apm_xpath_string(doc, node, "string(./source/address[1]/@uuid)");
    if (!uuid || !apm_uuid_parse(uuid, &h->uuid)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("The vfio-ap <hostdev>'s <address uuid='%s'/> is not a UUID"), uuid ? uuid : "");
        return NULL;
    }
    h->alias = apm_xpath_string(doc, node, "string(./alias[1]/@name)");
    if (apm_xpath_count(doc, node, "./boot") > 0) {
        g_autofree char *order = apm_xpath_string(doc, node, "string(./boot[1]/@order)");
        guint64 v;

        if (!order || apm_kstrtoul(order, 10, &v) < 0 || v == 0 || v > G_MAXINT) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("<boot order='%s'/> is not a boot order"),
                        order ? order : "");
            return NULL;
        }
        h->boot_order = (guint) v;
    }
    return g_steal_pointer(&h);
}

ApmHostdev *
apm_hostdev_parse(const char *xml, gsize length, const char *source, gboolean validate, GError **error)
{
    g_autoptr(ApmXmlDoc) doc = apm_xmldoc_read(xml, length, APM_DOMAIN_XML_MAX, _("hostdev XML"), source, error);
    xmlNodePtr root;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc->doc);
    if (!apm_xml_is(root, "hostdev")) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The device XML's root element is <%s>, not <hostdev>"),
                    (const char *) root->name);
        return NULL;
    }
    /* as libvirt checks a device against its domain schema: the hostdev define of domain.rng */
    if (validate && !apm_xmldoc_validate(doc, "domain.rng", "hostdev", error))
        return NULL;
    if (!is_vfio_ap(root, TRUE, error))
        return NULL;
    return hostdev_from_node(doc, root, error);
}

gboolean
apm_hostdev_validate(const ApmHostdev *hostdev, GError **error)
{
    if (hostdev->boot_order) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("A vfio-ap hostdev cannot have a boot order (it has <boot order='%u'/>): a guest does not "
                      "boot from crypto adapters"),
                    hostdev->boot_order);
        return FALSE;
    }
    return TRUE;
}

char *
apm_hostdev_format(const ApmHostdev *hostdev, guint indent)
{
    GString *out = g_string_new(NULL);
    char uuid[APM_UUID_TEXT_LEN + 1];
    int i = (int) indent;

    g_string_append_printf(out, "%*s<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-ap'>\n", i, "");
    g_string_append_printf(out, "%*s  <source>\n%*s    <address uuid='%s'/>\n%*s  </source>\n", i, "", i, "",
                           apm_uuid_format(&hostdev->uuid, uuid), i, "");
    if (hostdev->boot_order)
        g_string_append_printf(out, "%*s  <boot order='%u'/>\n", i, "", hostdev->boot_order);
    if (hostdev->alias) {
        g_string_append_printf(out, "%*s  <alias name='", i, "");
        apm_xml_append_escaped(out, hostdev->alias);
        g_string_append(out, "'/>\n");
    }
    g_string_append_printf(out, "%*s</hostdev>\n", i, "");
    return g_string_free(out, FALSE);
}

char *
apm_hostdev_sysfsdev(const ApmHostdev *hostdev)
{
    char uuid[APM_UUID_TEXT_LEN + 1];

    return g_strconcat("/sys/bus/mdev/devices/", apm_uuid_format(&hostdev->uuid, uuid), NULL);
}

char *
apm_hostdev_qemu_json(const ApmHostdev *hostdev)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *sysfsdev = apm_hostdev_sysfsdev(hostdev);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "driver");
    json_builder_add_string_value(b, "vfio-ap");
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, hostdev->alias ? hostdev->alias : "hostdev0");
    json_builder_set_member_name(b, "sysfsdev");
    json_builder_add_string_value(b, sysfsdev);
    json_builder_end_object(b);
    return apm_json_builder_write(b, FALSE);
}

/* QEMU's option syntax: a comma inside a value is written twice */
static void
append_opt_value(GString *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == ',')
            g_string_append_c(out, ',');
        g_string_append_c(out, *p);
    }
}

char *
apm_hostdev_qemu_arg(const ApmHostdev *hostdev)
{
    g_autofree char *sysfsdev = apm_hostdev_sysfsdev(hostdev);
    GString *out = g_string_new("vfio-ap,id=");

    append_opt_value(out, hostdev->alias ? hostdev->alias : "hostdev0");
    g_string_append(out, ",sysfsdev=");
    append_opt_value(out, sysfsdev);
    return g_string_free(out, FALSE);
}

ApmDomainInfo *
apm_domain_info_parse(const char *xml, gsize length, const char *source, GError **error)
{
    g_autoptr(ApmXmlDoc) doc = apm_xmldoc_read(xml, length, APM_DOMAIN_XML_MAX, _("domain XML"), source, error);
    g_autoptr(ApmDomainInfo) info = NULL;
    g_autoptr(GPtrArray) domains = NULL;
    g_autoptr(GPtrArray) hostdevs = NULL;
    xmlNodePtr domain;

    if (!doc)
        return NULL;
    domain = xmlDocGetRootElement(doc->doc);
    if (apm_xml_is(domain, "domstatus")) {
        /* libvirt's status file: the live definition inside */
        domains = apm_xpath_nodes(doc, NULL, "./domain[1]");
        domain = domains->len ? g_ptr_array_index(domains, 0) : NULL;
    }
    if (!apm_xml_is(domain, "domain")) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID,
                            _("The domain XML's root element is neither <domain> nor <domstatus>"));
        return NULL;
    }
    info = g_new0(ApmDomainInfo, 1);
    info->hostdevs = g_ptr_array_new_with_free_func((GDestroyNotify) apm_hostdev_free);
    info->name = apm_xpath_string(doc, domain, "string(./name[1])");
    hostdevs = apm_xpath_nodes(doc, domain, "./devices/hostdev");
    for (guint i = 0; i < hostdevs->len; i++) {
        xmlNodePtr d = g_ptr_array_index(hostdevs, i);
        ApmHostdev *h;

        if (!is_vfio_ap(d, FALSE, NULL))
            continue;
        if (!(h = hostdev_from_node(doc, d, error)))
            return NULL;
        g_ptr_array_add(info->hostdevs, h);
    }
    if (!info->name) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID, _("The domain XML has no <name>"));
        return NULL;
    }
    if (info->hostdevs->len > 1) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("Guest %s has %u vfio-ap hostdevs; a guest can have only one (it has one AP matrix)"),
                    info->name, info->hostdevs->len);
        return NULL;
    }
    return g_steal_pointer(&info);
}
