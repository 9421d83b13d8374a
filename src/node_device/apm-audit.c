/* apm-audit.c: the checks of `apmatrix check`, each with its fix */
#include "config.h"
#include "apm-audit.h"

#include "apm-apqn.h"
#include "apm-hostmask.h"
#include "apm-i18n.h"
#include "apm-pool.h"
#include "apm-lockfile.h"
#include "apm-map.h"
#include "apm-nodedev.h"
#include "apm-ondemand.h"
#include "apm-planner.h"
#include "apm-store.h"
#include "apm-sysfs.h"

void
apm_finding_free(ApmFinding *f)
{
    if (!f)
        return;
    g_free(f->subject);
    g_free(f->message);
    g_free(f->fix);
    g_free(f);
}

static void G_GNUC_PRINTF(5, 6)
add(GPtrArray *findings, const char *kind, ApmSeverity severity, char *fix, const char *format, ...)
{
    ApmFinding *f = g_new0(ApmFinding, 1);
    va_list ap;

    va_start(ap, format);
    f->message = g_strdup_vprintf(format, ap);
    va_end(ap);
    f->kind = kind;
    f->severity = severity;
    f->fix = fix;
    g_ptr_array_add(findings, f);
}

static void
set_subject(GPtrArray *findings, const char *subject)
{
    ApmFinding *f = g_ptr_array_index(findings, findings->len - 1);

    f->subject = g_strdup(subject);
}

/* a host path as the administrator types it: under the root when there is one */
static char *
host_path(const ApmHost *host, const char *path)
{
    return g_str_equal(host->root, "/") ? g_strdup(path) : g_build_filename(host->root, path, NULL);
}

static const ApmCardInfo *
card_of(const ApmHost *host, int id)
{
    for (guint i = 0; i < host->cards->len; i++) {
        const ApmCardInfo *c = g_ptr_array_index(host->cards, i);

        if ((int) c->id == id)
            return c;
    }
    return NULL;
}

/* the command that configures a deconfigured card again */
static char *
card_config_fix(const ApmHost *host, guint id)
{
    g_autofree char *rel = g_strdup_printf("/sys/bus/ap/devices/card%02x/config", id);
    g_autofree char *path = host_path(host, rel);

    return g_strdup_printf("echo 1 > %s", path);
}

static char *
apqn_list(GArray *indexes)
{
    return apm_apqn_format_ranges((guint *) (void *) indexes->data, indexes->len);
}

static char *
ids(const ApmMask *mask)
{
    return apm_mask_format_list(mask, APM_LIST_HEX);
}

/* ---- definitions ---------------------------------------------------------------------------------------- */

/* Autostart definitions that share APQNs: only the first to start at boot gets them (ap-check's rule) */
static void
check_autostart_overlap(const ApmHost *host, GPtrArray *findings)
{
    g_autofree guint *first = g_new0(guint, 256 * 256); /* 1 + index of the first autostart definition */
    g_autoptr(GHashTable) pairs = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                                         (GDestroyNotify) g_array_unref);
    g_autoptr(GArray) order = g_array_new(FALSE, FALSE, sizeof(gint64));

    for (guint i = 0; i < host->definitions->len; i++) {
        const ApmStoredDef *def = g_ptr_array_index(host->definitions, i);
        ApmMatrix matrix;
        ApmApqnIter iter;
        ApmApqn apqn;

        if (!def->config->autostart || !apm_matrix_from_config(def->config, &matrix, NULL))
            continue;
        apm_apqn_iter_init(&iter, &matrix.adapters, &matrix.domains);
        while (apm_apqn_iter_next(&iter, &apqn)) {
            guint index = apm_apqn_index(apqn);
            gint64 key;
            GArray *shared;

            if (!first[index]) {
                first[index] = i + 1;
                continue;
            }
            key = (gint64) (first[index] - 1) << 32 | i;
            shared = g_hash_table_lookup(pairs, &key);
            if (!shared) {
                shared = g_array_new(FALSE, FALSE, sizeof(guint));
                g_hash_table_insert(pairs, g_memdup2(&key, sizeof(key)), shared);
                g_array_append_val(order, key);
            }
            g_array_append_val(shared, index);
        }
    }
    for (guint k = 0; k < order->len; k++) {
        gint64 key = g_array_index(order, gint64, k);
        const ApmStoredDef *a = g_ptr_array_index(host->definitions, key >> 32);
        const ApmStoredDef *b = g_ptr_array_index(host->definitions, key & 0xffffffff);
        g_autofree char *list = apqn_list(g_hash_table_lookup(pairs, &key));
        g_autofree char *name = apm_nodedev_mdev_name(&b->uuid);
        char ua[APM_UUID_TEXT_LEN + 1], ub[APM_UUID_TEXT_LEN + 1];

        add(findings, "autostart-overlap", APM_FINDING_ERROR,
            g_strdup_printf("apmatrix nodedev-autostart %s --disable", name),
            _("The autostart definitions of mdevs %s and %s share APQNs %s: at boot only the first to start gets "
              "them, and the other fails"),
            apm_uuid_format(&a->uuid, ua), apm_uuid_format(&b->uuid, ub), list);
        set_subject(findings, ub);
    }
}

/* The mask change that keeps the given APQNs from the host moving the fewest other host queues: their
 * adapters out of apmask, or their domains out of aqmask */
static char *
mask_fix(const ApmHost *host, const ApmMask *apmask, const ApmMask *aqmask, const ApmMatrix *blocked,
         gboolean persistent)
{
    guint by_adapter = 0, by_domain = 0;
    g_autofree char *spec = NULL;
    ApmMask a, d;

    apm_mask_and(&a, &blocked->adapters, apmask);
    apm_mask_and(&d, &blocked->domains, aqmask);
    for (guint i = 0; i < host->queues->len; i++) {
        const ApmQueueInfo *q = g_ptr_array_index(host->queues, i);

        if (!apm_hostmask_owns(apmask, aqmask, q->apqn))
            continue;
        by_adapter += apm_mask_test(&a, q->apqn.adapter);
        by_domain += apm_mask_test(&d, q->apqn.domain);
    }
    if (!apm_mask_is_empty(&a) && (apm_mask_is_empty(&d) || by_adapter <= by_domain)) {
        spec = apm_mask_format_relative(&a, '-');
        return g_strdup_printf("apmatrix mask --apmask %s%s", spec, persistent ? " --persistent" : "");
    }
    spec = apm_mask_format_relative(&d, '-');
    return g_strdup_printf("apmatrix mask --aqmask %s%s", spec, persistent ? " --persistent" : "");
}

/* Autostart definitions whose APQNs the persistent masks give to the host: they cannot start at boot */
static void
check_persistent_masks(const ApmHost *host, GPtrArray *findings)
{
    for (guint i = 0; i < host->definitions->len; i++) {
        const ApmStoredDef *def = g_ptr_array_index(host->definitions, i);
        g_autoptr(GArray) blocked = g_array_new(FALSE, FALSE, sizeof(guint));
        g_autofree char *list = NULL;
        char uuid[APM_UUID_TEXT_LEN + 1];
        ApmMatrix matrix, hit;
        ApmApqnIter iter;
        ApmApqn apqn;

        if (!def->config->autostart || !apm_matrix_from_config(def->config, &matrix, NULL))
            continue;
        apm_matrix_clear(&hit);
        apm_apqn_iter_init(&iter, &matrix.adapters, &matrix.domains);
        while (apm_apqn_iter_next(&iter, &apqn)) {
            guint index = apm_apqn_index(apqn);

            if (!apm_hostmask_owns(&host->persistent_apmask, &host->persistent_aqmask, apqn))
                continue;
            g_array_append_val(blocked, index);
            apm_mask_set(&hit.adapters, apqn.adapter);
            apm_mask_set(&hit.domains, apqn.domain);
        }
        if (blocked->len == 0)
            continue;
        list = apqn_list(blocked);
        add(findings, "persistent-mask-blocks", APM_FINDING_ERROR,
            mask_fix(host, &host->persistent_apmask, &host->persistent_aqmask, &hit, TRUE),
            _("The autostart definition of mdev %s cannot start at boot: the persistent masks (%s) give APQNs %s to "
              "the host's default drivers"),
            apm_uuid_format(&def->uuid, uuid),
            host->persistent_masks_from ? host->persistent_masks_from : _("the live masks, no 41-ap.rules"), list);
        set_subject(findings, uuid);
    }
}

/* Definitions with adapters or domains outside the host configuration: nothing of those reaches a guest */
static void
check_definitions_configured(const ApmHost *host, GPtrArray *findings)
{
    for (guint i = 0; i < host->definitions->len; i++) {
        const ApmStoredDef *def = g_ptr_array_index(host->definitions, i);
        g_autofree char *a = NULL, *d = NULL, *fix = NULL;
        char uuid[APM_UUID_TEXT_LEN + 1];
        ApmMask missing_a, missing_d;
        ApmMatrix matrix;

        if (!apm_matrix_from_config(def->config, &matrix, NULL))
            continue;
        apm_mask_andnot(&missing_a, &matrix.adapters, &host->qci.adapters);
        apm_mask_andnot(&missing_d, &matrix.domains, &host->qci.domains);
        if (apm_mask_is_empty(&missing_a) && apm_mask_is_empty(&missing_d))
            continue;
        a = ids(&missing_a);
        d = ids(&missing_d);
        apm_uuid_format(&def->uuid, uuid);
        /* a card that is there but deconfigured comes back with its config attribute; the rest is the LPAR's */
        for (guint k = 0; k < host->cards->len && !fix; k++) {
            const ApmCardInfo *c = g_ptr_array_index(host->cards, k);

            if (apm_mask_test(&missing_a, c->id) && !c->config)
                fix = card_config_fix(host, c->id);
        }
        if (!fix)
            fix = g_strdup_printf(_("add adapters %s and domains %s to the LPAR's crypto configuration (HMC/SE "
                                    "activation profile), or take them out of the definition (apmatrix "
                                    "nodedev-define)"),
                                  *a ? a : "-", *d ? d : "-");
        add(findings, "definition-not-configured", APM_FINDING_WARNING, g_steal_pointer(&fix),
            _("The definition of mdev %s names adapters %s and domains %s that are not in the host's AP "
              "configuration: no guest gets their APQNs until they are"),
            uuid, *a ? a : "-", *d ? d : "-");
        set_subject(findings, uuid);
    }
}

/* What the host snapshot could not read, or read in no form the kernel writes (a missing mask, a rules file that is
 * a link or holds no mask the kernel would take): the view of the host is incomplete there. The definition files
 * have their own finding. */
static void
check_read_problems(const ApmHost *host, GPtrArray *findings)
{
    for (guint i = 0; host->problems && i < host->problems->len; i++) {
        const char *problem = g_ptr_array_index(host->problems, i);

        if (strstr(problem, APM_STORE_DIR "/"))
            continue;
        add(findings, "host-unreadable", APM_FINDING_WARNING,
            g_strdup(_("make the file or attribute named readable and in the kernel's form, then check again")),
            _("Part of the host could not be read, so what apmatrix shows of it may be wrong: %s"), problem);
    }
}

/* Definition files that mdevctl and apmatrix cannot read */
static void
check_corrupt_definitions(const ApmHost *host, GPtrArray *findings)
{
    g_autoptr(GPtrArray) names = apm_sysfs_list(host->root, APM_STORE_DIR, NULL);

    for (guint i = 0; names && i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autoptr(GError) why = NULL;
        g_autoptr(ApmMdevConfig) config = NULL;
        ApmUuid uuid;

        if (!apm_uuid_parse(name, &uuid) || apm_host_definition(host, &uuid))
            continue;
        if ((config = apm_store_read(host->root, &uuid, &why)))
            continue; /* written between the snapshot and now */
        g_autofree char *rel = g_build_filename(APM_STORE_DIR, name, NULL);
        g_autofree char *path = host_path(host, rel);

        add(findings, "corrupt-definition", APM_FINDING_ERROR,
            g_strdup_printf(_("rm %s, or write it anew with apmatrix nodedev-define"), path),
            _("The definition file of mdev %s cannot be read: %s"), name, why->message);
        set_subject(findings, name);
    }
}

/* ---- the running host ----------------------------------------------------------------------------------- */

/* Active mdevs whose guest lacks APQNs of their matrix, with the kernel's reason */
static void
check_guests(const ApmHost *host, GPtrArray *findings)
{
    g_autoptr(ApmMap) map = apm_map_new(host, NULL, NULL);

    for (guint i = 0; i < map->mdevs->len; i++) {
        const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);
        char uuid[APM_UUID_TEXT_LEN + 1];
        ApmMatrix unbound, unconfigured;
        g_autoptr(GString) reasons = g_string_new(NULL);
        g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autofree char *fix = NULL, *who = NULL;
        guint lacking = 0;

        apm_matrix_clear(&unbound);
        apm_matrix_clear(&unconfigured);
        APM_MASK_FOREACH(a, &mm->mdev->matrix.adapters) {
            APM_MASK_FOREACH(d, &mm->mdev->matrix.domains) {
                const ApmMapCell *cell = apm_map_cell(map, a, d);
                char *reason;

                if (cell->why == APM_WHY_NONE)
                    continue;
                lacking++;
                if (cell->why == APM_WHY_NOT_BOUND) {
                    apm_mask_set(&unbound.adapters, a);
                    apm_mask_set(&unbound.domains, d);
                } else if (cell->why == APM_WHY_NOT_CONFIGURED) {
                    apm_mask_set(&unconfigured.adapters, a);
                    apm_mask_set(&unconfigured.domains, d);
                }
                reason = apm_map_cell_reason(map, a, d);
                if (g_hash_table_add(seen, reason))
                    g_string_append_printf(reasons, "%s%s", reasons->len ? "; " : "", reason);
            }
        }
        if (!lacking)
            continue;
        apm_uuid_format(&mm->mdev->uuid, uuid);
        if (!apm_mask_is_empty(&unbound.adapters)) {
            /* queues the host's default drivers hold although assigned (a mask changed, a queue came back) */
            fix = mask_fix(host, &host->apmask, &host->aqmask, &unbound, FALSE);
        } else if (!apm_mask_is_empty(&unconfigured.adapters)) {
            ApmMask a;

            apm_mask_andnot(&a, &unconfigured.adapters, &host->qci.adapters);
            fix = !apm_mask_is_empty(&a) && card_of(host, apm_mask_next(&a, 0))
                      ? card_config_fix(host, apm_mask_next(&a, 0))
                      : g_strdup(_("add the adapters and domains to the LPAR's crypto configuration (HMC/SE), or "
                                   "unplug them from the mdev (apmatrix unplug)"));
        } else {
            fix = g_strdup(_("wait for the AP bus scan, then run apmatrix check again"));
        }
        who = mm->mdev->guest ? g_strdup_printf(_("Guest %s (mdev %s)"), mm->mdev->guest, uuid)
                              : g_strdup_printf(_("mdev %s"), uuid);
        add(findings, "guest-lacks-apqns", mm->attached ? APM_FINDING_ERROR : APM_FINDING_WARNING,
            g_steal_pointer(&fix), _("%s lacks %u of its %u APQNs: %s"), who, lacking, apm_matrix_apqn_count(&mm->mdev->matrix), reasons->str);
        set_subject(findings, uuid);
    }
}

/* Tries to add "+0xNN" for id to spec (a mask change in the kernel's relative form) such that the masks still give
 * nothing an mdev holds back to the host, as the kernel's in_use check sees it; keeps it when they do */
static void
try_return(const ApmHost *host, GString *apspec, GString *aqspec, GString *spec, guint id)
{
    gsize len = spec->len;
    g_autoptr(ApmMaskPlan) plan = NULL;

    g_string_append_printf(spec, "%s+0x%02x", len ? "," : "", id);
    plan = apm_hostmask_plan(host, apspec->len ? apspec->str : NULL, aqspec->len ? aqspec->str : NULL, FALSE, NULL);
    if (!plan || plan->refusals->len)
        g_string_truncate(spec, len);
}

/* Queues bound to vfio_ap that no mdev has: taken from the host for nothing. The fix gives back to the host as
 * many of them as the masks can give without an APQN an mdev holds. */
static void
check_unassigned(const ApmHost *host, GPtrArray *findings)
{
    g_autoptr(GArray) idle = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GString) apspec = g_string_new(NULL), aqspec = g_string_new(NULL);
    g_autoptr(ApmMaskPlan) plan = NULL;
    g_autofree char *list = NULL, *fix = NULL;
    ApmMask adapters, domains;
    guint returned = 0;

    apm_mask_clear_all(&adapters);
    apm_mask_clear_all(&domains);
    for (guint i = 0; i < host->queues->len; i++) {
        const ApmQueueInfo *q = g_ptr_array_index(host->queues, i);
        guint index = apm_apqn_index(q->apqn);

        if (q->driver != APM_DRIVER_VFIO_AP || apm_host_mdev_for_apqn(host, q->apqn))
            continue;
        g_array_append_val(idle, index);
        if (!apm_mask_test(&host->apmask, q->apqn.adapter))
            apm_mask_set(&adapters, q->apqn.adapter);
        if (!apm_mask_test(&host->aqmask, q->apqn.domain))
            apm_mask_set(&domains, q->apqn.domain);
    }
    if (idle->len == 0)
        return;
    /* domains first: a domain back to the host usually takes fewer queues from guests' reach than an adapter */
    APM_MASK_FOREACH(d, &domains) {
        try_return(host, apspec, aqspec, aqspec, d);
    }
    APM_MASK_FOREACH(a, &adapters) {
        try_return(host, apspec, aqspec, apspec, a);
    }
    plan = apm_hostmask_plan(host, apspec->len ? apspec->str : NULL, aqspec->len ? aqspec->str : NULL, FALSE, NULL);
    for (guint i = 0; plan && i < idle->len; i++) {
        guint index = g_array_index(idle, guint, i);

        returned += apm_hostmask_owns(&plan->new_apmask, &plan->new_aqmask, (ApmApqn) { index >> 8, index & 0xff });
    }
    if (returned == idle->len)
        fix = g_strdup_printf("apmatrix mask%s%s%s%s", apspec->len ? " --apmask " : "", apspec->str,
                              aqspec->len ? " --aqmask " : "", aqspec->str);
    else if (returned)
        fix = g_strdup_printf(_("apmatrix mask%s%s%s%s gives %u of them back to the host; assign the others to an "
                                "mdev (apmatrix plug or nodedev-define): the masks cannot give them back without "
                                "APQNs that mdevs hold"),
                              apspec->len ? " --apmask " : "", apspec->str, aqspec->len ? " --aqmask " : "",
                              aqspec->str, returned);
    else
        fix = g_strdup(_("assign them to an mdev (apmatrix plug or nodedev-define); the masks cannot give them back "
                         "without APQNs that mdevs hold"));
    list = apqn_list(idle);
    add(findings, "unassigned-vfio-queues", APM_FINDING_WARNING, g_steal_pointer(&fix),
        _("%u queues are bound to vfio_ap but assigned to no mdev, so neither the host nor a guest uses them: %s"),
        idle->len, list);
}

static char *
matrix_apqns(const ApmMatrix *m)
{
    g_autofree char *apqns = apm_matrix_format_apqns_line(m);
    g_autofree char *cd = apm_mask_format_list(&m->control_domains, APM_LIST_HEX);

    return g_strdup_printf(_("%s (control domains: %s)"), *apqns ? apqns : _("no queues"), *cd ? cd : "-");
}

/* Active mdevs that run with another matrix than their definition asks for: what a restart (or the next boot, for
 * an autostart one) gives them is the definition's */
static void
check_drift(const ApmHost *host, GPtrArray *findings)
{
    for (guint i = 0; i < host->mdevs->len; i++) {
        const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);
        const ApmStoredDef *d = apm_host_definition(host, &m->uuid);
        g_autofree char *name = NULL, *live = NULL, *defined_text = NULL;
        char uuid[APM_UUID_TEXT_LEN + 1];
        ApmMatrix defined;

        if (!d || !apm_matrix_from_attrs(d->config->attrs, &defined, NULL, NULL) ||
            apm_matrix_equal(&defined, &m->matrix))
            continue;
        apm_uuid_format(&m->uuid, uuid);
        name = apm_nodedev_mdev_name(&m->uuid);
        live = matrix_apqns(&m->matrix);
        defined_text = matrix_apqns(&defined);
        add(findings, "mdev-differs-from-definition", APM_FINDING_WARNING,
            g_strdup_printf(_("to keep what runs: apmatrix nodedev-dumpxml %s > %s.xml && apmatrix nodedev-update %s "
                              "%s.xml --config; to go back to the definition: apmatrix nodedev-dumpxml --inactive %s > "
                              "%s.xml && apmatrix nodedev-update %s %s.xml --live"),
                            name, uuid, name, uuid, name, uuid, name, uuid),
            _("mdev %s runs with %s, but its definition asks for %s: %s gives it the definition's again (a plug or "
              "an update without --config, or a start cut short)"),
            uuid, live, defined_text, d->config->autostart ? _("the next boot or start") : _("the next start"));
        set_subject(findings, uuid);
    }
}

/* mdevs started on demand for a guest: a start cut short, or one no guest holds any more */
static void
check_on_demand(const ApmHost *host, GPtrArray *findings)
{
    g_autoptr(GPtrArray) records = apm_ondemand_list(host->root);

    for (guint i = 0; i < records->len; i++) {
        const ApmOnDemand *r = g_ptr_array_index(records, i);
        const ApmMdevInfo *m = apm_host_mdev(host, &r->uuid);
        g_autofree char *name = apm_nodedev_mdev_name(&r->uuid);
        char uuid[APM_UUID_TEXT_LEN + 1];

        apm_uuid_format(&r->uuid, uuid);
        if (r->starting) {
            add(findings, "start-interrupted", APM_FINDING_ERROR,
                g_strdup_printf(_("any apmatrix change takes it back first (apmatrix attach-device %s FILE again, "
                                  "for one), or: apmatrix nodedev-destroy %s"),
                                r->guest, name),
                _("mdev %s was being started on demand for guest %s when its apmatrix was killed: it may hold only "
                  "part of its matrix"),
                uuid, r->guest);
            set_subject(findings, uuid);
        } else if (m && !m->guest && !apm_host_mdev_in_use(host, m)) {
            add(findings, "on-demand-unheld", APM_FINDING_WARNING, g_strdup_printf("apmatrix nodedev-destroy %s", name),
                _("mdev %s was started on demand for guest %s, which no longer holds it (a detach that timed out "
                  "while the guest let go later, or a guest that stopped without its hook): its queues serve "
                  "nobody"),
                uuid, r->guest);
            set_subject(findings, uuid);
        }
    }
}

static void
check_lock(const ApmHost *host, GPtrArray *findings)
{
    g_autofree char *path = apm_lockfile_host_config_path(host->root);
    g_autoptr(GError) error = NULL;
    pid_t owner = 0;
    gint64 age = 0;

    if (!apm_lockfile_peek_owner(path, &owner, &age, &error)) {
        if (error) {
            add(findings, "stale-lock", APM_FINDING_ERROR, g_strdup_printf("rm %s", path),
                _("The host config lock %s is not a lock file: %s"), path, error->message);
            set_subject(findings, path);
        }
        return;
    }
    if (!apm_lockfile_owner_is_stale(owner, age))
        return;
    if (owner)
        add(findings, "stale-lock", APM_FINDING_ERROR, g_strdup_printf("rm %s", path),
            _("The host config lock %s is stale: its owner, process %d, is gone (s390-tools and apmatrix take "
              "it over after a retry, other tools may wait)"),
            path, (int) owner);
    else
        add(findings, "stale-lock", APM_FINDING_ERROR, g_strdup_printf("rm %s", path),
            _("The host config lock %s is stale: it names no process and is %lld s old"), path, (long long) age);
    set_subject(findings, path);
}

/* Pools whose members are not what the pool says: a member without its definition (a pool change a kill cut short,
 * or an undefine outside the pool), with another definition, or inactive (Nova cannot hand it out); a pool file
 * that cannot be read */
static void
check_pools(const ApmHost *host, GPtrArray *findings)
{
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) pools = apm_pool_list(host->root, problems);

    for (guint i = 0; i < problems->len; i++)
        add(findings, "corrupt-pool", APM_FINDING_ERROR,
            g_strdup(_("remove or repair the file; its members are ordinary mdev definitions meanwhile")), "%s",
            (char *) g_ptr_array_index(problems, i));
    for (guint i = 0; i < pools->len; i++) {
        const ApmPool *pool = g_ptr_array_index(pools, i);

        for (guint k = 0; k < pool->members->len; k++) {
            const ApmPoolMember *m = &g_array_index(pool->members, ApmPoolMember, k);
            ApmPoolMemberState state = apm_pool_member_state(host, m, NULL);
            g_autofree char *apqns = apm_matrix_format_apqns_line(&m->matrix);
            char uuid[APM_UUID_TEXT_LEN + 1];

            apm_uuid_format(&m->uuid, uuid);
            if (state == APM_POOL_MEMBER_MISSING)
                add(findings, "pool-drift", APM_FINDING_ERROR,
                    g_strdup_printf(_("apmatrix pool shrink %s --member %s, then apmatrix pool grow %s to carve it "
                                      "again"), pool->name, uuid, pool->name),
                    _("Member %s (APQNs %s) of pool %s has no definition: a pool change was cut short, or the mdev "
                      "was undefined outside the pool"), uuid, apqns, pool->name);
            else if (state == APM_POOL_MEMBER_DIFFERS)
                add(findings, "pool-drift", APM_FINDING_ERROR,
                    g_strdup_printf(_("apmatrix pool shrink %s --member %s, then apmatrix pool grow %s"), pool->name,
                                    uuid, pool->name),
                    _("Member %s of pool %s is no longer the pool's: its definition or the active mdev is not APQNs "
                      "%s, autostarted"), uuid, pool->name, apqns);
            else if (state == APM_POOL_MEMBER_INACTIVE)
                add(findings, "pool-drift", APM_FINDING_ERROR,
                    g_strdup_printf("apmatrix nodedev-start %s", uuid),
                    _("Member %s (APQNs %s) of pool %s is defined but not active, so a scheduler cannot hand it out"),
                    uuid, apqns, pool->name);
            else
                continue;
            set_subject(findings, uuid);
        }
    }
}

GPtrArray *
apm_audit(const ApmHost *host)
{
    GPtrArray *findings = g_ptr_array_new_with_free_func((GDestroyNotify) apm_finding_free);

    check_read_problems(host, findings);
    check_corrupt_definitions(host, findings);
    check_autostart_overlap(host, findings);
    check_persistent_masks(host, findings);
    check_definitions_configured(host, findings);
    check_guests(host, findings);
    check_drift(host, findings);
    check_on_demand(host, findings);
    check_pools(host, findings);
    check_unassigned(host, findings);
    check_lock(host, findings);
    return findings;
}
