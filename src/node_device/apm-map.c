/* apm-map.c: the ownership map of the AP host, cell by cell, from one host snapshot */
#include "config.h"
#include "apm-map.h"

#include "apm-apqn.h"
#include "apm-error.h"
#include "apm-i18n.h"

static const char symbols[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static gboolean
queue_bound_to_vfio(const ApmHost *host, guint adapter, guint domain)
{
    const ApmQueueInfo *q = apm_host_queue(host, (ApmApqn) { adapter, domain });

    return q && q->driver == APM_DRIVER_VFIO_AP;
}

/* Why the kernel keeps an assigned APQN out of the guest, by its rules (§2.1): host configuration first, then
 * whole adapters with a queue that is missing or not bound to vfio_ap */
static void
classify_filtered(const ApmHost *host, const ApmMdevInfo *m, guint adapter, guint domain, ApmMapCell *cell)
{
    if (!apm_mask_test(&host->qci.adapters, adapter) || !apm_mask_test(&host->qci.domains, domain)) {
        cell->state = APM_CELL_OVERPROVISIONED;
        cell->why = APM_WHY_NOT_CONFIGURED;
        return;
    }
    cell->state = APM_CELL_FILTERED;
    if (!queue_bound_to_vfio(host, adapter, domain)) {
        cell->why = APM_WHY_NOT_BOUND;
        return;
    }
    APM_MASK_FOREACH(d, &m->matrix.domains) {
        if (apm_mask_test(&host->qci.domains, d) && !queue_bound_to_vfio(host, adapter, d)) {
            cell->why = APM_WHY_ADAPTER_DROPPED;
            cell->culprit = (guint8) d;
            return;
        }
    }
    cell->why = APM_WHY_PENDING;
}

static void
classify(ApmMap *map, guint adapter, guint domain)
{
    const ApmHost *host = map->host;
    ApmMapCell *cell = &map->cells[adapter << 8 | domain];
    const ApmQueueInfo *q = apm_host_queue(host, (ApmApqn) { adapter, domain });

    for (guint i = 0; i < map->mdevs->len; i++) {
        const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);
        const ApmMatrix *matrix = &mm->mdev->matrix, *guest = &mm->mdev->guest_matrix;

        if (!apm_mask_test(&matrix->adapters, adapter) || !apm_mask_test(&matrix->domains, domain))
            continue;
        cell->mdev = i + 1;
        if (apm_mask_test(&guest->adapters, adapter) && apm_mask_test(&guest->domains, domain))
            cell->state = mm->attached ? APM_CELL_IN_USE : APM_CELL_ASSIGNED;
        else
            classify_filtered(host, mm->mdev, adapter, domain, cell);
        return;
    }
    if (!q)
        cell->state = APM_CELL_NONE;
    else if (q->driver == APM_DRIVER_ZCRYPT)
        cell->state = q->online ? APM_CELL_HOST : APM_CELL_HOST_OFFLINE;
    else if (q->driver == APM_DRIVER_VFIO_AP)
        cell->state = APM_CELL_FREE;
    else
        cell->state = APM_CELL_UNBOUND;
}

ApmMap *
apm_map_new(const ApmHost *host, const ApmMapScope *scope, GError **error)
{
    g_autoptr(ApmMap) map = g_new0(ApmMap, 1);
    const ApmMdevInfo *only = NULL;

    map->host = host;
    map->mdevs = g_ptr_array_new_with_free_func(g_free);
    map->cells = g_new0(ApmMapCell, 256 * 256);
    if (scope && scope->mdev && !(only = apm_host_mdev(host, scope->mdev))) {
        char text[APM_UUID_TEXT_LEN + 1];

        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("mdev %s is not active"),
                    apm_uuid_format(scope->mdev, text));
        return NULL;
    }
    for (guint i = 0; i < host->mdevs->len; i++) {
        ApmMapMdev *mm = g_new0(ApmMapMdev, 1);

        mm->mdev = g_ptr_array_index(host->mdevs, i);
        mm->symbol = i < sizeof(symbols) - 1 ? symbols[i] : '#';
        mm->attached = mm->mdev->guest || apm_host_mdev_in_use(host, mm->mdev);
        mm->shown = !only || mm->mdev == only;
        g_ptr_array_add(map->mdevs, mm);
    }
    if (only) {
        map->adapters = only->matrix.adapters;
        map->domains = only->matrix.domains;
        apm_mask_or(&map->domains, &map->domains, &only->matrix.control_domains);
    } else if (scope && scope->all) {
        apm_mask_clear_all(&map->adapters);
        apm_mask_clear_all(&map->domains);
        apm_mask_set_range(&map->adapters, 0, MIN(host->max_adapter_id, 255));
        apm_mask_set_range(&map->domains, 0, MIN(host->max_domain_id, 255));
    } else {
        /* the host configuration, every card there is, and what mdevs hold beyond it (over-provisioned) */
        map->adapters = host->qci.adapters;
        map->domains = host->qci.domains;
        for (guint i = 0; i < host->cards->len; i++)
            apm_mask_set(&map->adapters, ((ApmCardInfo *) g_ptr_array_index(host->cards, i))->id);
        for (guint i = 0; i < host->mdevs->len; i++) {
            const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);

            apm_mask_or(&map->adapters, &map->adapters, &m->matrix.adapters);
            apm_mask_or(&map->domains, &map->domains, &m->matrix.domains);
            apm_mask_or(&map->domains, &map->domains, &m->matrix.control_domains);
        }
    }
    APM_MASK_FOREACH(a, &map->adapters) {
        APM_MASK_FOREACH(d, &map->domains) {
            classify(map, a, d);
            map->counts[map->cells[a << 8 | d].state]++;
        }
    }
    return g_steal_pointer(&map);
}

void
apm_map_free(ApmMap *map)
{
    if (!map)
        return;
    g_clear_pointer(&map->mdevs, g_ptr_array_unref);
    g_free(map->cells);
    g_free(map);
}

const ApmMapCell *
apm_map_cell(const ApmMap *map, guint adapter, guint domain)
{
    return &map->cells[(adapter & 0xff) << 8 | (domain & 0xff)];
}

const ApmMapMdev *
apm_map_cell_mdev(const ApmMap *map, const ApmMapCell *cell)
{
    return cell->mdev ? g_ptr_array_index(map->mdevs, cell->mdev - 1) : NULL;
}

char
apm_map_cell_char(const ApmMap *map, const ApmMapCell *cell)
{
    switch ((ApmCellState) cell->state) {
    case APM_CELL_HOST:
        return '.';
    case APM_CELL_HOST_OFFLINE:
        return ':';
    case APM_CELL_UNBOUND:
        return '?';
    case APM_CELL_FREE:
        return '-';
    case APM_CELL_ASSIGNED:
    case APM_CELL_IN_USE:
        return apm_map_cell_mdev(map, cell)->symbol;
    case APM_CELL_FILTERED:
        return '!';
    case APM_CELL_OVERPROVISIONED:
        return '~';
    case APM_CELL_NONE:
    default:
        return ' ';
    }
}

const char *
apm_map_state_name(ApmCellState state)
{
    static const char *const names[] = { "none",     "host",   "host-offline", "unbound",         "free",
                                         "assigned", "in-use", "filtered",     "over-provisioned" };

    return state < G_N_ELEMENTS(names) ? names[state] : "none";
}

const char *
apm_map_state_words(ApmCellState state)
{
    switch (state) {
    case APM_CELL_HOST:
        return _("the host's default driver, online");
    case APM_CELL_HOST_OFFLINE:
        return _("the host's default driver, offline");
    case APM_CELL_UNBOUND:
        return _("bound to no driver");
    case APM_CELL_FREE:
        return _("bound to vfio_ap, assigned to no mdev");
    case APM_CELL_ASSIGNED:
        return _("assigned to an mdev no guest holds");
    case APM_CELL_IN_USE:
        return _("in use by the mdev's running guest");
    case APM_CELL_FILTERED:
        return _("assigned, but kept out of the guest");
    case APM_CELL_OVERPROVISIONED:
        return _("assigned, over-provisioned: not in the host configuration");
    case APM_CELL_NONE:
    default:
        return _("no queue");
    }
}

char *
apm_map_cell_reason(const ApmMap *map, guint adapter, guint domain)
{
    const ApmMapCell *cell = apm_map_cell(map, adapter, domain);
    const ApmHost *host = map->host;
    char name[APM_APQN_TEXT_LEN + 1];

    switch ((ApmFilterWhy) cell->why) {
    case APM_WHY_NOT_BOUND: {
        const ApmQueueInfo *q = apm_host_queue(host, (ApmApqn) { adapter, domain });

        if (!q)
            return g_strdup(_("there is no queue device: the whole adapter is kept from the guest"));
        return g_strdup_printf(_("the queue is bound to %s, not vfio_ap: the whole adapter is kept from the guest"),
                               q->driver_name ? q->driver_name : _("no driver"));
    }
    case APM_WHY_ADAPTER_DROPPED:
        apm_apqn_format((ApmApqn) { adapter, cell->culprit }, name);
        return g_strdup_printf(_("adapter 0x%02x is dropped as a whole: queue %s is not bound to vfio_ap"), adapter,
                               name);
    case APM_WHY_NOT_CONFIGURED:
        if (!apm_mask_test(&host->qci.adapters, adapter))
            return g_strdup_printf(_("adapter 0x%02x is not in the host configuration (over-provisioned: the guest "
                                     "gets it when it comes)"),
                                   adapter);
        return g_strdup_printf(_("domain 0x%02x is not in the host configuration (over-provisioned: the guest gets it "
                                 "when it comes)"),
                               domain);
    case APM_WHY_PENDING:
        return g_strdup(_("the kernel has not passed it to the guest yet (a queue reset or bus scan is pending)"));
    case APM_WHY_NONE:
    default:
        return NULL;
    }
}

GPtrArray *
apm_map_notes(const ApmMap *map)
{
    GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < map->mdevs->len; i++) {
        /* reason text -> the APQNs it applies to, in the order the reasons first appear */
        g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                              (GDestroyNotify) g_array_unref);
        g_autoptr(GPtrArray) order = g_ptr_array_new();
        const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);

        APM_MASK_FOREACH(a, &map->adapters) {
            APM_MASK_FOREACH(d, &map->domains) {
                const ApmMapCell *cell = apm_map_cell(map, a, d);
                guint index = a << 8 | d;
                GArray *list;
                char *reason;

                if (cell->mdev != i + 1 || cell->why == APM_WHY_NONE)
                    continue;
                reason = apm_map_cell_reason(map, a, d);
                list = g_hash_table_lookup(groups, reason);
                if (!list) {
                    list = g_array_new(FALSE, FALSE, sizeof(guint));
                    g_hash_table_insert(groups, reason, list);
                    g_ptr_array_add(order, reason);
                } else {
                    g_free(reason);
                }
                g_array_append_val(list, index);
            }
        }
        for (guint k = 0; k < order->len; k++) {
            const char *reason = g_ptr_array_index(order, k);
            GArray *list = g_hash_table_lookup(groups, reason);
            g_autofree char *apqns = apm_apqn_format_ranges((guint *) (void *) list->data, list->len);

            g_ptr_array_add(notes, g_strdup_printf(_("%c: %s: %s"), mm->symbol, apqns, reason));
        }
    }
    return notes;
}
