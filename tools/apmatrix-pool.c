/* apmatrix-pool.c: the pool commands of apmatrix (pool define, list, show, grow, shrink, undefine) and export nova,
 * the Nova provider configuration of the host's pools */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apm-devices.h"
#include "apm-error.h"
#include "apm-file.h"
#include "apm-i18n.h"
#include "apm-nodedev.h"
#include "apm-pool.h"
#include "apmatrix.h"

/* --count N: a whole number from 1 to 65536, or usage error */
static gboolean
count_option(const ApmArgs *args, guint *count, int *code)
{
    const char *text = apm_args_string(args, "count");
    char *end;
    guint64 n;

    *count = 0;
    if (!text)
        return TRUE;
    n = g_ascii_strtoull(text, &end, 10);
    if (!*text || *end || n < 1 || n > 65536) {
        *code = usage_error(_("--count takes a number of members from 1 to 65536, not '%s'"), text);
        return FALSE;
    }
    *count = (guint) n;
    return TRUE;
}

/* Every --NAME LIST given, as one set of IDs */
static gboolean
ids_option(const Globals *g, const ApmArgs *args, const char *name, const char *what, ApmMask *out, int *code)
{
    const GPtrArray *lists = apm_args_strings(args, name);

    apm_mask_clear_all(out);
    for (guint i = 0; i < lists->len; i++) {
        g_autoptr(GError) error = NULL;
        ApmMask part;

        if (!apm_mask_parse_list(g_ptr_array_index(lists, i), 255, what, &part, &error)) {
            *code = report_error(g, error, NULL);
            return FALSE;
        }
        apm_mask_or(out, out, &part);
    }
    return TRUE;
}

static char *
member_apqns(const ApmPoolMember *m)
{
    return apm_matrix_format_apqns_line(&m->matrix);
}

static void
add_pool_json(JsonBuilder *b, const ApmPool *pool, const ApmHost *host, gboolean members)
{
    g_autofree char *adapters = apm_mask_format_list(&pool->adapters, APM_LIST_DECIMAL);
    g_autofree char *domains = apm_mask_format_list(&pool->domains, APM_LIST_DECIMAL);
    g_autofree char *shape = g_strdup_printf("%ux%u", pool->shape_adapters, pool->shape_domains);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, pool->name);
    json_builder_set_member_name(b, "shape");
    json_builder_add_string_value(b, shape);
    json_builder_set_member_name(b, "adapters");
    json_builder_add_string_value(b, adapters);
    json_builder_set_member_name(b, "domains");
    json_builder_add_string_value(b, domains);
    json_builder_set_member_name(b, "control-domains");
    json_builder_add_boolean_value(b, pool->control);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, pool->members->len);
    json_builder_set_member_name(b, "free");
    json_builder_add_int_value(b, host ? apm_pool_free_count(host, pool) : 0);
    if (members) {
        json_builder_set_member_name(b, "members");
        json_builder_begin_array(b);
        for (guint i = 0; i < pool->members->len; i++) {
            const ApmPoolMember *m = &g_array_index(pool->members, ApmPoolMember, i);
            const char *guest = NULL;
            ApmPoolMemberState state = host ? apm_pool_member_state(host, m, &guest) : APM_POOL_MEMBER_FREE;
            g_autofree char *name = apm_nodedev_mdev_name(&m->uuid);
            char uuid[APM_UUID_TEXT_LEN + 1];

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "uuid");
            json_builder_add_string_value(b, apm_uuid_format(&m->uuid, uuid));
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, name);
            add_apqns(b, "apqns", &m->matrix);
            json_builder_set_member_name(b, "state");
            json_builder_add_string_value(b, apm_pool_member_state_name(state));
            json_builder_set_member_name(b, "guest");
            if (guest && *guest)
                json_builder_add_string_value(b, guest);
            else
                json_builder_add_null_value(b);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
    }
    json_builder_end_object(b);
}

/* What a change did: the pool as it is now, with the outcome's warnings and differences */
static int
report_pool(const Globals *g, const ApmPool *pool, const ApmOutcome *outcome, const char *sentence)
{
    g_autoptr(ApmHost) host = NULL;
    int code = EXIT_OK;

    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        host = pool ? read_host_detail(g, APM_HOST_READ_ON_DEMAND, &code) : NULL;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, sentence);
        if (pool) {
            json_builder_set_member_name(b, "pool");
            add_pool_json(b, pool, host, TRUE);
        }
        add_strings(b, "warnings", outcome->warnings);
        add_strings(b, "differences", outcome->differences);
        json_builder_end_object(b);
        print_json(b);
    } else {
        print_outcome(outcome, sentence);
    }
    return outcome->differences->len ? EXIT_DIFFERS : EXIT_OK;
}

int
cmd_pool_define(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "pool"), *shape = apm_args_string(args, "shape");
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmPool) pool = NULL;
    g_autofree char *sentence = NULL, *adapters = NULL, *domains = NULL;
    ApmPoolRequest request = { .shape_adapters = 1, .shape_domains = 1 };
    int code = EXIT_OK;
    char extra;

    if (shape && (sscanf(shape, "%ux%u%c", &request.shape_adapters, &request.shape_domains, &extra) != 2 ||
                  !request.shape_adapters || !request.shape_domains || request.shape_adapters > 256 ||
                  request.shape_domains > 256))
        return usage_error(_("--shape takes ADAPTERSxDOMAINS, each from 1 to 256 (1x1, 2x4), not '%s'"), shape);
    if (!count_option(args, &request.count, &code) ||
        !ids_option(g, args, "adapter", "adapter", &request.adapters, &code) ||
        !ids_option(g, args, "domain", "domain", &request.domains, &code))
        return code;
    request.control = apm_args_bool(args, "control-domains");
    pool = apm_pool_define(g->root, name, &request, &g->exec, outcome, &error);
    if (!pool)
        return report_error(g, error, outcome);
    adapters = apm_mask_format_list(&pool->adapters, APM_LIST_DECIMAL);
    domains = apm_mask_format_list(&pool->domains, APM_LIST_DECIMAL);
    sentence = g_strdup_printf(_("Pool %s defined, size %u: members of %ux%u from adapters %s and domains %s, each "
                                 "defined, autostarted and started"),
                               pool->name, pool->members->len, pool->shape_adapters, pool->shape_domains, adapters,
                               domains);
    return report_pool(g, pool, outcome, sentence);
}

int
cmd_pool_grow(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "pool");
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmPool) before = NULL, pool = NULL;
    g_autofree char *sentence = NULL;
    ApmMask adapters, domains;
    guint count;
    int code = EXIT_OK;

    if (!count_option(args, &count, &code) || !ids_option(g, args, "adapter", "adapter", &adapters, &code) ||
        !ids_option(g, args, "domain", "domain", &domains, &code))
        return code;
    before = apm_pool_read(g->root, name, &error);
    if (!before)
        return report_error(g, error, outcome);
    pool = apm_pool_grow(g->root, name, &adapters, &domains, count, &g->exec, outcome, &error);
    if (!pool)
        return report_error(g, error, outcome);
    sentence = g_strdup_printf(_("Pool %s grew: %u new, size %u"), pool->name,
                               pool->members->len - MIN(before->members->len, pool->members->len), pool->members->len);
    return report_pool(g, pool, outcome, sentence);
}

int
cmd_pool_shrink(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "pool");
    const GPtrArray *names = apm_args_strings(args, "member");
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmPool) before = NULL, pool = NULL;
    g_autoptr(GArray) uuids = g_array_new(FALSE, FALSE, sizeof(ApmUuid));
    g_autofree char *sentence = NULL;
    guint count;
    int code = EXIT_OK;

    if (!count_option(args, &count, &code))
        return code;
    if (!count && !names->len)
        return usage_error("%s", _("pool shrink needs --count N or --member UUID"));
    for (guint i = 0; i < names->len; i++) {
        ApmUuid u;

        if (!apm_uuid_parse(g_ptr_array_index(names, i), &u) &&
            !apm_devices_mdev_uuid(g_ptr_array_index(names, i), &u))
            return usage_error(_("--member takes an mdev's UUID or node device name, not '%s'"),
                               (char *) g_ptr_array_index(names, i));
        g_array_append_val(uuids, u);
    }
    before = apm_pool_read(g->root, name, &error);
    if (!before)
        return report_error(g, error, outcome);
    pool = apm_pool_shrink(g->root, name, count, uuids, &g->exec, outcome, &error);
    if (!pool)
        return report_error(g, error, outcome);
    sentence = g_strdup_printf(_("Pool %s shrank: %u stopped and undefined, size %u"), pool->name,
                               before->members->len - MIN(before->members->len, pool->members->len),
                               pool->members->len);
    return report_pool(g, pool, outcome, sentence);
}

int
cmd_pool_undefine(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "pool");
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;

    if (!apm_pool_undefine(g->root, name, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = g_strdup_printf(_("Pool %s undefined: its members stopped and undefined"), name);
    return report_pool(g, NULL, outcome, sentence);
}

/* The host and its pools, each pool file that cannot be read said as a warning */
static GPtrArray *
read_pools(const Globals *g)
{
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *pools = apm_pool_list(g->root, problems);

    for (guint i = 0; i < problems->len; i++)
        g_printerr(_("apmatrix: warning: %s\n"), (char *) g_ptr_array_index(problems, i));
    return pools;
}

int
cmd_pool_list(Globals *g, const ApmArgs *args)
{
    g_autoptr(GPtrArray) pools = NULL;
    g_autoptr(ApmHost) host = NULL;
    int code = EXIT_OK;

    (void) args;
    host = read_host_detail(g, APM_HOST_READ_ON_DEMAND, &code);
    if (!host)
        return code;
    pools = read_pools(g);
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_array(b);
        for (guint i = 0; i < pools->len; i++)
            add_pool_json(b, g_ptr_array_index(pools, i), host, FALSE);
        json_builder_end_array(b);
        print_json(b);
        return EXIT_OK;
    }
    printf(" %-20s %-8s %-6s %-6s %-12s %s\n", _("Name"), _("Members"), _("Free"), _("Shape"), _("Adapters"),
           _("Domains"));
    printf("%s\n", "------------------------------------------------------------------------");
    for (guint i = 0; i < pools->len; i++) {
        const ApmPool *p = g_ptr_array_index(pools, i);
        g_autofree char *adapters = apm_mask_format_list(&p->adapters, APM_LIST_DECIMAL);
        g_autofree char *domains = apm_mask_format_list(&p->domains, APM_LIST_DECIMAL);
        g_autofree char *shape = g_strdup_printf("%ux%u", p->shape_adapters, p->shape_domains);

        printf(" %-20s %-8u %-6u %-6s %-12s %s\n", p->name, p->members->len, apm_pool_free_count(host, p), shape,
               adapters, domains);
    }
    return EXIT_OK;
}

int
cmd_pool_show(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "pool");
    g_autoptr(ApmPool) pool = NULL;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *adapters = NULL, *domains = NULL;
    int code = EXIT_OK;

    pool = apm_pool_read(g->root, name, &error);
    if (!pool)
        return report_error(g, error, NULL);
    host = read_host_with_guests(g, FALSE, &code);
    if (!host)
        return code;
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        add_pool_json(b, pool, host, TRUE);
        print_json(b);
        return EXIT_OK;
    }
    adapters = apm_mask_format_list(&pool->adapters, APM_LIST_DECIMAL);
    domains = apm_mask_format_list(&pool->domains, APM_LIST_DECIMAL);
    printf("%-16s %s\n", _("Name:"), pool->name);
    printf("%-16s %ux%u%s\n", _("Shape:"), pool->shape_adapters, pool->shape_domains,
           pool->control ? _(" (control domains follow the usage domains)") : "");
    printf("%-16s %s\n", _("Adapters:"), adapters);
    printf("%-16s %s\n", _("Domains:"), domains);
    printf("%-16s %u\n", _("Members:"), pool->members->len);
    printf("%-16s %u\n\n", _("Free:"), apm_pool_free_count(host, pool));
    printf(" %-36s %-10s %-9s %s\n", _("UUID"), _("State"), _("Guest"), _("APQNs"));
    printf("%s\n", "------------------------------------------------------------------------");
    for (guint i = 0; i < pool->members->len; i++) {
        const ApmPoolMember *m = &g_array_index(pool->members, ApmPoolMember, i);
        const char *guest = NULL;
        ApmPoolMemberState state = apm_pool_member_state(host, m, &guest);
        g_autofree char *apqns = member_apqns(m);
        char uuid[APM_UUID_TEXT_LEN + 1];

        printf(" %-36s %-10s %-9s %s\n", apm_uuid_format(&m->uuid, uuid), apm_pool_member_state_name(state),
               guest ? (*guest ? guest : "?") : "-", apqns);
    }
    return EXIT_OK;
}

/* ---- export nova --------------------------------------------------------------------------------------- */

/* The crypto kind of a card as a Nova trait: CUSTOM_APMATRIX_CEX8_CCA (generation from the zcrypt type, or the
 * hardware type when no zcrypt driver named it; the mode from the card's MODE). NULL when the card says neither. */
static char *
card_trait(const ApmCardInfo *card)
{
    static const char *const generations[] = { [10] = "CEX4", [11] = "CEX5", [12] = "CEX6", [13] = "CEX7",
                                               [14] = "CEX8" };
    g_autofree char *generation = NULL, *mode = NULL, *trait = NULL;

    if (card->type && g_str_has_prefix(card->type, "CEX")) {
        gsize n = strlen(card->type);

        /* CEX8C, CEX8P, CEX8A: the generation, then the kind the zcrypt driver saw */
        generation = g_strndup(card->type, g_ascii_isalpha(card->type[n - 1]) ? n - 1 : n);
    } else if (card->hwtype < G_N_ELEMENTS(generations) && generations[card->hwtype]) {
        generation = g_strdup(generations[card->hwtype]);
    } else {
        generation = g_strdup_printf("HWTYPE%u", card->hwtype);
    }
    if (!card->mode || !*card->mode)
        return NULL;
    mode = g_ascii_strup(card->mode, -1);
    trait = g_strdup_printf("CUSTOM_APMATRIX_%s_%s", generation, mode);
    for (char *c = trait; *c; c++)
        if (!g_ascii_isalnum(*c) && *c != '_')
            *c = '_';
    return g_steal_pointer(&trait);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

int
cmd_export_nova(Globals *g, const ApmArgs *args)
{
    const char *output = apm_args_string(args, "output");
    gboolean inventories = apm_args_bool(args, "inventories");
    g_autoptr(GPtrArray) pools = NULL;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GPtrArray) traits = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) out = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    ApmMask adapters;
    int code = EXIT_OK;

    host = read_host(g, &code);
    if (!host)
        return code;
    pools = read_pools(g);
    if (!pools->len) {
        g_set_error_literal(&error, APM_ERROR, APM_ERROR_NOT_FOUND,
                            _("No pool is defined on this host, so it offers no crypto to Nova; define one with "
                              "apmatrix pool define"));
        return report_error(g, error, NULL);
    }
    /* the crypto the pools hand out: the kind of every card they carve */
    apm_mask_clear_all(&adapters);
    for (guint i = 0; i < pools->len; i++) {
        const ApmPool *p = g_ptr_array_index(pools, i);
        g_autofree char *upper = apm_pool_name_upper(p->name);

        apm_mask_or(&adapters, &adapters, &p->adapters);
        g_ptr_array_add(traits, g_strdup_printf("CUSTOM_APMATRIX_POOL_%s", upper));
    }
    for (guint i = 0; i < host->cards->len; i++) {
        const ApmCardInfo *card = g_ptr_array_index(host->cards, i);
        g_autofree char *trait = apm_mask_test(&adapters, card->id) ? card_trait(card) : NULL;
        gboolean known = FALSE;

        for (guint k = 0; trait && k < traits->len && !known; k++)
            known = g_str_equal(g_ptr_array_index(traits, k), trait);
        if (trait && !known)
            g_ptr_array_add(traits, g_steal_pointer(&trait));
    }
    g_ptr_array_sort(traits, compare_strings);

    g_string_append(out, "# Nova provider configuration (schema 1.0) for the AP crypto of this compute node, written\n"
                         "# by apmatrix export nova. Nova reads it at nova-compute start from\n"
                         "# [compute] provider_config_location (default /etc/nova/provider_config/).\n");
    for (guint i = 0; i < pools->len; i++) {
        const ApmPool *p = g_ptr_array_index(pools, i);

        g_string_append_printf(out, "# pool %s: %u members of %ux%u, %u free now\n", p->name, p->members->len,
                               p->shape_adapters, p->shape_domains, apm_pool_free_count(host, p));
    }
    g_string_append(out, "meta:\n  schema_version: '1.0'\nproviders:\n  - identification:\n"
                         "      uuid: $COMPUTE_NODE\n");
    if (inventories) {
        g_string_append(out, "    inventories:\n      additional:\n");
        for (guint i = 0; i < pools->len; i++) {
            const ApmPool *p = g_ptr_array_index(pools, i);
            g_autofree char *upper = apm_pool_name_upper(p->name);

            /* one member a guest: QEMU takes one vfio-ap device per guest */
            g_string_append_printf(out,
                                   "        - CUSTOM_APMATRIX_POOL_%s:\n            total: %u\n            reserved: 0\n"
                                   "            min_unit: 1\n            max_unit: 1\n            step_size: 1\n"
                                   "            allocation_ratio: 1.0\n",
                                   upper, p->members->len);
        }
    }
    g_string_append(out, "    traits:\n      additional:\n");
    for (guint i = 0; i < traits->len; i++)
        g_string_append_printf(out, "        - %s\n", (char *) g_ptr_array_index(traits, i));

    if (!output) {
        fputs(out->str, stdout);
        return EXIT_OK;
    }
    if (!apm_file_write_atomic(output, out->str, out->len, 0644, &error))
        return report_error(g, error, NULL);
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "output");
        json_builder_add_string_value(b, output);
        add_strings(b, "traits", traits);
        json_builder_end_object(b);
        print_json(b);
    } else {
        printf(_("Nova provider configuration written to %s\n"), output);
    }
    return EXIT_OK;
}
