/* apsim-dump.c: the whole simulated host as JSON, and lock statistics */
#include "config.h"
#include "apsim-host-private.h"

#include <json-glib/json-glib.h>

static void
add_list(JsonBuilder *b, const char *key, const ApmMask *mask)
{
    g_autofree char *text = apm_mask_format_list(mask, APM_LIST_DECIMAL);

    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, text);
}

static void
add_matrix(JsonBuilder *b, const char *key, const ApmMatrix *m)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_object(b);
    add_list(b, "adapters", &m->adapters);
    add_list(b, "domains", &m->domains);
    add_list(b, "control_domains", &m->control_domains);
    json_builder_end_object(b);
}

static char *
finish(JsonBuilder *b)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);

    json_generator_set_pretty(gen, TRUE);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static gint
compare_guests(gconstpointer a, gconstpointer b)
{
    return strcmp((*(ApsimGuest *const *) a)->name, (*(ApsimGuest *const *) b)->name);
}

/* Taken under every lock in order, so the dump is one consistent snapshot. */
char *
apsim_host_dump_json(ApsimHost *host)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    char hex[APM_MASK_HEX_LEN + 1];

    apm_lock_acquire(&host->scan_mutex);
    apm_lock_acquire(&host->ap_attr_mutex);
    apm_lock_acquire(&host->guests_lock);
    apm_lock_acquire(&host->mdevs_lock);
    apm_lock_acquire(&host->devices);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "topology");
    json_builder_add_string_value(b, host->topology->name);
    json_builder_set_member_name(b, "apmask");
    json_builder_add_string_value(b, apm_mask_format_hex(&host->apmask, hex));
    json_builder_set_member_name(b, "aqmask");
    json_builder_add_string_value(b, apm_mask_format_hex(&host->aqmask, hex));
    add_matrix(b, "qci", &host->qci);
    json_builder_set_member_name(b, "ap_domain");
    json_builder_add_int_value(b, host->ap_domain);
    json_builder_set_member_name(b, "driver_override_count");
    json_builder_add_int_value(b, host->driver_override_ctr);

    json_builder_set_member_name(b, "cards");
    json_builder_begin_array(b);
    for (guint a = 0; a < 256; a++) {
        ApsimCard *c = &host->cards[a];

        if (!c->present)
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_int_value(b, a);
        json_builder_set_member_name(b, "hwtype");
        json_builder_add_int_value(b, c->hwtype);
        json_builder_set_member_name(b, "mode");
        json_builder_add_string_value(b, apsim_card_mode_name(c->mode));
        json_builder_set_member_name(b, "config");
        json_builder_add_boolean_value(b, c->config);
        json_builder_set_member_name(b, "chkstop");
        json_builder_add_boolean_value(b, c->chkstop);
        json_builder_set_member_name(b, "online");
        json_builder_add_boolean_value(b, c->online);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    /* queues by driver, as compact lists of names */
    json_builder_set_member_name(b, "queues");
    json_builder_begin_object(b);
    for (int drv = APSIM_DRV_NONE; drv <= APSIM_DRV_VFIO; drv++) {
        g_autoptr(GString) names = g_string_new(NULL);

        for (guint i = 0; i < 256 * 256; i++) {
            ApsimQueue *q = &host->queues[i];

            if (!q->present || (int) q->driver != drv)
                continue;
            g_string_append_printf(names, "%s%02x.%04x", names->len ? " " : "", q->adapter, q->domain);
            if (q->driver_override)
                g_string_append_printf(names, "(override=%s)", q->driver_override);
        }
        json_builder_set_member_name(b, drv == APSIM_DRV_NONE ? "unbound" : drv == APSIM_DRV_ZCRYPT ? "cex4queue"
                                                                                                  : "vfio_ap");
        json_builder_add_string_value(b, names->str);
    }
    json_builder_end_object(b);

    json_builder_set_member_name(b, "mdevs");
    json_builder_begin_array(b);
    for (guint i = 0; i < host->mdev_list->len; i++) {
        ApsimMdev *m = g_ptr_array_index(host->mdev_list, i);
        g_autoptr(GString) linked = g_string_new(NULL);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "uuid");
        json_builder_add_string_value(b, m->name);
        add_matrix(b, "matrix", &m->matrix);
        add_matrix(b, "guest_matrix", &m->shadow);
        json_builder_set_member_name(b, "guest");
        if (m->guest)
            json_builder_add_string_value(b, m->guest->name);
        else
            json_builder_add_null_value(b);
        for (guint k = 0; k < 256 * 256; k++)
            if (host->queues[k].mdev == m)
                g_string_append_printf(linked, "%s%02x.%04x", linked->len ? " " : "", host->queues[k].adapter,
                                       host->queues[k].domain);
        json_builder_set_member_name(b, "linked_queues");
        json_builder_add_string_value(b, linked->str);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "guests");
    json_builder_begin_array(b);
    {
        GHashTableIter iter;
        gpointer value;
        g_autoptr(GPtrArray) list = g_ptr_array_new();

        g_hash_table_iter_init(&iter, host->guest_registry);
        while (g_hash_table_iter_next(&iter, NULL, &value))
            g_ptr_array_add(list, value);
        g_ptr_array_sort(list, compare_guests);
        for (guint i = 0; i < list->len; i++) {
            ApsimGuest *g = g_ptr_array_index(list, i);

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, g->name);
            json_builder_set_member_name(b, "running");
            json_builder_add_boolean_value(b, g->running);
            json_builder_set_member_name(b, "mdev");
            if (g->opened)
                json_builder_add_string_value(b, g->opened->name);
            else
                json_builder_add_null_value(b);
            add_matrix(b, "apcb", &g->apcb);
            json_builder_set_member_name(b, "pqap_calls");
            json_builder_add_int_value(b, (gint64) __atomic_load_n(&g->pqap_calls, __ATOMIC_RELAXED));
            json_builder_end_object(b);
        }
    }
    json_builder_end_array(b);
    json_builder_end_object(b);

    apm_lock_release(&host->devices);
    apm_lock_release(&host->mdevs_lock);
    apm_lock_release(&host->guests_lock);
    apm_lock_release(&host->ap_attr_mutex);
    apm_lock_release(&host->scan_mutex);
    return finish(b);
}

static void
add_stats(JsonBuilder *b, const ApmLock *lock)
{
    ApmLockStats s;

    apm_lock_get_stats(lock, &s);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "lock");
    json_builder_add_string_value(b, lock->name);
    json_builder_set_member_name(b, "acquisitions");
    json_builder_add_int_value(b, (gint64) s.acquisitions);
    json_builder_set_member_name(b, "contended");
    json_builder_add_int_value(b, (gint64) s.contended);
    json_builder_set_member_name(b, "wait_ns");
    json_builder_add_int_value(b, (gint64) s.wait_ns);
    json_builder_end_object(b);
}

char *
apsim_host_lock_stats_json(ApsimHost *host)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(GPtrArray) guests = g_ptr_array_new_with_free_func((GDestroyNotify) apsim_guest_unref);
    GHashTableIter iter;
    gpointer value;

    apm_lock_acquire(&host->guests_lock);
    g_hash_table_iter_init(&iter, host->guest_registry);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        apsim_guest_ref(value);
        g_ptr_array_add(guests, value);
    }
    apm_lock_release(&host->guests_lock);

    json_builder_begin_array(b);
    add_stats(b, &host->scan_mutex);
    add_stats(b, &host->ap_attr_mutex);
    add_stats(b, &host->guests_lock);
    add_stats(b, &host->mdevs_lock);
    add_stats(b, &host->devices);
    for (guint i = 0; i < guests->len; i++) {
        ApsimGuest *g = g_ptr_array_index(guests, i);

        add_stats(b, &g->kvm_lock);
        add_stats(b, &g->pqap_hook_rwsem);
    }
    json_builder_end_array(b);
    return finish(b);
}

void
apsim_host_count_fs(ApsimHost *host, ApsimFsOp op)
{
    g_atomic_int_inc(&host->fs_counts[op]);
}

char *
apsim_host_fs_stats_json(ApsimHost *host, gboolean reset)
{
    static const char *const names[APSIM_FS_N] = { "getattr", "readdir", "readlink", "open", "read", "write" };
    GString *out = g_string_new("{");

    for (guint i = 0; i < APSIM_FS_N; i++) {
        gint n = reset ? g_atomic_int_exchange(&host->fs_counts[i], 0) : g_atomic_int_get(&host->fs_counts[i]);

        g_string_append_printf(out, "%s\"%s\": %d", i ? ", " : "", names[i], n);
    }
    g_string_append(out, "}\n");
    return g_string_free(out, FALSE);
}
