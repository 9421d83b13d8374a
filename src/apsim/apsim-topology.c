/* apsim-topology.c: topology files */
#include "config.h"
#include "apsim-topology.h"

#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-kstrto.h"

const char *
apsim_card_mode_name(ApsimCardMode mode)
{
    switch (mode) {
    case APSIM_MODE_ACCEL:
        return "accel";
    case APSIM_MODE_CCA:
        return "cca";
    case APSIM_MODE_EP11:
        return "ep11";
    }
    return "?";
}

char *
apsim_card_type_name(guint hwtype, ApsimCardMode mode)
{
    static const char suffix[] = { [APSIM_MODE_ACCEL] = 'A', [APSIM_MODE_CCA] = 'C', [APSIM_MODE_EP11] = 'P' };

    return g_strdup_printf("CEX%u%c", hwtype - 6, suffix[mode]);
}

void
apsim_topology_free(ApsimTopology *t)
{
    if (!t)
        return;
    g_free(t->name);
    g_free(t->description);
    if (t->cards)
        g_array_unref(t->cards);
    g_free(t);
}

/* "all", "none" or a human ID list. */
static gboolean
get_mask(GKeyFile *kf, const char *group, const char *key, const ApmMask *fallback, guint max_id, ApmMask *out,
         GError **error)
{
    g_autofree char *value = g_key_file_get_string(kf, group, key, NULL);
    g_autoptr(GError) local = NULL;

    if (!value) {
        *out = *fallback;
        return TRUE;
    }
    g_strstrip(value);
    if (g_str_equal(value, "all")) {
        apm_mask_clear_all(out);
        apm_mask_set_range(out, 0, max_id);
        return TRUE;
    }
    if (g_str_equal(value, "none")) {
        apm_mask_clear_all(out);
        return TRUE;
    }
    if (!apm_mask_parse_list(value, max_id, key, out, &local)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Topology key [%s] %s: %s"), group, key, local->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean
get_uint(GKeyFile *kf, const char *group, const char *key, guint fallback, guint max, guint *out, GError **error)
{
    g_autofree char *value = g_key_file_get_string(kf, group, key, NULL);
    guint64 v;

    if (!value) {
        *out = fallback;
        return TRUE;
    }
    if (apm_kstrtoul(g_strstrip(value), 0, &v) < 0 || v > max) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("Topology key [%s] %s: '%s' is not a number from 0 to %u"), group, key, value, max);
        return FALSE;
    }
    *out = (guint) v;
    return TRUE;
}

static gboolean
get_bool(GKeyFile *kf, const char *group, const char *key, gboolean fallback, gboolean *out, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!g_key_file_has_key(kf, group, key, NULL)) {
        *out = fallback;
        return TRUE;
    }
    *out = g_key_file_get_boolean(kf, group, key, &local);
    if (local) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Topology key [%s] %s: expected true or false"), group,
                    key);
        return FALSE;
    }
    return TRUE;
}

static gint
compare_cards(gconstpointer a, gconstpointer b)
{
    const ApsimCardSpec *ca = a, *cb = b;

    return (ca->id > cb->id) - (ca->id < cb->id);
}

/* [cards] ids=0-7 mode=cca hwtype=14 gives a block of identical cards; [card 05] sections describe one card
 * each and override the block. */
static gboolean
add_card(ApsimTopology *t, GHashTable *seen, GKeyFile *kf, const char *group, guint id, const ApsimCardSpec *base,
         GError **error)
{
    ApsimCardSpec card = *base;
    g_autofree char *mode = g_key_file_get_string(kf, group, "mode", NULL);

    card.id = id;
    if (!get_uint(kf, group, "hwtype", base->raw_hwtype, 255, &card.raw_hwtype, error) ||
        !get_bool(kf, group, "configured", base->configured, &card.configured, error) ||
        !get_bool(kf, group, "checkstopped", base->checkstopped, &card.checkstopped, error))
        return FALSE;
    if (mode) {
        g_strstrip(mode);
        if (g_str_equal(mode, "accel"))
            card.mode = APSIM_MODE_ACCEL;
        else if (g_str_equal(mode, "cca"))
            card.mode = APSIM_MODE_CCA;
        else if (g_str_equal(mode, "ep11"))
            card.mode = APSIM_MODE_EP11;
        else {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("Topology key [%s] mode: '%s' is not accel, cca or ep11"), group, mode);
            return FALSE;
        }
    }
    if (g_hash_table_contains(seen, GUINT_TO_POINTER(id + 1))) {
        for (guint i = 0; i < t->cards->len; i++)
            if (g_array_index(t->cards, ApsimCardSpec, i).id == id)
                g_array_index(t->cards, ApsimCardSpec, i) = card;
    } else {
        g_hash_table_add(seen, GUINT_TO_POINTER(id + 1));
        g_array_append_val(t->cards, card);
    }
    return TRUE;
}

ApsimTopology *
apsim_topology_parse(const char *data, gsize length, const char *name, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(ApsimTopology) t = g_new0(ApsimTopology, 1);
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    g_auto(GStrv) groups = NULL;
    g_autoptr(GError) local = NULL;
    ApmMask all, none;
    ApsimCardSpec base = { 0, 14, APSIM_MODE_CCA, TRUE, FALSE };

    if (!g_key_file_load_from_data(kf, data, length, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Topology %s is not a valid key file: %s"), name,
                    local->message);
        return NULL;
    }
    if (!g_key_file_has_group(kf, "host")) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Topology %s has no [host] group"), name);
        return NULL;
    }
    t->name = g_strdup(name);
    t->description = g_key_file_get_string(kf, "host", "description", NULL);
    t->cards = g_array_new(FALSE, FALSE, sizeof(ApsimCardSpec));
    apm_mask_set_all(&all);
    apm_mask_clear_all(&none);
    if (!get_bool(kf, "host", "apxa", TRUE, &t->apxa, error) ||
        !get_uint(kf, "host", "max-adapter-id", t->apxa ? 255 : 63, t->apxa ? 255 : 63, &t->max_adapter_id, error) ||
        !get_uint(kf, "host", "max-domain-id", t->apxa ? 255 : 15, t->apxa ? 255 : 15, &t->max_domain_id, error) ||
        !get_bool(kf, "host", "ap-config", TRUE, &t->ap_config, error) ||
        !get_bool(kf, "host", "hotplug", TRUE, &t->hotplug, error) ||
        !get_bool(kf, "host", "driver-override", TRUE, &t->driver_override, error) ||
        /* the CPUs of the machine apsim runs on: the guests' QEMU threads really run there */
        !get_uint(kf, "host", "cpus", MAX(g_get_num_processors(), 1), 4096, &t->cpus, error) ||
        !get_mask(kf, "host", "usage-domains", &none, t->max_domain_id, &t->qci_domains, error) ||
        !get_mask(kf, "host", "control-domains", &t->qci_domains, t->max_domain_id, &t->qci_control_domains,
                  error) ||
        !get_mask(kf, "host", "apmask", &all, 255, &t->apmask, error) ||
        !get_mask(kf, "host", "aqmask", &all, 255, &t->aqmask, error))
        return NULL;
    if (t->cpus == 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Topology key [host] cpus: a host has at least one CPU"));
        return NULL;
    }

    if (g_key_file_has_group(kf, "cards")) {
        ApmMask ids;

        if (!get_mask(kf, "cards", "ids", &none, t->max_adapter_id, &ids, error))
            return NULL;
        if (!add_card(t, seen, kf, "cards", 0, &base, error))
            return NULL;
        base = g_array_index(t->cards, ApsimCardSpec, 0);
        g_array_set_size(t->cards, 0);
        g_hash_table_remove_all(seen);
        APM_MASK_FOREACH(id, &ids)
            if (!add_card(t, seen, kf, "cards", id, &base, error))
                return NULL;
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (guint i = 0; groups[i]; i++) {
        guint64 id;

        if (!g_str_has_prefix(groups[i], "card "))
            continue;
        if (apm_kstrtoul(groups[i] + 5, 16, &id) < 0 || id > t->max_adapter_id) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("Topology group [%s]: expected [card XX] with a hex adapter ID up to 0x%02x"), groups[i],
                        t->max_adapter_id);
            return NULL;
        }
        if (!add_card(t, seen, kf, groups[i], (guint) id, &base, error))
            return NULL;
    }
    g_array_sort(t->cards, compare_cards);
    for (guint i = 0; i < t->cards->len; i++)
        apm_mask_set(&t->qci_adapters, g_array_index(t->cards, ApsimCardSpec, i).id);
    return g_steal_pointer(&t);
}

static char *
find_topology_file(const char *name)
{
    const char *env = g_getenv("APSIM_TOPOLOGY_DIR");
    g_autofree char *file = g_strconcat(name, ".topo", NULL);
    /* the build tree's programs are pointed at the source tree's folder through the environment (meson devenv,
     * the test environment), so that no build-tree path is compiled into what is installed */
    const char *dirs[] = { env, APSIM_TOPOLOGY_INSTALL_DIR };

    if (strchr(name, '/') || g_str_has_suffix(name, ".topo"))
        return g_strdup(name);
    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *path = NULL;

        if (!dirs[i])
            continue;
        path = g_build_filename(dirs[i], file, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
            return g_steal_pointer(&path);
    }
    return NULL;
}

ApsimTopology *
apsim_topology_load(const char *name, GError **error)
{
    g_autofree char *path = find_topology_file(name);
    g_autofree char *data = NULL;
    g_autofree char *base = NULL;
    g_autoptr(GError) local = NULL;
    gsize len;

    if (!path) {
        const char *env = g_getenv("APSIM_TOPOLOGY_DIR");

        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND,
                    _("No topology named '%s' in %s (built-in: tiny, z16, noapxa, max; or give a file path)"), name,
                    env && *env ? env : APSIM_TOPOLOGY_INSTALL_DIR);
        return NULL;
    }
    if (!g_file_get_contents(path, &data, &len, &local)) {
        g_set_error(error, APM_ERROR, APM_ERROR_IO, _("Cannot read topology %s: %s"), path, local->message);
        return NULL;
    }
    base = g_path_get_basename(path);
    if (g_str_has_suffix(base, ".topo"))
        base[strlen(base) - 5] = '\0';
    return apsim_topology_parse(data, len, base, error);
}
