/* apm-nodedev.c: node-device XML of AP devices */
#include "config.h"
#include "apm-nodedev.h"

#include <errno.h>
#include <stdarg.h>

#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-kstrto.h"
#include "apm-matrix.h"
#include "apm-xmldoc.h"

static void
attr_free(ApmMdevAttr *attr)
{
    g_free(attr->name);
    g_free(attr->value);
    g_free(attr);
}

GPtrArray *
apm_mdev_attrs_new(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify) attr_free);
}

void
apm_mdev_attrs_add(GPtrArray *attrs, const char *name, const char *value)
{
    ApmMdevAttr *attr = g_new0(ApmMdevAttr, 1);

    attr->name = g_strdup(name);
    attr->value = g_strdup(value);
    g_ptr_array_add(attrs, attr);
}

GPtrArray *
apm_matrix_to_attrs(const ApmMatrix *matrix)
{
    const struct {
        const char *name;
        const ApmMask *ids;
    } kinds[] = {
        { "assign_adapter", &matrix->adapters },
        { "assign_domain", &matrix->domains },
        { "assign_control_domain", &matrix->control_domains },
    };
    GPtrArray *attrs = apm_mdev_attrs_new();

    for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
        APM_MASK_FOREACH(id, kinds[k].ids) {
            char value[4];

            g_snprintf(value, sizeof(value), "%d", id);
            apm_mdev_attrs_add(attrs, kinds[k].name, value);
        }
    }
    return attrs;
}

ApmNodeDevDef *
apm_nodedev_def_new(ApmNodeDevType type)
{
    ApmNodeDevDef *def = g_new0(ApmNodeDevDef, 1);

    def->type = type;
    def->iommu_group = -1;
    def->attrs = apm_mdev_attrs_new();
    return def;
}

void
apm_nodedev_def_free(ApmNodeDevDef *def)
{
    if (!def)
        return;
    g_free(def->name);
    g_free(def->path);
    g_free(def->parent);
    g_free(def->driver);
    g_free(def->mdev_type);
    g_free(def->parent_addr);
    g_ptr_array_unref(def->attrs);
    g_free(def);
}

void
apm_nodedev_def_add_attr(ApmNodeDevDef *def, const char *name, const char *value)
{
    apm_mdev_attrs_add(def->attrs, name, value);
}

/* digits lowercase hex digits of v at p (names are made for every queue of a host: 65,536 on the largest, where
 * printf's cost shows) */
static char *
put_hex(char *p, guint v, int digits)
{
    for (int i = digits - 1; i >= 0; i--, v >>= 4)
        p[i] = "0123456789abcdef"[v & 0xf];
    return p + digits;
}

char *
apm_nodedev_card_name(guint adapter)
{
    char name[] = "ap_cardXX";

    put_hex(name + 7, adapter & 0xff, 2);
    return g_strdup(name);
}

char *
apm_nodedev_queue_name(guint adapter, guint domain)
{
    char name[] = "ap_XX_XXXX";

    put_hex(name + 3, adapter & 0xff, 2);
    put_hex(name + 6, domain & 0xffff, 4);
    return g_strdup(name);
}

char *
apm_nodedev_queue_path(guint adapter, guint domain)
{
    char path[] = "/sys/devices/ap/cardXX/XX.XXXX";

    put_hex(path + 20, adapter & 0xff, 2);
    put_hex(path + 23, adapter & 0xff, 2);
    put_hex(path + 26, domain & 0xffff, 4);
    return g_strdup(path);
}

char *
apm_nodedev_mdev_name(const ApmUuid *uuid)
{
    char text[APM_UUID_TEXT_LEN + 1];

    apm_uuid_format(uuid, text);
    g_strdelimit(text, "-", '_');
    return g_strdup_printf("mdev_%s_matrix", text);
}

/* libvirt's escaping of text and attribute values */
static void
element(GString *out, int depth, const char *tag, const char *text)
{
    g_string_append_printf(out, "%*s<%s>", depth * 2, "", tag);
    apm_xml_append_escaped(out, text);
    g_string_append_printf(out, "</%s>\n", tag);
}

char *
apm_nodedev_def_format(const ApmNodeDevDef *def)
{
    GString *out = g_string_new("<device>\n");

    element(out, 1, "name", def->name);
    if (def->path)
        element(out, 1, "path", def->path);
    element(out, 1, "parent", def->parent ? def->parent : "computer");
    if (def->driver) {
        g_string_append(out, "  <driver>\n");
        element(out, 2, "name", def->driver);
        g_string_append(out, "  </driver>\n");
    }
    switch (def->type) {
    case APM_NODEDEV_AP_CARD:
        g_string_append_printf(out, "  <capability type='ap_card'>\n    <ap-adapter>0x%02x</ap-adapter>\n",
                               def->adapter);
        break;
    case APM_NODEDEV_AP_QUEUE:
        g_string_append_printf(out,
                               "  <capability type='ap_queue'>\n    <ap-adapter>0x%02x</ap-adapter>\n"
                               "    <ap-domain>0x%04x</ap-domain>\n",
                               def->adapter, def->domain);
        break;
    case APM_NODEDEV_AP_MATRIX:
        g_string_append_printf(out,
                               "  <capability type='ap_matrix'>\n"
                               "    <capability type='mdev_types'>\n"
                               "      <type id='vfio_ap-passthrough'>\n"
                               "        <name>VFIO AP Passthrough Device</name>\n"
                               "        <deviceAPI>vfio-ap</deviceAPI>\n"
                               "        <availableInstances>%u</availableInstances>\n"
                               "      </type>\n"
                               "    </capability>\n",
                               def->available_instances);
        break;
    case APM_NODEDEV_MDEV:
        g_string_append(out, "  <capability type='mdev'>\n");
        if (def->mdev_type) {
            g_string_append(out, "    <type id='");
            apm_xml_append_escaped(out, def->mdev_type);
            g_string_append(out, "'/>\n");
        }
        if (def->has_uuid) {
            char uuid[APM_UUID_TEXT_LEN + 1];

            element(out, 2, "uuid", apm_uuid_format(&def->uuid, uuid));
        }
        if (def->parent_addr)
            element(out, 2, "parent_addr", def->parent_addr);
        if (def->iommu_group >= 0)
            g_string_append_printf(out, "    <iommuGroup number='%d'/>\n", def->iommu_group);
        for (guint i = 0; i < def->attrs->len; i++) {
            const ApmMdevAttr *attr = g_ptr_array_index(def->attrs, i);

            g_string_append(out, "    <attr name='");
            apm_xml_append_escaped(out, attr->name);
            g_string_append(out, "' value='");
            apm_xml_append_escaped(out, attr->value);
            g_string_append(out, "'/>\n");
        }
        break;
    }
    g_string_append(out, "  </capability>\n</device>\n");
    return g_string_free(out, FALSE);
}

/* ---- parsing ------------------------------------------------------------------------------------------- */

static gboolean
parse_hex_id(const char *text, guint max, guint *out)
{
    guint64 v;

    if (!text || apm_kstrtoul(text, 0, &v) < 0 || v > max)
        return FALSE;
    *out = (guint) v;
    return TRUE;
}

static gboolean G_GNUC_PRINTF(2, 3)
invalid(GError **error, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    if (error)
        *error = g_error_new_valist(APM_ERROR, APM_ERROR_INVALID, format, ap);
    va_end(ap);
    return FALSE;
}

/* The elements a capability of the AP devices may hold: any other is refused, naming it */
static const char *const capability_elements[] = {
    "ap-adapter", "ap-domain", "capability", "type", "uuid", "parent_addr", "iommuGroup", "attr",
};

/* A capability element, read as libvirt's virNodeDevCap*ParseXML read theirs: the first of each element counts */
static gboolean
parse_capability(ApmXmlDoc *doc, ApmNodeDevDef *def, xmlNodePtr cap, GError **error)
{
    g_autofree char *adapter = NULL, *domain = NULL, *uuid = NULL, *group = NULL, *instances = NULL;
    g_autoptr(GPtrArray) attrs = NULL;

    for (xmlNodePtr n = cap->children; n; n = n->next) {
        gboolean known = FALSE;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (guint k = 0; k < G_N_ELEMENTS(capability_elements) && !known; k++)
            known = apm_xml_is(n, capability_elements[k]);
        if (!known)
            return invalid(error, _("Unknown element <%s> in the capability"), (const char *) n->name);
    }
    if ((adapter = apm_xpath_string(doc, cap, "string(./ap-adapter[1])")) &&
        !parse_hex_id(adapter, 255, &def->adapter))
        return invalid(error, _("<ap-adapter> '%s' is not an adapter number from 0x00 to 0xff"), adapter);
    if ((domain = apm_xpath_string(doc, cap, "string(./ap-domain[1])")) && !parse_hex_id(domain, 255, &def->domain))
        return invalid(error, _("<ap-domain> '%s' is not a domain number from 0x0000 to 0x00ff"), domain);
    /* mdev_types of ap_matrix */
    if ((instances = apm_xpath_string(doc, cap, "string(./capability[@type='mdev_types'][1]/type[1]/"
                                                "availableInstances[1])"))) {
        guint64 v;

        if (apm_kstrtoul(instances, 10, &v) < 0 || v > 65536)
            return invalid(error, _("<availableInstances> '%s' is not a count"), instances);
        def->available_instances = (guint) v;
    }
    if (apm_xpath_count(doc, cap, "./type") > 0) {
        def->mdev_type = apm_xpath_string(doc, cap, "string(./type[1]/@id)");
        if (!def->mdev_type)
            return invalid(error, "%s", _("<type> of an mdev needs an id attribute"));
    }
    if ((uuid = apm_xpath_string(doc, cap, "string(./uuid[1])"))) {
        if (!apm_uuid_parse(uuid, &def->uuid))
            return invalid(error, _("<uuid> '%s' is not a UUID"), uuid);
        def->has_uuid = TRUE;
    }
    def->parent_addr = apm_xpath_string(doc, cap, "string(./parent_addr[1])");
    if (apm_xpath_count(doc, cap, "./iommuGroup") > 0) {
        guint64 v;

        group = apm_xpath_string(doc, cap, "string(./iommuGroup[1]/@number)");
        if (!group || apm_kstrtoul(group, 10, &v) < 0 || v > G_MAXINT)
            return invalid(error, _("<iommuGroup> number '%s' is not a group number"), group ? group : "");
        def->iommu_group = (int) v;
    }
    attrs = apm_xpath_nodes(doc, cap, "./attr");
    for (guint i = 0; i < attrs->len; i++) {
        g_autofree char *name = apm_xml_prop(g_ptr_array_index(attrs, i), "name");
        g_autofree char *value = apm_xml_prop(g_ptr_array_index(attrs, i), "value");

        if (!name || !value)
            return invalid(error, "%s", _("<attr> needs both a name and a value"));
        apm_nodedev_def_add_attr(def, name, value);
    }
    return TRUE;
}

ApmNodeDevDef *
apm_nodedev_def_parse(const char *xml, gsize length, const char *source, gboolean validate, GError **error)
{
    g_autoptr(ApmNodeDevDef) def = NULL;
    g_autoptr(ApmXmlDoc) doc = NULL;
    g_autoptr(GPtrArray) caps = NULL;
    g_autofree char *type = NULL;
    xmlNodePtr cap;

    doc = apm_xmldoc_read(xml, length, APM_NODEDEV_XML_MAX, _("node device document"), source, error);
    if (!doc)
        return NULL;
    if (!apm_xmldoc_root_is(doc, "device")) {
        invalid(error, "%s", _("The node device document's root element must be <device>"));
        return NULL;
    }
    /* as virsh nodedev-define --validate: libvirt's own schema first */
    if (validate && !apm_xmldoc_validate(doc, "nodedev.rng", NULL, error))
        return NULL;
    def = apm_nodedev_def_new(APM_NODEDEV_MDEV);
    /* as libvirt's virNodeDeviceDefParseXML reads them: the first of each element counts */
    def->name = apm_xpath_string(doc, NULL, "string(./name[1])");
    def->path = apm_xpath_string(doc, NULL, "string(./path[1])");
    def->parent = apm_xpath_string(doc, NULL, "string(./parent[1])");
    def->driver = apm_xpath_string(doc, NULL, "string(./driver[1]/name[1])");
    caps = apm_xpath_nodes(doc, NULL, "./capability");
    if (caps->len == 0) {
        invalid(error, "%s", _("The node device document has no <capability>"));
        return NULL;
    }
    if (caps->len > 1) {
        invalid(error, "%s", _("An AP node device has exactly one <capability>"));
        return NULL;
    }
    cap = g_ptr_array_index(caps, 0);
    type = apm_xml_prop(cap, "type");
    if (g_strcmp0(type, "ap_card") == 0)
        def->type = APM_NODEDEV_AP_CARD;
    else if (g_strcmp0(type, "ap_queue") == 0)
        def->type = APM_NODEDEV_AP_QUEUE;
    else if (g_strcmp0(type, "ap_matrix") == 0)
        def->type = APM_NODEDEV_AP_MATRIX;
    else if (g_strcmp0(type, "mdev") == 0)
        def->type = APM_NODEDEV_MDEV;
    else {
        invalid(error, _("Capability type '%s' is not an AP device (ap_card, ap_queue, ap_matrix, mdev)"),
                type ? type : "");
        return NULL;
    }
    if (!parse_capability(doc, def, cap, error))
        return NULL;
    if (!def->name && def->type == APM_NODEDEV_MDEV && def->has_uuid)
        def->name = apm_nodedev_mdev_name(&def->uuid);
    if (!def->name && def->type != APM_NODEDEV_MDEV) {
        invalid(error, "%s", _("The node device document has no <name>"));
        return NULL;
    }
    return g_steal_pointer(&def);
}

/* One ID as the kernel's assign_ and unassign_ attributes take it: kstrtoul(value, 0) (an optional 0x or leading
 * 0, one trailing newline, nothing else: no spaces, no lists), then at most 255 */
static gboolean
parse_id(const char *attr, const char *value, guint *id, GError **error)
{
    guint64 v;
    int rc = apm_kstrtoul(value, 0, &v);

    if (rc < 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    strchr(value, ',') ? _("Attribute %s has the value '%s', which the kernel does not take: it takes "
                                           "one ID; write an %s attribute for each")
                                       : _("Attribute %s has the value '%s', which the kernel does not take as a "
                                           "number (%s)"),
                    attr, value, strchr(value, ',') ? attr : g_strerror(-rc));
        return FALSE;
    }
    if (v > 255) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("Attribute %s has the value '%s', which is not an ID from 0 to 255"), attr, value);
        return FALSE;
    }
    *id = (guint) v;
    return TRUE;
}

gboolean
apm_matrix_from_attrs(const GPtrArray *attrs, ApmMatrix *matrix, ApmMatrix *touched, GError **error)
{
    static const char *const dims[] = { "adapter", "domain", "control_domain" };
    ApmMatrix named;

    apm_matrix_clear(matrix);
    apm_matrix_clear(&named);
    for (guint i = 0; i < attrs->len; i++) {
        const ApmMdevAttr *a = g_ptr_array_index(attrs, i);
        gboolean done = FALSE;

        for (guint k = 0; k < G_N_ELEMENTS(dims) && !done; k++) {
            ApmMask *masks[] = { &matrix->adapters, &matrix->domains, &matrix->control_domains };
            ApmMask *names[] = { &named.adapters, &named.domains, &named.control_domains };
            gboolean assign = g_str_has_prefix(a->name, "assign_");
            gboolean unassign = g_str_has_prefix(a->name, "unassign_");
            guint id;

            if ((!assign && !unassign) || !g_str_equal(a->name + (assign ? 7 : 9), dims[k]))
                continue;
            done = TRUE;
            if (!parse_id(a->name, a->value, &id, error))
                return FALSE;
            /* in order, as mdevctl writes them and the kernel takes them */
            if (assign)
                apm_mask_set(masks[k], id);
            else
                apm_mask_clear(masks[k], id);
            apm_mask_set(names[k], id);
        }
        if (done)
            continue;
        if (g_str_equal(a->name, "ap_config")) {
            if (apm_matrix_parse_ap_config(a->value, matrix) != 0) {
                g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                            _("ap_config '%s' is not three masks (adapters,domains,control domains)"), a->value);
                return FALSE;
            }
            apm_mask_or(&named.adapters, &named.adapters, &matrix->adapters);
            apm_mask_or(&named.domains, &named.domains, &matrix->domains);
            apm_mask_or(&named.control_domains, &named.control_domains, &matrix->control_domains);
        } else {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("Attribute '%s' is not one a vfio_ap mdev takes (assign_adapter, assign_domain, "
                          "assign_control_domain, their unassign_ forms, ap_config)"),
                        a->name);
            return FALSE;
        }
    }
    if (touched)
        *touched = named;
    return TRUE;
}

gboolean
apm_nodedev_def_validate_mdev(const ApmNodeDevDef *def, GError **error)
{
    if (def->type != APM_NODEDEV_MDEV)
        return invalid(error, "%s", _("Only mdev devices can be defined or created on the AP matrix"));
    if (!def->parent || !(g_str_equal(def->parent, "ap_matrix") || g_str_equal(def->parent, "matrix")))
        return invalid(error, _("Parent '%s' is not the AP matrix device (ap_matrix)"), def->parent ? def->parent : "");
    if (!def->mdev_type || !g_str_equal(def->mdev_type, "vfio_ap-passthrough"))
        return invalid(error, _("mdev type '%s' is not vfio_ap-passthrough"), def->mdev_type ? def->mdev_type : "");
    {
        ApmMatrix m;

        return apm_matrix_from_attrs(def->attrs, &m, NULL, error);
    }
}
