/* apm-pool.c: crypto pools, carved into mdev definitions of one shape */
#include "config.h"
#include "apm-pool.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-file.h"
#include "apm-i18n.h"
#include "apm-jsonio.h"
#include "apm-planner.h"
#include "apm-store.h"
#include "apm-sysfs.h"

#define POOL_FILE_MAX (1024 * 1024)

ApmPool *
apm_pool_new(const char *name)
{
    ApmPool *pool = g_new0(ApmPool, 1);

    pool->name = g_strdup(name);
    pool->shape_adapters = pool->shape_domains = 1;
    pool->members = g_array_new(FALSE, TRUE, sizeof(ApmPoolMember));
    return pool;
}

void
apm_pool_free(ApmPool *pool)
{
    if (!pool)
        return;
    g_free(pool->name);
    g_array_unref(pool->members);
    g_free(pool);
}

gboolean
apm_pool_name_check(const char *name, GError **error)
{
    gsize n = strlen(name);

    if (n == 0 || n > APM_POOL_NAME_MAX || !g_ascii_isalnum(name[0])) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("'%s' is not a pool name: 1 to %d letters, digits, '_' and '-', starting with a letter or "
                      "a digit"),
                    name, APM_POOL_NAME_MAX);
        return FALSE;
    }
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isalnum(name[i]) && name[i] != '_' && name[i] != '-') {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("'%s' is not a pool name: '%c' is not a letter, a digit, '_' or '-'"), name, name[i]);
            return FALSE;
        }
    return TRUE;
}

char *
apm_pool_name_upper(const char *name)
{
    char *upper = g_ascii_strup(name, -1);

    g_strdelimit(upper, "-", '_');
    return upper;
}

/* ---- the file ------------------------------------------------------------------------------------------ */

static char *
pool_path(const char *root, const char *name)
{
    g_autofree char *dir = apm_root_path(root, APM_POOL_DIR);
    g_autofree char *file = g_strconcat(name, ".json", NULL);

    return g_build_filename(dir, file, NULL);
}

static void
add_list(JsonBuilder *b, const char *member, const ApmMask *mask)
{
    g_autofree char *text = apm_mask_format_list(mask, APM_LIST_DECIMAL);

    json_builder_set_member_name(b, member);
    json_builder_add_string_value(b, text);
}

static char *
pool_format(const ApmPool *pool)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *shape = g_strdup_printf("%ux%u", pool->shape_adapters, pool->shape_domains);
    char *text, *out;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, pool->name);
    add_list(b, "adapters", &pool->adapters);
    add_list(b, "domains", &pool->domains);
    json_builder_set_member_name(b, "control-domains");
    json_builder_add_boolean_value(b, pool->control);
    json_builder_set_member_name(b, "shape");
    json_builder_add_string_value(b, shape);
    json_builder_set_member_name(b, "members");
    json_builder_begin_array(b);
    for (guint i = 0; i < pool->members->len; i++) {
        const ApmPoolMember *m = &g_array_index(pool->members, ApmPoolMember, i);
        char uuid[APM_UUID_TEXT_LEN + 1];

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "uuid");
        json_builder_add_string_value(b, apm_uuid_format(&m->uuid, uuid));
        add_list(b, "adapters", &m->matrix.adapters);
        add_list(b, "domains", &m->matrix.domains);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    text = apm_json_builder_write(b, TRUE);
    out = g_strconcat(text, "\n", NULL);
    g_free(text);
    return out;
}

static gboolean
parse_list(JsonObject *o, const char *member, ApmMask *out, const char *path, GError **error)
{
    const char *text = apm_json_member_string(o, member);
    g_autoptr(GError) local = NULL;

    if (!text || !apm_mask_parse_list(text, 255, member, out, &local)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s: \"%s\" is not a list of IDs%s%s"), path, member,
                    local ? ": " : "", local ? local->message : "");
        return FALSE;
    }
    return TRUE;
}

static ApmPool *
pool_parse(const char *text, gsize length, const char *name, const char *path, GError **error)
{
    g_autoptr(JsonNode) node = apm_json_parse(text, (gssize) length, error);
    g_autoptr(ApmPool) pool = NULL;
    JsonObject *o;
    JsonArray *members;
    const char *shape, *stored_name;
    guint sa = 0, sd = 0;
    char extra;

    if (!node) {
        g_prefix_error(error, "%s: ", path);
        return NULL;
    }
    o = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
    stored_name = o ? apm_json_member_string(o, "name") : NULL;
    if (!stored_name || !g_str_equal(stored_name, name)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s: not the record of pool %s (its \"name\" differs)"),
                    path, name);
        return NULL;
    }
    pool = apm_pool_new(name);
    shape = apm_json_member_string(o, "shape");
    if (!shape || sscanf(shape, "%ux%u%c", &sa, &sd, &extra) != 2 || !sa || !sd || sa > 256 || sd > 256) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s: \"shape\" is not ADAPTERSxDOMAINS"), path);
        return NULL;
    }
    pool->shape_adapters = sa;
    pool->shape_domains = sd;
    if (!parse_list(o, "adapters", &pool->adapters, path, error) ||
        !parse_list(o, "domains", &pool->domains, path, error))
        return NULL;
    pool->control = json_object_has_member(o, "control-domains") &&
                    json_object_get_boolean_member_with_default(o, "control-domains", FALSE);
    members = apm_json_member_array(o, "members");
    if (!members) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s: \"members\" is not a list"), path);
        return NULL;
    }
    for (guint i = 0; i < json_array_get_length(members); i++) {
        JsonObject *mo = apm_json_element_object(members, i);
        const char *uuid = mo ? apm_json_member_string(mo, "uuid") : NULL;
        ApmPoolMember m = { 0 };

        if (!uuid || !apm_uuid_parse(uuid, &m.uuid)) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s: member %u has no UUID"), path, i + 1);
            return NULL;
        }
        if (!parse_list(mo, "adapters", &m.matrix.adapters, path, error) ||
            !parse_list(mo, "domains", &m.matrix.domains, path, error))
            return NULL;
        if (pool->control)
            m.matrix.control_domains = m.matrix.domains;
        g_array_append_val(pool->members, m);
    }
    return g_steal_pointer(&pool);
}

ApmPool *
apm_pool_read(const char *root, const char *name, GError **error)
{
    g_autofree char *path = NULL;
    g_autofree char *text = NULL;
    gsize length;

    if (!apm_pool_name_check(name, error))
        return NULL;
    path = pool_path(root, name);
    text = apm_file_read_untrusted(path, POOL_FILE_MAX, APM_FILE_ANY_OWNER, &length, error);
    if (!text) {
        if (error && *error && (*error)->code == APM_ERROR_NOT_FOUND && (*error)->domain == APM_ERROR) {
            g_clear_error(error);
            g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("Pool '%s' not found"), name);
        }
        return NULL;
    }
    return pool_parse(text, length, name, path, error);
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    return strcmp((*(ApmPool *const *) a)->name, (*(ApmPool *const *) b)->name);
}

GPtrArray *
apm_pool_list(const char *root, GPtrArray *problems)
{
    g_autofree char *dir = apm_root_path(root, APM_POOL_DIR);
    GPtrArray *pools = g_ptr_array_new_with_free_func((GDestroyNotify) apm_pool_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *file;

    while (d && (file = g_dir_read_name(d))) {
        g_autofree char *name = NULL;
        g_autoptr(GError) error = NULL;
        ApmPool *pool;

        /* NAME.json; the hidden temporary files of a writer that was killed are not pools */
        if (file[0] == '.' || !g_str_has_suffix(file, ".json"))
            continue;
        name = g_strndup(file, strlen(file) - 5);
        if (!apm_pool_name_check(name, NULL))
            continue;
        pool = apm_pool_read(root, name, &error);
        if (pool)
            g_ptr_array_add(pools, pool);
        else if (problems)
            g_ptr_array_add(problems, g_strdup(error->message));
    }
    g_ptr_array_sort(pools, by_name);
    return pools;
}

static gboolean
pool_write(const char *root, const ApmPool *pool, GError **error)
{
    g_autofree char *dir = apm_root_path(root, APM_POOL_DIR);
    g_autofree char *path = pool_path(root, pool->name);
    g_autofree char *text = pool_format(pool);
    struct stat st;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot create %s"), dir);
        return FALSE;
    }
    if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("%s is not a folder (a symbolic link or something else is there); pools are kept in a folder "
                      "of their own"), dir);
        return FALSE;
    }
    return apm_file_write_atomic(path, text, strlen(text), 0644, error);
}

static void
pool_remove(const char *root, const char *name)
{
    g_autofree char *path = pool_path(root, name);

    unlink(path);
}

/* ---- members on the host ------------------------------------------------------------------------------- */

const ApmPool *
apm_pool_find_apqn(const GPtrArray *pools, ApmApqn apqn)
{
    for (guint i = 0; pools && i < pools->len; i++) {
        const ApmPool *p = g_ptr_array_index(pools, i);

        if (apm_mask_test(&p->adapters, apqn.adapter) && apm_mask_test(&p->domains, apqn.domain))
            return p;
    }
    return NULL;
}

const char *
apm_pool_member_state_name(ApmPoolMemberState state)
{
    static const char *const names[] = { "free", "held", "inactive", "missing", "differs" };

    return names[state];
}

static ApmMdevConfig *
member_config(const ApmPoolMember *m)
{
    ApmMdevConfig *config = apm_mdev_config_new(APM_POOL_MDEV_TYPE, TRUE);
    const struct {
        const char *attr;
        const ApmMask *ids;
    } parts[] = {
        { "assign_adapter", &m->matrix.adapters },
        { "assign_domain", &m->matrix.domains },
        { "assign_control_domain", &m->matrix.control_domains },
    };

    for (guint i = 0; i < G_N_ELEMENTS(parts); i++)
        APM_MASK_FOREACH(id, parts[i].ids) {
            char value[8];

            g_snprintf(value, sizeof(value), "0x%02x", id);
            apm_mdev_config_add_attr(config, parts[i].attr, value);
        }
    return config;
}

ApmPoolMemberState
apm_pool_member_state(const ApmHost *host, const ApmPoolMember *member, const char **guest)
{
    const ApmStoredDef *d = apm_host_definition(host, &member->uuid);
    const ApmMdevInfo *mdev = apm_host_mdev(host, &member->uuid);
    ApmMatrix defined;

    if (guest)
        *guest = NULL;
    if (mdev && (mdev->guest || apm_host_mdev_in_use(host, mdev))) {
        if (guest)
            *guest = mdev->guest ? mdev->guest : "";
        return APM_POOL_MEMBER_HELD;
    }
    if (!d)
        return APM_POOL_MEMBER_MISSING;
    if (!d->config->autostart || !g_str_equal(d->config->mdev_type, APM_POOL_MDEV_TYPE) ||
        !apm_matrix_from_config(d->config, &defined, NULL) || !apm_matrix_equal(&defined, &member->matrix))
        return APM_POOL_MEMBER_DIFFERS;
    if (!mdev)
        return APM_POOL_MEMBER_INACTIVE;
    if (!apm_matrix_equal(&mdev->matrix, &member->matrix))
        return APM_POOL_MEMBER_DIFFERS;
    return APM_POOL_MEMBER_FREE;
}

guint
apm_pool_free_count(const ApmHost *host, const ApmPool *pool)
{
    guint n = 0;

    for (guint i = 0; i < pool->members->len; i++)
        if (apm_pool_member_state(host, &g_array_index(pool->members, ApmPoolMember, i), NULL) ==
            APM_POOL_MEMBER_FREE)
            n++;
    return n;
}

/* ---- carving ------------------------------------------------------------------------------------------- */

/* The IDs of mask in groups of size, in ascending order: group k is the k-th size IDs. Leftovers form no group. */
static GArray *
groups_of(const ApmMask *mask, guint size)
{
    GArray *groups = g_array_new(FALSE, TRUE, sizeof(ApmMask));
    ApmMask group;
    guint in = 0;

    apm_mask_clear_all(&group);
    APM_MASK_FOREACH(id, mask) {
        apm_mask_set(&group, (guint) id);
        if (++in == size) {
            g_array_append_val(groups, group);
            apm_mask_clear_all(&group);
            in = 0;
        }
    }
    return groups;
}

/* Every block of the pool's shape, in the order members are carved: the domain groups outside, the adapter groups
 * inside, so that members that follow each other sit on other adapters (cards) */
static GArray *
pool_blocks(const ApmPool *pool)
{
    g_autoptr(GArray) a = groups_of(&pool->adapters, pool->shape_adapters);
    g_autoptr(GArray) d = groups_of(&pool->domains, pool->shape_domains);
    GArray *blocks = g_array_new(FALSE, TRUE, sizeof(ApmMatrix));

    for (guint j = 0; j < d->len; j++)
        for (guint i = 0; i < a->len; i++) {
            ApmMatrix m;

            apm_matrix_clear(&m);
            m.adapters = g_array_index(a, ApmMask, i);
            m.domains = g_array_index(d, ApmMask, j);
            if (pool->control)
                m.control_domains = m.domains;
            g_array_append_val(blocks, m);
        }
    return blocks;
}

static gboolean
block_taken(const ApmPool *pool, const ApmMatrix *block)
{
    for (guint i = 0; i < pool->members->len; i++) {
        const ApmPoolMember *m = &g_array_index(pool->members, ApmPoolMember, i);

        if (apm_mask_intersects(&m->matrix.adapters, &block->adapters) &&
            apm_mask_intersects(&m->matrix.domains, &block->domains))
            return TRUE;
    }
    return FALSE;
}

/* Why the APQNs of block cannot go to pool: another pool's, or another mdev's (active or defined), in words; NULL
 * when they are free */
static char *
block_conflict(const ApmHost *host, const GPtrArray *pools, const ApmPool *pool, const ApmMatrix *block)
{
    ApmApqnIter iter;
    ApmApqn apqn;
    char text[APM_UUID_TEXT_LEN + 1];

    apm_apqn_iter_init(&iter, &block->adapters, &block->domains);
    while (apm_apqn_iter_next(&iter, &apqn)) {
        const ApmPool *other = apm_pool_find_apqn(pools, apqn);

        if (other && !g_str_equal(other->name, pool->name))
            return g_strdup_printf(_("APQN %02x.%04x belongs to pool %s"), apqn.adapter, apqn.domain, other->name);
        for (guint i = 0; i < host->mdevs->len; i++) {
            const ApmMdevInfo *mdev = g_ptr_array_index(host->mdevs, i);
            g_autofree char *owner = NULL;

            if (!apm_matrix_has_apqn(&mdev->matrix, apqn))
                continue;
            owner = apm_plan_describe_owner(mdev);
            return g_strdup_printf(_("APQN %02x.%04x is assigned to %s"), apqn.adapter, apqn.domain, owner);
        }
        for (guint i = 0; i < host->definitions->len; i++) {
            const ApmStoredDef *d = g_ptr_array_index(host->definitions, i);
            ApmMatrix m;

            if (apm_matrix_from_config(d->config, &m, NULL) && apm_matrix_has_apqn(&m, apqn))
                return g_strdup_printf(_("APQN %02x.%04x is in the definition of mdev %s"), apqn.adapter,
                                       apqn.domain, apm_uuid_format(&d->uuid, text));
        }
    }
    return NULL;
}

/* ---- requests under the host config lock --------------------------------------------------------------- */

typedef struct {
    ApmExecSession exec; /* the lock and the snapshot (apm-exec.h) */
    GPtrArray *pools;    /* every pool, as the lock's holder read them */
    /* what was done, to take back when a later step fails: */
    GArray *defined;     /* ApmUuid: definitions written */
    GPtrArray *started;  /* ApmPlan: starts carried out */
} Session;

static void
session_end(Session *s)
{
    apm_exec_session_end(&s->exec);
    g_clear_pointer(&s->pools, g_ptr_array_unref);
    g_clear_pointer(&s->defined, g_array_unref);
    g_clear_pointer(&s->started, g_ptr_array_unref);
}

static gboolean
session_begin(Session *s, const char *root, const ApmExecOptions *options, ApmOutcome *outcome, GError **error)
{
    memset(s, 0, sizeof(*s));
    if (!apm_exec_session_begin(&s->exec, root, options, outcome->warnings, error))
        return FALSE;
    s->pools = apm_pool_list(root, NULL);
    s->defined = g_array_new(FALSE, FALSE, sizeof(ApmUuid));
    s->started = g_ptr_array_new_with_free_func((GDestroyNotify) apm_plan_free);
    return TRUE;
}

/* Takes back what the session did, last first: the starts (the mdevs removed), then the definitions written */
static void
session_take_back(Session *s)
{
    for (guint i = s->started->len; i-- > 0;)
        apm_exec_take_back(s->exec.root, g_ptr_array_index(s->started, i));
    for (guint i = s->defined->len; i-- > 0;)
        apm_store_remove(s->exec.root, &g_array_index(s->defined, ApmUuid, i), NULL);
}

static void
take_warnings(ApmOutcome *outcome, const ApmPlan *plan)
{
    for (guint i = 0; i < plan->warnings->len; i++)
        g_ptr_array_add(outcome->warnings, g_strdup(g_ptr_array_index(plan->warnings, i)));
}

/* Defines, then starts, a member: both planned and checked like nodedev-define and nodedev-start, and a member
 * whose guest would lack a queue of its block is refused (a pool hands out whole members) */
static gboolean
carve_member(Session *s, const ApmPool *pool, const ApmPoolMember *m, ApmOutcome *outcome, GError **error)
{
    g_autoptr(ApmMdevConfig) config = member_config(m);
    g_autoptr(ApmPlan) define = apm_plan_define(s->exec.host, &m->uuid, config, error);
    g_autoptr(ApmPlan) start = NULL;
    g_autofree char *apqns = NULL;
    char text[APM_UUID_TEXT_LEN + 1];

    if (!define || !apm_plan_check(define, error))
        goto refused;
    start = apm_plan_start(s->exec.host, &m->uuid, config, error);
    if (!start || !apm_plan_check(start, error))
        goto refused;
    if (!apm_mask_equal(&start->guest_matrix.adapters, &m->matrix.adapters) ||
        !apm_mask_equal(&start->guest_matrix.domains, &m->matrix.domains)) {
        g_autoptr(GString) why = g_string_new(NULL);

        for (guint i = 0; i < start->warnings->len; i++)
            g_string_append_printf(why, "%s%s", i ? "; " : "", (char *) g_ptr_array_index(start->warnings, i));
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT, _("A guest would not get every queue of the member: %s"),
                    why->str);
        goto refused;
    }
    take_warnings(outcome, define);
    if (!apm_store_write(s->exec.root, &m->uuid, config, error))
        return FALSE;
    g_array_append_val(s->defined, m->uuid);
    if (!apm_exec_plan(s->exec.root, start, &s->exec.options, outcome->differences, error))
        goto refused;
    g_ptr_array_add(s->started, g_steal_pointer(&start));
    return TRUE;

refused:
    apqns = apm_matrix_format_apqns_line(&m->matrix);
    g_prefix_error(error, _("Pool %s, member %s (APQNs %s): "), pool->name, apm_uuid_format(&m->uuid, text), apqns);
    return FALSE;
}

/* Carves up to count (0: every) free block of pool into new members: each checked and carried out in turn; the
 * pool record is written first, with every new member, so that a kill part way leaves members that check sees
 * missing, never mdevs that no pool claims. All or nothing otherwise. */
static gboolean
carve(Session *s, ApmPool *pool, const ApmPool *before, guint count, ApmOutcome *outcome, GError **error)
{
    g_autoptr(GArray) blocks = pool_blocks(pool);
    guint first = pool->members->len, wanted;

    for (guint i = 0; i < blocks->len && (!count || pool->members->len - first < count); i++) {
        const ApmMatrix *block = &g_array_index(blocks, ApmMatrix, i);
        g_autofree char *conflict = NULL;
        ApmPoolMember m;

        if (block_taken(pool, block))
            continue;
        if ((conflict = block_conflict(s->exec.host, s->pools, pool, block))) {
            g_autofree char *apqns = apm_matrix_format_apqns_line(block);

            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT, _("Pool %s cannot have APQNs %s: %s"), pool->name,
                        apqns, conflict);
            return FALSE;
        }
        m.matrix = *block;
        apm_uuid_generate(&m.uuid);
        g_array_append_val(pool->members, m);
    }
    wanted = pool->members->len - first;
    if (wanted == 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT, _("Pool %s has no room for another member of %ux%u"),
                    pool->name, pool->shape_adapters, pool->shape_domains);
        return FALSE;
    }
    if (count && wanted < count) {
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT, _("Pool %s has room for %u more members of %ux%u, not %u"),
                    pool->name, wanted, pool->shape_adapters, pool->shape_domains, count);
        return FALSE;
    }
    if (!pool_write(s->exec.root, pool, error))
        return FALSE;
    for (guint i = first; i < pool->members->len; i++)
        if (!carve_member(s, pool, &g_array_index(pool->members, ApmPoolMember, i), outcome, error)) {
            g_autoptr(GError) ignored = NULL;

            session_take_back(s);
            if (before)
                pool_write(s->exec.root, before, &ignored);
            else
                pool_remove(s->exec.root, pool->name);
            return FALSE;
        }
    return TRUE;
}

static gboolean
check_request(const ApmHost *host, const ApmMask *adapters, const ApmMask *domains, GError **error)
{
    if (apm_mask_last(adapters) > (int) host->max_adapter_id || apm_mask_last(domains) > (int) host->max_domain_id) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("This host has adapters 0 to %u and domains 0 to %u only"), host->max_adapter_id,
                    host->max_domain_id);
        return FALSE;
    }
    return TRUE;
}

ApmPool *
apm_pool_define(const char *root, const char *name, const ApmPoolRequest *request, const ApmExecOptions *options,
                ApmOutcome *outcome, GError **error)
{
    g_autoptr(ApmPool) pool = NULL;
    g_autofree char *upper = NULL;
    guint na = apm_mask_count(&request->adapters), nd = apm_mask_count(&request->domains);
    Session s;
    gboolean ok;

    if (!apm_pool_name_check(name, error))
        return NULL;
    if (!na || !nd || !request->shape_adapters || !request->shape_domains) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID,
                            _("A pool needs at least one adapter and one domain, and a shape of at least 1x1"));
        return NULL;
    }
    if (na % request->shape_adapters || nd % request->shape_domains) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("%u adapters and %u domains do not split into members of %u adapters x %u domains"), na, nd,
                    request->shape_adapters, request->shape_domains);
        return NULL;
    }
    if (!session_begin(&s, root, options, outcome, error))
        return NULL;
    upper = apm_pool_name_upper(name);
    for (guint i = 0; i < s.pools->len; i++) {
        const ApmPool *other = g_ptr_array_index(s.pools, i);
        g_autofree char *other_upper = apm_pool_name_upper(other->name);

        if (g_str_equal(other_upper, upper)) {
            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                        g_str_equal(other->name, name)
                            ? _("Pool '%s' exists already; grow it with pool grow")
                            : _("Pool '%s' has the same name for Nova as pool '%s' (CUSTOM_APMATRIX_POOL_%s)"),
                        name, other->name, upper);
            session_end(&s);
            return NULL;
        }
    }
    ok = check_request(s.exec.host, &request->adapters, &request->domains, error);
    if (ok) {
        pool = apm_pool_new(name);
        pool->adapters = request->adapters;
        pool->domains = request->domains;
        pool->control = request->control;
        pool->shape_adapters = request->shape_adapters;
        pool->shape_domains = request->shape_domains;
        ok = carve(&s, pool, NULL, request->count, outcome, error);
    }
    session_end(&s);
    return ok ? g_steal_pointer(&pool) : NULL;
}

/* The pool of name, as the session's holder read it, or NULL with APM_ERROR_NOT_FOUND */
static ApmPool *
session_pool(Session *s, const char *name, GError **error)
{
    if (!apm_pool_name_check(name, error))
        return NULL;
    for (guint i = 0; i < s->pools->len; i++) {
        ApmPool *p = g_ptr_array_index(s->pools, i);

        if (g_str_equal(p->name, name))
            return p;
    }
    return apm_pool_read(s->exec.root, name, error); /* not found, or why it cannot be read */
}

static ApmPool *
pool_copy(const ApmPool *pool)
{
    ApmPool *copy = apm_pool_new(pool->name);

    copy->adapters = pool->adapters;
    copy->domains = pool->domains;
    copy->control = pool->control;
    copy->shape_adapters = pool->shape_adapters;
    copy->shape_domains = pool->shape_domains;
    g_array_append_vals(copy->members, pool->members->data, pool->members->len);
    return copy;
}

ApmPool *
apm_pool_grow(const char *root, const char *name, const ApmMask *adapters, const ApmMask *domains, guint count,
              const ApmExecOptions *options, ApmOutcome *outcome, GError **error)
{
    g_autoptr(ApmPool) pool = NULL;
    const ApmPool *found;
    Session s;
    gboolean ok;

    if (!session_begin(&s, root, options, outcome, error))
        return NULL;
    found = session_pool(&s, name, error);
    ok = found && check_request(s.exec.host, adapters, domains, error);
    if (ok) {
        ApmMask a, d;

        pool = pool_copy(found);
        apm_mask_or(&a, &pool->adapters, adapters);
        apm_mask_or(&d, &pool->domains, domains);
        if (apm_mask_count(&a) % pool->shape_adapters || apm_mask_count(&d) % pool->shape_domains) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("%u adapters and %u domains do not split into members of %u adapters x %u domains"),
                        apm_mask_count(&a), apm_mask_count(&d), pool->shape_adapters, pool->shape_domains);
            ok = FALSE;
        } else {
            pool->adapters = a;
            pool->domains = d;
            ok = carve(&s, pool, found, count, outcome, error);
        }
    }
    session_end(&s);
    return ok ? g_steal_pointer(&pool) : NULL;
}

/* The refusal of a request because a guest has member m */
static void
refuse_held(GError **error, const ApmPool *pool, const ApmPoolMember *m, const char *guest, gboolean undefine)
{
    char text[APM_UUID_TEXT_LEN + 1];

    apm_uuid_format(&m->uuid, text);
    if (guest && *guest)
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                    undefine ? _("Pool %s cannot be undefined: its member %s is used by guest %s; detach it first")
                             : _("Pool %s cannot give up member %s: guest %s uses it; detach it first"),
                    pool->name, text, guest);
    else
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                    undefine ? _("Pool %s cannot be undefined: its member %s is used by a guest; detach it first")
                             : _("Pool %s cannot give up member %s: a guest uses it; detach it first"),
                    pool->name, text);
}

/* The pool without the members of indexes going (ascending or not) */
static void
drop_members(ApmPool *pool, const GArray *going, guint done)
{
    for (guint i = pool->members->len; i-- > 0;)
        for (guint k = 0; k < done; k++)
            if (g_array_index(going, guint, k) == i) {
                g_array_remove_index(pool->members, i);
                break;
            }
}

/* Stops (when active) and undefines a member; a definition that is not the member's is left alone */
static gboolean
remove_member(Session *s, const ApmPoolMember *m, ApmOutcome *outcome, GError **error)
{
    if (apm_host_mdev(s->exec.host, &m->uuid)) {
        g_autoptr(ApmPlan) stop = apm_plan_stop(s->exec.host, &m->uuid);

        if (!apm_plan_check(stop, error) || !apm_exec_plan(s->exec.root, stop, &s->exec.options, outcome->differences, error))
            return FALSE;
    }
    if (apm_host_definition(s->exec.host, &m->uuid)) {
        g_autoptr(GError) local = NULL;

        if (!apm_store_remove(s->exec.root, &m->uuid, &local) && local->code != APM_ERROR_NOT_FOUND) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
    }
    return TRUE;
}

ApmPool *
apm_pool_shrink(const char *root, const char *name, guint count, const GArray *uuids, const ApmExecOptions *options,
                ApmOutcome *outcome, GError **error)
{
    g_autoptr(ApmPool) pool = NULL;
    g_autoptr(GArray) going = g_array_new(FALSE, FALSE, sizeof(guint)); /* indexes of the members that go */
    const ApmPool *found;
    Session s;
    gboolean ok = TRUE;

    if (!session_begin(&s, root, options, outcome, error))
        return NULL;
    found = session_pool(&s, name, error);
    if (!found) {
        session_end(&s);
        return NULL;
    }
    pool = pool_copy(found);
    if (uuids && uuids->len) {
        for (guint k = 0; k < uuids->len && ok; k++) {
            const ApmUuid *u = &g_array_index(uuids, ApmUuid, k);
            guint i;
            char text[APM_UUID_TEXT_LEN + 1];

            for (i = 0; i < pool->members->len; i++)
                if (apm_uuid_equal(&g_array_index(pool->members, ApmPoolMember, i).uuid, u))
                    break;
            if (i == pool->members->len) {
                g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("mdev %s is not a member of pool %s"),
                            apm_uuid_format(u, text), name);
                ok = FALSE;
            } else {
                const char *guest;

                if (apm_pool_member_state(s.exec.host, &g_array_index(pool->members, ApmPoolMember, i), &guest) ==
                    APM_POOL_MEMBER_HELD) {
                    refuse_held(error, pool, &g_array_index(pool->members, ApmPoolMember, i), guest, FALSE);
                    ok = FALSE;
                } else {
                    g_array_append_val(going, i);
                }
            }
        }
    } else {
        /* the last free members first: a pool shrinks from where it grew */
        for (guint i = pool->members->len; i-- > 0 && going->len < count;)
            if (apm_pool_member_state(s.exec.host, &g_array_index(pool->members, ApmPoolMember, i), NULL) !=
                APM_POOL_MEMBER_HELD)
                g_array_append_val(going, i);
        if (going->len < count) {
            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                        _("Pool %s has %u members that no guest uses, not %u: a member a guest uses is not taken"),
                        name, going->len, count);
            ok = FALSE;
        }
    }
    if (ok) {
        guint done = 0;
        g_autoptr(GError) ignored = NULL;

        while (ok && done < going->len)
            if ((ok = remove_member(&s, &g_array_index(pool->members, ApmPoolMember, g_array_index(going, guint, done)),
                                    outcome, error)))
                done++;
        /* the record last (a kill before it leaves members check sees missing); after a failure, the record of what
         * is left */
        drop_members(pool, going, done);
        if (ok)
            ok = pool_write(root, pool, error);
        else if (done)
            pool_write(root, pool, &ignored);
    }
    session_end(&s);
    return ok ? g_steal_pointer(&pool) : NULL;
}

gboolean
apm_pool_undefine(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                  GError **error)
{
    const ApmPool *pool;
    Session s;
    gboolean ok = TRUE;

    if (!session_begin(&s, root, options, outcome, error))
        return FALSE;
    pool = session_pool(&s, name, error);
    if (!pool) {
        session_end(&s);
        return FALSE;
    }
    for (guint i = 0; i < pool->members->len && ok; i++) {
        const ApmPoolMember *m = &g_array_index(pool->members, ApmPoolMember, i);
        const char *guest;

        if (apm_pool_member_state(s.exec.host, m, &guest) == APM_POOL_MEMBER_HELD) {
            refuse_held(error, pool, m, guest, TRUE);
            ok = FALSE;
        }
    }
    if (ok) {
        g_autoptr(ApmPool) left = pool_copy(pool);
        g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(guint));
        g_autoptr(GError) ignored = NULL;
        guint done = 0;

        for (guint i = 0; i < pool->members->len; i++)
            g_array_append_val(all, i);
        while (ok && done < all->len)
            if ((ok = remove_member(&s, &g_array_index(pool->members, ApmPoolMember, done), outcome, error)))
                done++;
        if (ok) {
            pool_remove(root, name);
        } else if (done) {
            drop_members(left, all, done);
            pool_write(root, left, &ignored);
        }
    }
    session_end(&s);
    return ok;
}
