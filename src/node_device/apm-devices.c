/* apm-devices.c: node devices from a host snapshot */
#include "config.h"
#include "apm-devices.h"

#include <string.h>

#include "apm-error.h"
#include "apm-i18n.h"

ApmCapFlags
apm_cap_from_name(const char *name)
{
    static const struct {
        const char *name;
        ApmCapFlags flag;
    } caps[] = {
        { "ap_card", APM_CAP_AP_CARD },   { "ap_queue", APM_CAP_AP_QUEUE }, { "ap_matrix", APM_CAP_AP_MATRIX },
        { "mdev", APM_CAP_MDEV },         { "mdev_types", APM_CAP_MDEV_TYPES },
    };

    for (guint i = 0; i < G_N_ELEMENTS(caps); i++)
        if (g_str_equal(name, caps[i].name))
            return caps[i].flag;
    return APM_CAP_ANY;
}

static ApmNodeDevDef *
card_def(const ApmCardInfo *c)
{
    ApmNodeDevDef *def = apm_nodedev_def_new(APM_NODEDEV_AP_CARD);

    def->name = apm_nodedev_card_name(c->id);
    def->path = g_strdup_printf("/sys/devices/ap/card%02x", c->id);
    def->parent = g_strdup("computer");
    def->driver = g_strdup(c->driver);
    def->adapter = c->id;
    return def;
}

static ApmNodeDevDef *
queue_def(const ApmQueueInfo *q)
{
    ApmNodeDevDef *def = apm_nodedev_def_new(APM_NODEDEV_AP_QUEUE);

    def->name = apm_nodedev_queue_name(q->apqn.adapter, q->apqn.domain);
    def->path = apm_nodedev_queue_path(q->apqn.adapter, q->apqn.domain);
    def->parent = apm_nodedev_card_name(q->apqn.adapter);
    def->driver = g_strdup(q->driver_name);
    def->adapter = q->apqn.adapter;
    def->domain = q->apqn.domain;
    return def;
}

static ApmNodeDevDef *
matrix_def(const ApmHost *host)
{
    ApmNodeDevDef *def = apm_nodedev_def_new(APM_NODEDEV_AP_MATRIX);

    def->name = g_strdup("ap_matrix");
    def->path = g_strdup("/sys/devices/vfio_ap/matrix");
    def->parent = g_strdup("computer");
    def->driver = g_strdup("vfio_ap");
    def->available_instances = host->available_instances;
    return def;
}

static ApmNodeDevDef *
mdev_def_base(const ApmUuid *uuid)
{
    ApmNodeDevDef *def = apm_nodedev_def_new(APM_NODEDEV_MDEV);

    def->name = apm_nodedev_mdev_name(uuid);
    def->parent = g_strdup("ap_matrix");
    def->mdev_type = g_strdup("vfio_ap-passthrough");
    def->has_uuid = TRUE;
    def->uuid = *uuid;
    def->parent_addr = g_strdup("matrix");
    return def;
}

static void
copy_attrs(ApmNodeDevDef *def, const GPtrArray *attrs)
{
    for (guint i = 0; i < attrs->len; i++) {
        const ApmMdevAttr *a = g_ptr_array_index(attrs, i);

        apm_nodedev_def_add_attr(def, a->name, a->value);
    }
}

/* An active mdev: what the kernel holds; the attributes are its definition's when the kernel holds what they ask
 * for (as libvirt shows them through mdevctl), else the live matrix in the form a callout's get attributes gives:
 * a running mdev that differs from its definition (a live-only plug, a start cut short) shows what it runs with,
 * and --inactive the definition. */
static ApmNodeDevDef *
active_mdev_def(const ApmHost *host, const ApmMdevInfo *m)
{
    ApmNodeDevDef *def = mdev_def_base(&m->uuid);
    char uuid[APM_UUID_TEXT_LEN + 1];
    const ApmStoredDef *d = apm_host_definition(host, &m->uuid);
    ApmMatrix defined;

    def->path = g_strdup_printf("/sys/devices/vfio_ap/matrix/%s", apm_uuid_format(&m->uuid, uuid));
    def->driver = g_strdup(m->driver);
    def->iommu_group = m->iommu_group;
    if (d && apm_matrix_from_attrs(d->config->attrs, &defined, NULL, NULL) && apm_matrix_equal(&defined, &m->matrix)) {
        copy_attrs(def, d->config->attrs);
        return def;
    }
    {
        g_autoptr(GPtrArray) live = apm_matrix_to_attrs(&m->matrix);

        copy_attrs(def, live);
    }
    return def;
}

static ApmNodeDevDef *
defined_mdev_def(const ApmStoredDef *d)
{
    ApmNodeDevDef *def = mdev_def_base(&d->uuid);

    copy_attrs(def, d->config->attrs);
    return def;
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return strcmp((*(ApmNodeDevDef *const *) a)->name, (*(ApmNodeDevDef *const *) b)->name);
}

static gint
by_string(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The devices a list shows, as definitions or, for a list of names, as their names only (a host of thousands of
 * queues need not build thousands of definitions to print their names) */
static GPtrArray *
collect(const ApmHost *host, ApmCapFlags caps, ApmListState state, gboolean names)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(names ? g_free : (GDestroyNotify) apm_nodedev_def_free);
    gboolean want_active = state != APM_LIST_INACTIVE;
    gboolean want_inactive = state != APM_LIST_ACTIVE;

    if (!caps)
        caps = APM_CAP_AP_CARD | APM_CAP_AP_QUEUE | APM_CAP_AP_MATRIX | APM_CAP_MDEV;
    if (want_active && (caps & APM_CAP_AP_CARD))
        for (guint i = 0; i < host->cards->len; i++) {
            const ApmCardInfo *c = g_ptr_array_index(host->cards, i);

            g_ptr_array_add(out, names ? (gpointer) apm_nodedev_card_name(c->id) : (gpointer) card_def(c));
        }
    if (want_active && (caps & APM_CAP_AP_QUEUE))
        for (guint i = 0; i < host->queues->len; i++) {
            const ApmQueueInfo *q = g_ptr_array_index(host->queues, i);

            g_ptr_array_add(out, names ? (gpointer) apm_nodedev_queue_name(q->apqn.adapter, q->apqn.domain) : (gpointer) queue_def(q));
        }
    if (want_active && (caps & (APM_CAP_AP_MATRIX | APM_CAP_MDEV_TYPES)) && host->matrix_present)
        g_ptr_array_add(out, names ? (gpointer) g_strdup("ap_matrix") : (gpointer) matrix_def(host));
    if (caps & APM_CAP_MDEV) {
        if (want_active)
            for (guint i = 0; i < host->mdevs->len; i++) {
                const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);

                g_ptr_array_add(out, names ? (gpointer) apm_nodedev_mdev_name(&m->uuid) : (gpointer) active_mdev_def(host, m));
            }
        if (want_inactive)
            for (guint i = 0; i < host->definitions->len; i++) {
                const ApmStoredDef *d = g_ptr_array_index(host->definitions, i);

                if (!apm_host_mdev(host, &d->uuid))
                    g_ptr_array_add(out, names ? (gpointer) apm_nodedev_mdev_name(&d->uuid) : (gpointer) defined_mdev_def(d));
            }
    }
    g_ptr_array_sort(out, names ? by_string : by_name);
    return out;
}

ApmHost *
apm_devices_read_host(const char *root, ApmHostRead detail, ApmCapFlags caps, ApmProgress *progress,
                      GError **error)
{
    if (!caps)
        caps = APM_CAP_AP_CARD | APM_CAP_AP_QUEUE | APM_CAP_AP_MATRIX | APM_CAP_MDEV;
    return apm_host_read_nodedevs(root, detail, (caps & (APM_CAP_AP_CARD | APM_CAP_AP_QUEUE)) != 0,
                                  (caps & (APM_CAP_AP_MATRIX | APM_CAP_MDEV_TYPES)) != 0, (caps & APM_CAP_MDEV) != 0,
                                  progress, error);
}

GPtrArray *
apm_devices_list(const ApmHost *host, ApmCapFlags caps, ApmListState state)
{
    return collect(host, caps, state, FALSE);
}

GPtrArray *
apm_devices_list_names(const ApmHost *host, ApmCapFlags caps, ApmListState state)
{
    return collect(host, caps, state, TRUE);
}

gboolean
apm_devices_mdev_uuid(const char *name, ApmUuid *uuid)
{
    gsize len = strlen(name);

    if (g_str_has_prefix(name, "mdev_") && g_str_has_suffix(name, "_matrix") && len == 5 + 36 + 7) {
        g_autofree char *text = g_strndup(name + 5, 36);

        g_strdelimit(text, "_", '-');
        return apm_uuid_parse(text, uuid);
    }
    return apm_uuid_parse(name, uuid);
}

ApmNodeDevDef *
apm_devices_lookup(const ApmHost *host, const char *name, gboolean inactive, GError **error)
{
    ApmUuid uuid;

    if (apm_devices_mdev_uuid(name, &uuid)) {
        const ApmMdevInfo *m = apm_host_mdev(host, &uuid);
        const ApmStoredDef *d = apm_host_definition(host, &uuid);

        if (inactive && d)
            return defined_mdev_def(d);
        if (!inactive && m)
            return active_mdev_def(host, m);
        if (!inactive && d)
            return defined_mdev_def(d);
        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND,
                    inactive ? _("Node device '%s' has no persistent definition")
                             : _("Node device '%s' not found: no such mdev is active or defined"),
                    name);
        return NULL;
    }
    if (g_str_equal(name, "ap_matrix") && host->matrix_present && !inactive)
        return matrix_def(host);
    if (!inactive) {
        for (guint i = 0; i < host->cards->len; i++) {
            const ApmCardInfo *c = g_ptr_array_index(host->cards, i);
            g_autofree char *n = apm_nodedev_card_name(c->id);

            if (g_str_equal(n, name))
                return card_def(c);
        }
        if (strlen(name) == 10 && g_str_has_prefix(name, "ap_") && name[5] == '_') {
            for (guint i = 0; i < host->queues->len; i++) {
                const ApmQueueInfo *q = g_ptr_array_index(host->queues, i);
                g_autofree char *n = apm_nodedev_queue_name(q->apqn.adapter, q->apqn.domain);

                if (g_str_equal(n, name))
                    return queue_def(q);
            }
        }
    }
    g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND,
                inactive ? _("Node device '%s' has no persistent definition") : _("Node device '%s' not found"), name);
    return NULL;
}
