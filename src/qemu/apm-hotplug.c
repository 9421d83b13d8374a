/* apm-hotplug.c: attach, detach, plug, unplug, in the lock-safe order */
#include "config.h"
#include "apm-hotplug.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "apm-devices.h"
#include "apm-error.h"
#include "apm-guestjob.h"
#include "apm-hostmask.h"
#include "apm-i18n.h"
#include "apm-lifecycle.h"
#include "apm-nodedev.h"
#include "apm-ondemand.h"
#include "apm-planner.h"
#include "apm-store.h"
#include "apm-sysfs.h"

#define AP_TYPE "vfio_ap-passthrough"

/* the in-process locks of the order: the guest registry and the cached mdev state */
static ApmLock guests_lock;
static ApmLock mdev_state_lock;

static void
locks_init(void)
{
    static gsize done = 0;

    if (g_once_init_enter(&done)) {
        apm_lock_init(&guests_lock, &apm_class_guests_lock, APM_LOCK_MUTEX, "guests lock");
        apm_lock_init(&mdev_state_lock, &apm_class_mdev_state_lock, APM_LOCK_MUTEX, "mdev state lock");
        g_once_init_leave(&done, 1);
    }
}

void
apm_hotplug_init(ApmHotplug *hp, const char *root, ApmGuests *guests)
{
    memset(hp, 0, sizeof(*hp));
    hp->root = root;
    hp->guests = guests;
    apm_exec_options_init(&hp->exec);
    hp->job_timeout_ms = hp->exec.lock_timeout_ms;
    hp->unplug_timeout_ms = 5000;
    locks_init();
}

ApmGuestReport *
apm_guest_report_new(void)
{
    ApmGuestReport *r = g_new0(ApmGuestReport, 1);

    r->filtered = g_ptr_array_new_with_free_func(g_free);
    r->warnings = g_ptr_array_new_with_free_func(g_free);
    r->differences = g_ptr_array_new_with_free_func(g_free);
    return r;
}

void
apm_guest_report_free(ApmGuestReport *report)
{
    if (!report)
        return;
    g_free(report->guest);
    g_free(report->problem);
    g_ptr_array_unref(report->filtered);
    g_ptr_array_unref(report->warnings);
    g_ptr_array_unref(report->differences);
    g_free(report);
}

static void
copy_strings(GPtrArray *to, const GPtrArray *from)
{
    for (guint i = 0; from && i < from->len; i++)
        g_ptr_array_add(to, g_strdup(g_ptr_array_index(from, i)));
}

/* A plan's warning that what the guest got says again (the kernel's filter, read back after the change) is
 * said once, as what the guest lacks */
static void
drop_filtered_warnings(ApmGuestReport *report)
{
    for (guint i = report->warnings->len; i-- > 0;) {
        const char *w = g_ptr_array_index(report->warnings, i);

        for (guint k = 0; k < report->filtered->len; k++) {
            if (g_str_equal(w, g_ptr_array_index(report->filtered, k))) {
                g_ptr_array_remove_index(report->warnings, i);
                break;
            }
        }
    }
}

/* ---- mdevs started on demand (apm-ondemand.h) ----------------------------------------------------------- */

/* The guest an mdev was started on demand for, or NULL */
static char *
record_read(const char *root, const ApmUuid *uuid)
{
    g_autoptr(ApmOnDemand) record = apm_ondemand_read(root, uuid);

    return record ? g_steal_pointer(&record->guest) : NULL;
}

/* ---- one request: its locks, in order, and what it read under them --------------------------------------- */

typedef struct {
    ApmHotplug *hp;
    ApmExecOptions exec;   /* lock_held once the host config lock is taken */
    ApmLockfile *config_lock;
    ApmGuestJob *job;
    GPtrArray *guests;     /* the back-end's guests, read under the guest's job */
    gboolean one_guest;    /* guests holds the request's guest only (op_all_guests() adds the others) */
    ApmGuest *guest;       /* the request's guest, in guests */
    ApmHost *host;
    GPtrArray *warnings;   /* the report's: guests that could not be asked are named there */
} Op;

static void
op_end(Op *op)
{
    g_clear_pointer(&op->host, apm_host_free);
    g_clear_pointer(&op->guests, g_ptr_array_unref);
    op->guest = NULL;
    g_clear_pointer(&op->job, apm_guest_job_end);
    if (op->config_lock)
        apm_lockfile_release(op->config_lock, NULL);
    op->config_lock = NULL;
    op->exec.lock_held = FALSE;
}

/* The back-end's map written into the snapshot: the mdev each running guest has */
static void
annotate(ApmHost *host, GPtrArray *guests)
{
    for (guint i = 0; guests && i < guests->len; i++) {
        const ApmGuest *g = g_ptr_array_index(guests, i);

        if (g->running && g->live)
            apm_host_set_guest(host, &g->live->uuid, g->name);
    }
}

/* Reads the host (under the mdev state lock) and adds the guests' map */
static gboolean
op_read_host(Op *op, GError **error)
{
    g_clear_pointer(&op->host, apm_host_free);
    apm_lock_acquire(&mdev_state_lock);
    op->host = apm_host_read_detail(op->hp->root, APM_HOST_READ_ON_DEMAND, NULL, error);
    apm_lock_release(&mdev_state_lock);
    if (!op->host)
        return FALSE;
    annotate(op->host, op->guests);
    return TRUE;
}

/* host config lock (when config) -> guests lock -> the guest's job; then the back-end's guests and the host.
 * With one_guest only the request's guest is asked (a plug changes nothing of the others; op_all_guests() asks
 * them when a refusal has to name who holds what); otherwise every guest is. */
static gboolean
op_begin_guests(Op *op, ApmHotplug *hp, const char *guest, gboolean config, gboolean one_guest,
                ApmGuestReport *report, GError **error)
{
    memset(op, 0, sizeof(*op));
    op->hp = hp;
    op->exec = hp->exec;
    op->exec.repairs = report->warnings; /* what the lock's holder repaired first is said among the warnings */
    op->warnings = report->warnings;
    g_autoptr(GPtrArray) others = NULL;

    if (!apm_guest_name_check(guest, error))
        return FALSE;
    if (config && hp->guests && !one_guest) {
        /* the other guests are asked before the host configuration lock is taken: a slow or hostile monitor
         * must not hold up mdevctl, guest starts and every other AP change on the host while it is waited for.
         * The request's own guest is asked again below, under the lock and its job. */
        apm_lock_acquire(&guests_lock);
        others = apm_guests_list(hp->guests, error);
        apm_lock_release(&guests_lock);
        if (!others)
            return FALSE;
    }
    if (config) {
        op->config_lock = apm_exec_lock(hp->root, &op->exec, error);
        if (!op->config_lock)
            return FALSE;
        op->exec.lock_held = TRUE;
    }
    apm_lock_acquire(&guests_lock);
    op->job = apm_guest_job_begin(hp->root, guest, hp->job_timeout_ms, error);
    if (op->job && hp->guests && (one_guest || others)) {
        ApmGuest *g = NULL;

        if (apm_guests_get(hp->guests, guest, &g, error)) {
            op->guests = g_ptr_array_new_with_free_func((GDestroyNotify) apm_guest_free);
            op->one_guest = one_guest;
            for (guint i = 0; others && i < others->len; i++) {
                ApmGuest *o = g_ptr_array_index(others, i);

                if (!g_str_equal(o->name, guest))
                    g_ptr_array_add(op->guests, g_ptr_array_steal_index(others, i--));
            }
            if (g)
                g_ptr_array_add(op->guests, g);
        }
    } else if (op->job && hp->guests) {
        op->guests = apm_guests_list(hp->guests, error);
    }
    apm_lock_release(&guests_lock);
    if (!op->job || (hp->guests && !op->guests)) {
        op_end(op);
        return FALSE;
    }
    for (guint i = 0; op->guests && i < op->guests->len; i++) {
        ApmGuest *g = g_ptr_array_index(op->guests, i);

        if (g_str_equal(g->name, guest))
            op->guest = g;
    }
    if (hp->guests && !op->guest) {
        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("No guest named '%s' among the %s"), guest,
                    apm_guests_describe(hp->guests));
        op_end(op);
        return FALSE;
    }
    if (!op_read_host(op, error)) {
        op_end(op);
        return FALSE;
    }
    return TRUE;
}

static gboolean
op_begin(Op *op, ApmHotplug *hp, const char *guest, gboolean config, ApmGuestReport *report, GError **error)
{
    return op_begin_guests(op, hp, guest, config, FALSE, report, error);
}

/* Every guest of the back-end into an op begun for one guest, and the snapshot's map of who holds which mdev
 * with them: what a refusal needs to name the guest behind an mdev. Only for words: a guest the back-end cannot
 * answer for is left out, and the request's guest stays the one read under its job. */
static void
op_all_guests(Op *op)
{
    g_autoptr(GPtrArray) all = NULL;

    if (!op->one_guest || !op->hp->guests)
        return;
    op->one_guest = FALSE;
    if (!(all = apm_guests_list(op->hp->guests, NULL)))
        return;
    for (guint i = 0; i < all->len; i++) {
        ApmGuest *g = g_ptr_array_index(all, i);

        if (op->guest && g_str_equal(g->name, op->guest->name))
            continue;
        if (g->problem && op->warnings)
            g_ptr_array_add(op->warnings, g_strdup_printf(_("guest %s was not asked which mdev it has: %s"), g->name,
                                                          g->problem));
        g_ptr_array_add(op->guests, g_ptr_array_steal_index(all, i--));
    }
    annotate(op->host, op->guests);
}

/* The guests that could not be asked, as words for a refusal ("vm3, vm7"), or NULL when every one answered */
static char *
unasked_guests(GPtrArray *guests)
{
    g_autoptr(GString) names = NULL;

    for (guint i = 0; guests && i < guests->len; i++) {
        const ApmGuest *g = g_ptr_array_index(guests, i);

        if (!g->problem)
            continue;
        if (!names)
            names = g_string_new(g->name);
        else
            g_string_append_printf(names, ", %s", g->name);
    }
    return names ? g_string_free(g_steal_pointer(&names), FALSE) : NULL;
}

typedef ApmPlan *(*PlanFunc)(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config,
                           GError **error);

/* A plan made on the op's snapshot. Its refusals name the guest of each mdev in the way: when only the request's
 * guest was asked, the others are asked now and the plan is made again, for the words. */
static ApmPlan *
op_plan(Op *op, PlanFunc make, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error)
{
    ApmPlan *plan = make(op->host, uuid, config, error);

    if (plan && plan->refusals->len && op->one_guest) {
        op_all_guests(op);
        apm_plan_free(plan);
        plan = make(op->host, uuid, config, error);
    }
    return plan;
}

static gboolean G_GNUC_PRINTF(4, 5)
op_fail(Op *op, GError **error, int code, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    if (error)
        *error = g_error_new_valist(APM_ERROR, code, format, ap);
    va_end(ap);
    op_end(op);
    return FALSE;
}

/* Carries out a checked plan under the locks held (the mdev state lock around the writes) */
static gboolean
op_exec(Op *op, const ApmPlan *plan, ApmGuestReport *report, GError **error)
{
    gboolean ok;

    /* a plan that is refused says why; what it would have warned about does not matter then */
    if (!apm_plan_check(plan, error))
        return FALSE;
    copy_strings(report->warnings, plan->warnings);
    apm_lock_acquire(&mdev_state_lock);
    /* the writes go through the snapshot's open folders, and the read-back refreshes the mdev in it */
    op->exec.snapshot = op->host;
    ok = apm_exec_plan(op->hp->root, plan, &op->exec, report->differences, error);
    op->exec.snapshot = NULL;
    apm_lock_release(&mdev_state_lock);
    return ok;
}

/* What the guest really has, read back from sysfs, and why each missing adapter or domain is missing. With
 * attached, the queues of check (all the guest's, when NULL) must show that the guest uses them. fresh: the
 * executor has just read the mdev back into the snapshot (and forgot its queues), nothing changed since. */
static gboolean
report_guest(Op *op, ApmGuestReport *report, gboolean attached, const ApmMatrix *check, gboolean fresh,
             GError **error)
{
    const ApmMdevInfo *m;
    g_autoptr(GPtrArray) reasons = NULL;
    ApmMatrix expected;
    char text[APM_UUID_TEXT_LEN + 1];

    /* what the change did: the mdev read again (its queues too, when asked for) */
    if (!fresh)
        apm_host_refresh_mdev(op->host, &report->uuid);
    annotate(op->host, op->guests);
    m = apm_host_mdev(op->host, &report->uuid);
    if (m)
        reasons = apm_plan_filter_reasons(op->host, &m->matrix, &expected);
    if (!m || reasons->len || !apm_mask_equal(&expected.adapters, &m->guest_matrix.adapters) ||
        !apm_mask_equal(&expected.domains, &m->guest_matrix.domains)) {
        /* something kept from the guest, or not what the snapshot foretells: the host configuration, the masks or
         * the other mdevs may have changed under the change; all of them read again, to tell why */
        g_clear_pointer(&reasons, g_ptr_array_unref);
        apm_host_refresh_mdevs(op->host);
        annotate(op->host, op->guests);
        m = apm_host_mdev(op->host, &report->uuid);
        if (m)
            reasons = apm_plan_filter_reasons(op->host, &m->matrix, &expected);
    }
    if (!m)
        return TRUE;
    report->has_mdev = TRUE;
    report->matrix = m->matrix;
    report->guest_matrix = m->guest_matrix;
    report->guest_matrix.control_domains = m->matrix.control_domains;
    copy_strings(report->filtered, reasons);
    drop_filtered_warnings(report);
    apm_uuid_format(&report->uuid, text);
    if (!apm_mask_equal(&expected.adapters, &m->guest_matrix.adapters) ||
        !apm_mask_equal(&expected.domains, &m->guest_matrix.domains)) {
        g_autofree char *want = apm_matrix_format_apqns(&expected);
        g_autofree char *got = apm_matrix_format_apqns(&m->guest_matrix);

        g_strdelimit(want, "\n", ' ');
        g_strdelimit(got, "\n", ' ');
        g_ptr_array_add(report->differences,
                        g_strdup_printf(_("the kernel gives the guest %s of mdev %s where %s was expected"),
                                        *got ? g_strchomp(got) : _("nothing"), text,
                                        *want ? g_strchomp(want) : _("nothing")));
    }
    if (attached) {
        /* the kernel shows a queue of an attached mdev as "in use" once it is in the guest's APCB */
        ApmApqnIter iter;
        ApmApqn apqn;

        apm_apqn_iter_init(&iter, &m->guest_matrix.adapters, &m->guest_matrix.domains);
        while (apm_apqn_iter_next(&iter, &apqn)) {
            const ApmQueueInfo *q;
            char name[APM_APQN_TEXT_LEN + 1];

            /* a plug looks at the queues it added only: an adapter's or a domain's row or column */
            if (check && !apm_mask_test(&check->adapters, apqn.adapter) && !apm_mask_test(&check->domains, apqn.domain))
                continue;
            q = apm_host_queue(op->host, apqn);

            if (!q || !q->status || !g_str_equal(q->status, "in use")) {
                g_ptr_array_add(report->differences,
                                g_strdup_printf(_("queue %s of mdev %s is not in use by the guest: the kernel did "
                                                  "not attach the mdev (its status is '%s')"),
                                                apm_apqn_format(apqn, name), text,
                                                q && q->status ? q->status : _("unknown")));
                break;
            }
        }
    }
    return TRUE;
}

/* Stops an mdev started on demand for guest when no guest uses it any more (host config lock held) */
static gboolean
stop_on_demand(Op *op, const char *guest, const ApmUuid *uuid, ApmGuestReport *report, GError **error)
{
    g_autofree char *owner = record_read(op->hp->root, uuid);
    const ApmMdevInfo *m;
    g_autoptr(ApmPlan) plan = NULL;

    if (!owner)
        return TRUE;
    m = apm_host_mdev(op->host, uuid);
    if (!m) {
        apm_ondemand_remove(op->hp->root, uuid); /* someone stopped it meanwhile */
        return TRUE;
    }
    if (!g_str_equal(owner, guest) || (m->guest && !g_str_equal(m->guest, guest))) {
        if (m->guest && !g_str_equal(m->guest, guest))
            apm_ondemand_remove(op->hp->root, uuid); /* another guest uses it now; it stays */
        return TRUE;
    }
    if (op->guests && apm_guests_holder(op->guests, uuid))
        return TRUE; /* the guest took it again meanwhile */
    /* the guest itself let go: without a back-end the snapshot may still name it (libvirt's status file, read
     * before libvirt removes it) */
    apm_host_set_guest(op->host, uuid, NULL);
    if (apm_host_mdev_in_use(op->host, m))
        return TRUE;
    plan = apm_plan_stop(op->host, uuid);
    if (!op_exec(op, plan, report, error))
        return FALSE;
    apm_ondemand_remove(op->hp->root, uuid);
    report->stopped = TRUE;
    return TRUE;
}

/* ---- attach ----------------------------------------------------------------------------------------------- */

/* Starts the mdev from its definition when only defined; the plan is kept to take it back */
static gboolean
ensure_started(Op *op, const char *guest, const ApmUuid *uuid, ApmGuestReport *report, ApmPlan **started,
               GError **error)
{
    const ApmStoredDef *d;
    const ApmMdevInfo *m = apm_host_mdev(op->host, uuid);
    char text[APM_UUID_TEXT_LEN + 1];
    g_autoptr(ApmPlan) plan = NULL;

    apm_uuid_format(uuid, text);
    if (m) {
        if (m->guest && !g_str_equal(m->guest, guest)) {
            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                        _("mdev %s is in use by guest %s: one mdev serves one guest; detach it there first"), text,
                        m->guest);
            return FALSE;
        }
        if (!m->guest && apm_host_mdev_in_use(op->host, m)) {
            g_autofree char *unasked = NULL;

            op_all_guests(op);
            unasked = unasked_guests(op->guests);
            if (unasked)
                g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                            _("mdev %s is in use by a guest (its queues say 'in use'), perhaps one of those that did not "
                              "answer: %s"),
                            text, unasked);
            else
                g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                            _("mdev %s is in use by a guest that %s does not know (its queues say 'in use')"), text,
                            op->hp->guests ? apm_guests_describe(op->hp->guests) : "libvirt");
            return FALSE;
        }
        return TRUE;
    }
    d = apm_host_definition(op->host, uuid);
    if (!d) {
        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND,
                    _("mdev %s is neither active nor defined: define it first (apmatrix nodedev-define)"), text);
        return FALSE;
    }
    plan = apm_plan_start(op->host, uuid, d->config, error);
    if (!plan || !apm_plan_check(plan, error))
        return FALSE;
    /* the intent first: a kill between the start's writes leaves a record that the next command holding the host
     * config lock sees and repairs (apm_ondemand_repair) */
    if (!apm_ondemand_write(op->hp->root, uuid, guest, TRUE, error))
        return FALSE;
    if (!op_exec(op, plan, report, error)) {
        apm_ondemand_remove(op->hp->root, uuid); /* the executor took the start back */
        return FALSE;
    }
    if (!apm_ondemand_write(op->hp->root, uuid, guest, FALSE, error)) {
        apm_exec_take_back(op->hp->root, plan);
        apm_ondemand_remove(op->hp->root, uuid);
        return FALSE;
    }
    report->started_on_demand = TRUE;
    *started = g_steal_pointer(&plan);
    return TRUE;
}

gboolean
apm_hotplug_attach(ApmHotplug *hp, const char *guest, const ApmHostdev *hostdev, ApmGuestFlags flags,
                   ApmGuestReport *report, GError **error)
{
    g_autoptr(ApmPlan) started = NULL;
    const ApmGuest *holder;
    char text[APM_UUID_TEXT_LEN + 1];
    gboolean config_done = FALSE;
    Op op;

    /* only the request's guest is asked; who else holds the mdev the host shows (its queues 'in use', libvirt's
     * status files), and the other guests are asked only to name one */
    if (!apm_hostdev_validate(hostdev, error) || !op_begin_guests(&op, hp, guest, TRUE, TRUE, report, error))
        return FALSE;
    report->guest = g_strdup(guest);
    report->uuid = hostdev->uuid;
    apm_uuid_format(&hostdev->uuid, text);
    if (flags == 0)
        flags = op.guest->running ? APM_GUEST_LIVE : APM_GUEST_CONFIG;
    if ((flags & APM_GUEST_LIVE) && !op.guest->running)
        return op_fail(&op, error, APM_ERROR_CONFLICT,
                       _("Guest %s is not running: attach with --config to change its definition"), guest);
    if ((flags & APM_GUEST_LIVE) && op.guest->live) {
        char other[APM_UUID_TEXT_LEN + 1];

        return op_fail(&op, error, APM_ERROR_CONFLICT,
                       _("Guest %s already has a vfio-ap device (mdev %s, id %s): a guest has one AP matrix; "
                         "detach it first, or plug adapters and domains into it"),
                       guest, apm_uuid_format(&op.guest->live->uuid, other), op.guest->live->alias);
    }
    if ((flags & APM_GUEST_CONFIG) && op.guest->config) {
        char other[APM_UUID_TEXT_LEN + 1];

        return op_fail(&op, error, APM_ERROR_CONFLICT,
                       _("Guest %s's definition already has a vfio-ap hostdev (mdev %s): a guest has one AP matrix"),
                       guest, apm_uuid_format(&op.guest->config->uuid, other));
    }
    {
        const ApmMdevInfo *held = apm_host_mdev(op.host, &hostdev->uuid);
        gboolean elsewhere = held && (held->guest || apm_host_mdev_in_use(op.host, held)) &&
                             !(held->guest && g_str_equal(held->guest, guest));

        if ((flags & APM_GUEST_LIVE) && hp->guests && apm_guests_list_asks_guests(hp->guests) && elsewhere) {
            /* the mdev is in use, not by this guest (it has no device): refused. Which guest has it is asked of
             * every monitor after the locks are let go, so that a slow one holds up no other AP change */
            g_autofree char *name = g_strdup(held->guest);

            op_end(&op);
            if (!name) {
                g_autoptr(GPtrArray) all = NULL;
                const ApmGuest *h;

                apm_lock_acquire(&guests_lock);
                all = apm_guests_list(hp->guests, NULL);
                apm_lock_release(&guests_lock);
                if (all && (h = apm_guests_holder(all, &hostdev->uuid)))
                    name = g_strdup(h->name);
            }
            if (name)
                g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                            _("mdev %s is in use by guest %s: one mdev serves one guest; detach it there first"), text,
                            name);
            else
                g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                            _("mdev %s is in use, by no guest that answered: one mdev serves one guest"), text);
            return FALSE;
        }
        if ((flags & APM_GUEST_LIVE) && hp->guests && !apm_guests_list_asks_guests(hp->guests))
            op_all_guests(&op);
    }
    holder = apm_guests_holder(op.guests, &hostdev->uuid);
    if ((flags & APM_GUEST_LIVE) && holder && holder != op.guest)
        return op_fail(&op, error, APM_ERROR_CONFLICT,
                       _("mdev %s is in use by guest %s: one mdev serves one guest; detach it there first"), text,
                       holder->name);
    if (flags & APM_GUEST_LIVE) {
        if (!ensure_started(&op, guest, &hostdev->uuid, report, &started, error)) {
            op_end(&op);
            return FALSE;
        }
    } else if (!apm_host_mdev(op.host, &hostdev->uuid) && !apm_host_definition(op.host, &hostdev->uuid)) {
        return op_fail(&op, error, APM_ERROR_NOT_FOUND,
                       _("mdev %s is neither active nor defined: define it first (apmatrix nodedev-define)"), text);
    }
    /* the definition first: it can be taken back; then QEMU */
    if (flags & APM_GUEST_CONFIG) {
        if (!apm_guests_attach(hp->guests, guest, hostdev, APM_GUEST_CONFIG, error))
            goto undo;
        config_done = TRUE;
    }
    if ((flags & APM_GUEST_LIVE) && !apm_guests_attach(hp->guests, guest, hostdev, APM_GUEST_LIVE, error))
        goto undo;
    if (!report_guest(&op, report, (flags & APM_GUEST_LIVE) != 0, NULL, FALSE, error)) {
        op_end(&op);
        return FALSE;
    }
    op_end(&op);
    return TRUE;

undo:
    if (config_done)
        apm_guests_detach(hp->guests, guest, hostdev, APM_GUEST_CONFIG, 0, NULL);
    if (started) {
        apm_exec_take_back(hp->root, started);
        apm_ondemand_remove(hp->root, &hostdev->uuid);
        report->started_on_demand = FALSE;
    }
    op_end(&op);
    return FALSE;
}

/* ---- detach ----------------------------------------------------------------------------------------------- */

gboolean
apm_hotplug_detach(ApmHotplug *hp, const char *guest, const ApmHostdev *hostdev, ApmGuestFlags flags,
                   ApmGuestReport *report, GError **error)
{
    g_autoptr(ApmHostdev) target = NULL;
    char text[APM_UUID_TEXT_LEN + 1];
    Op op;

    /* no host config lock while waiting for the guest: only its job; and only the guest itself is asked */
    if (!op_begin_guests(&op, hp, guest, FALSE, TRUE, report, error))
        return FALSE;
    report->guest = g_strdup(guest);
    if (flags == 0)
        flags = op.guest->running ? APM_GUEST_LIVE : APM_GUEST_CONFIG;
    if ((flags & APM_GUEST_LIVE) && !op.guest->running)
        return op_fail(&op, error, APM_ERROR_CONFLICT,
                       _("Guest %s is not running: detach with --config to change its definition"), guest);
    {
        const ApmHostdev *have = (flags & APM_GUEST_LIVE) ? op.guest->live : op.guest->config;
        const char *where = (flags & APM_GUEST_LIVE) ? _("the running guest") : _("its definition");

        if (!have)
            return op_fail(&op, error, APM_ERROR_NOT_FOUND, _("Guest %s has no vfio-ap device in %s"), guest, where);
        if (hostdev && !apm_uuid_equal(&have->uuid, &hostdev->uuid)) {
            char other[APM_UUID_TEXT_LEN + 1];

            return op_fail(&op, error, APM_ERROR_NOT_FOUND,
                           _("Guest %s has no vfio-ap device for mdev %s in %s (its device is mdev %s)"), guest,
                           apm_uuid_format(&hostdev->uuid, text), where, apm_uuid_format(&have->uuid, other));
        }
        target = g_new0(ApmHostdev, 1);
        target->uuid = have->uuid;
        target->alias = g_strdup(op.guest->live ? op.guest->live->alias : NULL);
        if ((flags & APM_GUEST_CONFIG) && !op.guest->config) {
            return op_fail(&op, error, APM_ERROR_NOT_FOUND, _("Guest %s has no vfio-ap device in %s"), guest,
                           _("its definition"));
        }
        if ((flags & APM_GUEST_CONFIG) && !apm_uuid_equal(&op.guest->config->uuid, &target->uuid)) {
            char defined[APM_UUID_TEXT_LEN + 1];

            return op_fail(&op, error, APM_ERROR_CONFLICT,
                           _("Guest %s runs with mdev %s but its definition names mdev %s: detach each on its own"),
                           guest, apm_uuid_format(&target->uuid, text),
                           apm_uuid_format(&op.guest->config->uuid, defined));
        }
    }
    report->uuid = target->uuid;
    {
        /* the guest answers device_del when its OS lets go (DEVICE_DELETED); that can take seconds */
        g_autofree char *what = g_strdup_printf(_("Waiting for guest %s to release the device"), guest);
        g_autoptr(ApmProgress) progress = (flags & APM_GUEST_LIVE) ? apm_progress_new(what) : NULL;
        gboolean detached;

        apm_progress_tick(progress);
        detached = apm_guests_detach(hp->guests, guest, target, flags, hp->unplug_timeout_ms, error);
        g_clear_pointer(&progress, apm_progress_free);
        if (!detached) {
            op_end(&op);
            return FALSE;
        }
    }
    op_end(&op);
    if (!(flags & APM_GUEST_LIVE))
        return TRUE;
    {
        g_autofree char *owner = record_read(hp->root, &target->uuid);
        gboolean ok;

        if (!owner)
            return TRUE;
        /* an mdev started on demand goes again: host config lock, then the guest's job once more */
        if (!op_begin_guests(&op, hp, guest, TRUE, TRUE, report, error))
            return FALSE;
        ok = stop_on_demand(&op, guest, &target->uuid, report, error);
        op_end(&op);
        return ok;
    }
}

/* ---- plug and unplug -------------------------------------------------------------------------------------- */

static char *
ids_text(const ApmMask *mask)
{
    return apm_mask_format_list(mask, APM_LIST_HEX);
}

/* Which host masks must give up IDs so that the APQNs of the change stop being the host's: an adapter being
 * plugged is taken from apmask, else the domain from aqmask */
static void
host_takes(const ApmHost *host, const ApmMatrix *old, const ApmMatrix *wanted, ApmMask *adapters, ApmMask *domains)
{
    ApmApqnIter iter;
    ApmApqn apqn;

    apm_mask_clear_all(adapters);
    apm_mask_clear_all(domains);
    apm_apqn_iter_init(&iter, &wanted->adapters, &wanted->domains);
    while (apm_apqn_iter_next(&iter, &apqn)) {
        if (apm_matrix_has_apqn(old, apqn) || !apm_mask_test(&host->apmask, apqn.adapter) ||
            !apm_mask_test(&host->aqmask, apqn.domain) || apm_mask_test(adapters, apqn.adapter) ||
            apm_mask_test(domains, apqn.domain))
            continue;
        if (!apm_mask_test(&old->adapters, apqn.adapter))
            apm_mask_set(adapters, apqn.adapter);
        else
            apm_mask_set(domains, apqn.domain);
    }
}

static char *
relative_mask(const ApmMask *ids, char sign)
{
    g_autofree char *terms = apm_mask_format_relative(ids, sign);

    return g_strconcat(terms, "\n", NULL);
}

/* apmask/aqmask writes that hand the IDs to vfio_ap, then a wait until the bus has bound them; on failure the
 * caller puts the masks back with give_back */
static gboolean
take_from_host(Op *op, const ApmMask *adapters, const ApmMask *domains, GError **error)
{
    struct {
        const char *attr;
        const ApmMask *ids;
    } masks[] = { { "sys/bus/ap/apmask", adapters }, { "sys/bus/ap/aqmask", domains } };

    for (guint i = 0; i < G_N_ELEMENTS(masks); i++) {
        g_autofree char *value = NULL;

        if (apm_mask_is_empty(masks[i].ids))
            continue;
        value = relative_mask(masks[i].ids, '-');
        if (!apm_sysfs_write(op->hp->root, masks[i].attr, value, error)) {
            g_prefix_error(error, _("Cannot take IDs from the host's %s: "), masks[i].attr + 11);
            return FALSE;
        }
    }
    /* the AP bus re-binds the queues; wait until vfio_ap has them all (up to 30 s) */
    {
        ApmMask apmask, aqmask;
        g_autoptr(ApmProgress) progress = apm_progress_new(_("Waiting for the AP bus to bind the queues"));

        apm_host_load_queues(op->host); /* the wait follows every queue that changes hands */
        apm_mask_andnot(&apmask, &op->host->apmask, adapters);
        apm_mask_andnot(&aqmask, &op->host->aqmask, domains);
        /* then the snapshot the plug is planned on, with the queues where the masks put them */
        return apm_hostmask_wait_bound(op->host, &apmask, &aqmask, 30000, progress, error) && op_read_host(op, error);
    }
}

static void
give_back(const char *root, const ApmMask *adapters, const ApmMask *domains)
{
    if (!apm_mask_is_empty(domains)) {
        g_autofree char *v = relative_mask(domains, '+');

        apm_sysfs_write(root, "sys/bus/ap/aqmask", v, NULL);
    }
    if (!apm_mask_is_empty(adapters)) {
        g_autofree char *v = relative_mask(adapters, '+');

        apm_sysfs_write(root, "sys/bus/ap/apmask", v, NULL);
    }
}

static ApmMdevConfig *
config_of(const ApmMatrix *matrix, gboolean autostart)
{
    ApmMdevConfig *config = apm_mdev_config_new(AP_TYPE, autostart);
    g_autoptr(GPtrArray) attrs = apm_matrix_to_attrs(matrix);

    for (guint i = 0; i < attrs->len; i++) {
        const ApmMdevAttr *a = g_ptr_array_index(attrs, i);

        apm_mdev_config_add_attr(config, a->name, a->value);
    }
    return config;
}

/* Refuses IDs that a plug would add twice or an unplug would take that are not there */
static gboolean
check_change(const char *guest, const ApmMatrix *old, const ApmMatrix *change, gboolean unplug, GError **error)
{
    struct {
        const ApmMask *have, *ids;
        const char *what;
    } dims[] = { { &old->adapters, &change->adapters, N_("adapters") },
                 { &old->domains, &change->domains, N_("domains") },
                 { &old->control_domains, &change->control_domains, N_("control domains") } };

    if (apm_mask_is_empty(&change->adapters) && apm_mask_is_empty(&change->domains) &&
        apm_mask_is_empty(&change->control_domains)) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID,
                            _("Nothing to plug or unplug: give --adapter, --domain or --control-domain"));
        return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(dims); i++) {
        ApmMask bad;
        g_autofree char *list = NULL;

        if (unplug)
            apm_mask_andnot(&bad, dims[i].ids, dims[i].have);
        else
            apm_mask_and(&bad, dims[i].ids, dims[i].have);
        if (apm_mask_is_empty(&bad))
            continue;
        list = ids_text(&bad);
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                    unplug ? _("Guest %s's mdev does not have %s %s, so they cannot be unplugged")
                           : _("Guest %s's mdev has %s %s already"),
                    guest, _(dims[i].what), list);
        return FALSE;
    }
    return TRUE;
}

/* matrix with the change applied: plugged in, or taken out */
static ApmMatrix
apply_change(const ApmMatrix *matrix, const ApmMatrix *change, gboolean unplug)
{
    ApmMatrix m = *matrix;

    if (unplug) {
        apm_mask_andnot(&m.adapters, &m.adapters, &change->adapters);
        apm_mask_andnot(&m.domains, &m.domains, &change->domains);
        apm_mask_andnot(&m.control_domains, &m.control_domains, &change->control_domains);
    } else {
        apm_mask_or(&m.adapters, &m.adapters, &change->adapters);
        apm_mask_or(&m.domains, &m.domains, &change->domains);
        apm_mask_or(&m.control_domains, &m.control_domains, &change->control_domains);
    }
    return m;
}

gboolean
apm_hotplug_plug(ApmHotplug *hp, const char *guest, const ApmMatrix *change, gboolean unplug, ApmPlugFlags flags,
                 ApmGuestReport *report, GError **error)
{
    g_autoptr(ApmMdevConfig) config = NULL, def_config = NULL;
    g_autoptr(ApmPlan) plan = NULL, defined = NULL;
    const ApmMdevInfo *m = NULL;
    const ApmStoredDef *d = NULL;
    gboolean live, persistent;
    ApmMatrix wanted;
    ApmMask take_a, take_d;
    char text[APM_UUID_TEXT_LEN + 1];
    Op op;

    /* virsh's rule: --live the running guest, --config the definition, both both; neither, the running guest */
    persistent = (flags & APM_PLUG_CONFIG) != 0;
    live = (flags & APM_PLUG_LIVE) || !persistent;
    if (!op_begin_guests(&op, hp, guest, TRUE, TRUE, report, error))
        return FALSE;
    report->guest = g_strdup(guest);
    if (live && !op.guest->running)
        return op_fail(&op, error, APM_ERROR_CONFLICT,
                       _("Guest %s is not running: plug and unplug change a running guest (--config alone changes the "
                         "mdev's definition)"),
                       guest);
    if (live && !op.guest->live)
        return op_fail(&op, error, APM_ERROR_CONFLICT,
                       _("Guest %s has no vfio-ap device: attach an mdev first (apmatrix attach-device)"), guest);
    if (!live && !op.guest->live && !op.guest->config)
        return op_fail(&op, error, APM_ERROR_CONFLICT, _("Guest %s has no vfio-ap device in its definition either"),
                       guest);
    report->uuid = (op.guest->live ? op.guest->live : op.guest->config)->uuid;
    apm_uuid_format(&report->uuid, text);
    if (live) {
        m = apm_host_mdev(op.host, &report->uuid);
        if (!m)
            return op_fail(&op, error, APM_ERROR_CONFLICT, _("Guest %s's mdev %s is not active on the host"), guest,
                           text);
        if (!check_change(guest, &m->matrix, change, unplug, error)) {
            op_end(&op);
            return FALSE;
        }
    }
    if (persistent) {
        ApmMatrix dm;

        d = apm_host_definition(op.host, &report->uuid);
        if (!d)
            return op_fail(&op, error, APM_ERROR_CONFLICT,
                           _("mdev %s is transient: it has no definition for --config to change"), text);
        if (!apm_matrix_from_config(d->config, &dm, error)) {
            op_end(&op);
            return FALSE;
        }
        /* the definition gets the same change, not the live matrix: what was plugged live only stays so */
        if (!live && !check_change(guest, &dm, change, unplug, error)) {
            op_end(&op);
            return FALSE;
        }
        dm = apply_change(&dm, change, unplug);
        def_config = config_of(&dm, d->config->autostart);
    }
    if (!live) {
        defined = op_plan(&op, apm_plan_define, &report->uuid, def_config, error);
        if (!defined || !apm_plan_check(defined, error) || !apm_store_write(hp->root, &report->uuid, def_config, error)) {
            op_end(&op);
            return FALSE;
        }
        /* the running guest, if any, is as it was: the report tells of no guest's queues */
        copy_strings(report->warnings, defined->warnings);
        op_end(&op);
        return TRUE;
    }
    wanted = apply_change(&m->matrix, change, unplug);
    config = config_of(&wanted, d ? d->config->autostart : FALSE);
    apm_mask_clear_all(&take_a);
    apm_mask_clear_all(&take_d);
    if (!unplug && (flags & APM_PLUG_TAKE_FROM_HOST)) {
        /* check everything else first: a refusal for another reason must not change the masks */
        g_autoptr(ApmPlan) trial = NULL;

        host_takes(op.host, &m->matrix, &wanted, &take_a, &take_d);
        /* the plan as it would be with the masks changed: nothing but the masks may stand in the way */
        {
            ApmMask apmask = op.host->apmask, aqmask = op.host->aqmask;

            apm_mask_andnot(&op.host->apmask, &op.host->apmask, &take_a);
            apm_mask_andnot(&op.host->aqmask, &op.host->aqmask, &take_d);
            trial = op_plan(&op, apm_plan_update_live, &report->uuid, config, error);
            op.host->apmask = apmask;
            op.host->aqmask = aqmask;
        }
        if (!trial || !apm_plan_check(trial, error)) {
            op_end(&op);
            return FALSE;
        }
    }
    if (d) {
        defined = op_plan(&op, apm_plan_define, &report->uuid, def_config, error);
        if (!defined || !apm_plan_check(defined, error)) {
            op_end(&op);
            return FALSE;
        }
        copy_strings(report->warnings, defined->warnings);
    }
    if (!apm_mask_is_empty(&take_a) || !apm_mask_is_empty(&take_d)) {
        if (!take_from_host(&op, &take_a, &take_d, error)) {
            give_back(hp->root, &take_a, &take_d);
            op_end(&op);
            return FALSE;
        }
        report->host_adapters = take_a;
        report->host_domains = take_d;
    }
    plan = op_plan(&op, apm_plan_update_live, &report->uuid, config, error);
    if (!plan || !op_exec(&op, plan, report, error)) {
        if (plan && plan->refusals->len && error && *error && strstr((*error)->message, "chzdev")) {
            char *more = g_strconcat((*error)->message, "\n",
                                     _("(or plug with --take-from-host, which takes them from the host's masks first)"),
                                     NULL);

            g_free((*error)->message);
            (*error)->message = more;
        }
        give_back(hp->root, &take_a, &take_d);
        op_end(&op);
        return FALSE;
    }
    if (defined && !apm_store_write(hp->root, &report->uuid, def_config, error)) {
        apm_exec_take_back(hp->root, plan);
        give_back(hp->root, &take_a, &take_d);
        op_end(&op);
        return FALSE;
    }
    /* the queues a plug added must be in the guest's use; an unplug has none to look at. The executor read the
     * mdev back when it wrote (the definition written since does not change it); with nothing to write, it is
     * read here */
    if (!report_guest(&op, report, TRUE, change, plan->writes->len > 0, error)) {
        op_end(&op);
        return FALSE;
    }
    op_end(&op);
    return TRUE;
}

/* ---- list ------------------------------------------------------------------------------------------------- */

GPtrArray *
apm_hotplug_list(ApmHotplug *hp, GError **error)
{
    g_autoptr(GPtrArray) guests = NULL;
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) apm_guest_report_free);
    g_autoptr(ApmHost) host = NULL;

    apm_lock_acquire(&guests_lock);
    guests = apm_guests_list(hp->guests, error);
    apm_lock_release(&guests_lock);
    if (!guests)
        return NULL;
    apm_lock_acquire(&mdev_state_lock);
    host = apm_host_read_detail(hp->root, APM_HOST_READ_ON_DEMAND, NULL, error);
    if (host)
        apm_host_read_guest_matrices(host);
    apm_lock_release(&mdev_state_lock);
    if (!host)
        return NULL;
    for (guint i = 0; i < guests->len; i++) {
        const ApmGuest *g = g_ptr_array_index(guests, i);
        ApmGuestReport *r = apm_guest_report_new();
        const ApmHostdev *h = g->running ? g->live : g->config;
        const ApmMdevInfo *m;

        r->guest = g_strdup(g->name);
        r->running = g->running;
        r->problem = g_strdup(g->problem);
        g_ptr_array_add(out, r);
        if (!h)
            continue;
        r->uuid = h->uuid;
        m = g->running ? apm_host_mdev(host, &h->uuid) : NULL;
        if (!m)
            continue;
        r->has_mdev = TRUE;
        r->matrix = m->matrix;
        r->guest_matrix = m->guest_matrix;
        r->guest_matrix.control_domains = m->matrix.control_domains;
        {
            g_autoptr(GPtrArray) reasons = apm_plan_filter_reasons(host, &m->matrix, NULL);

            copy_strings(r->filtered, reasons);
        }
        {
            g_autofree char *owner = record_read(hp->root, &h->uuid);

            r->started_on_demand = owner && g_str_equal(owner, g->name);
        }
    }
    return g_steal_pointer(&out);
}

/* ---- destroy ---------------------------------------------------------------------------------------------- */

/* An mdev of the snapshot (only the one of uuid, when given) that a guest holds (its queues 'in use') but that no
 * guest is named for yet */
static gboolean
held_unnamed(const ApmHost *host, const ApmUuid *uuid)
{
    for (guint i = 0; i < host->mdevs->len; i++) {
        const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);

        if ((!uuid || apm_uuid_equal(uuid, &m->uuid)) && !m->guest && apm_host_mdev_in_use(host, m))
            return TRUE;
    }
    return FALSE;
}

/* The guests asked to name who holds the mdevs of a snapshot. With only_held, a back-end that asks each guest's
 * QEMU is asked only when the host shows an mdev (of uuid) held by a guest it cannot name. Guests that could not be
 * asked are named in warnings (may be NULL). */
static gboolean
annotate_held(ApmHotplug *hp, ApmHost *host, gboolean only_held, const ApmUuid *uuid, GPtrArray *warnings,
              GError **error)
{
    g_autoptr(GPtrArray) guests = NULL;

    if (!hp->guests || (only_held && apm_guests_list_asks_guests(hp->guests) && !held_unnamed(host, uuid)))
        return TRUE;
    apm_lock_acquire(&guests_lock);
    guests = apm_guests_list(hp->guests, error);
    apm_lock_release(&guests_lock);
    if (!guests)
        return FALSE;
    for (guint i = 0; warnings && i < guests->len; i++) {
        const ApmGuest *g = g_ptr_array_index(guests, i);

        if (g->problem)
            g_ptr_array_add(warnings,
                            g_strdup_printf(_("guest %s was not asked which mdev it has: %s"), g->name, g->problem));
    }
    annotate(host, guests);
    return TRUE;
}

typedef struct {
    ApmHotplug *hp;
    ApmUuid uuid;
    GPtrArray *warnings;
} DestroyAnnotate;

static gboolean
annotate_destroy(ApmHost *host, gpointer data, GError **error)
{
    DestroyAnnotate *a = data;

    return annotate_held(a->hp, host, TRUE, &a->uuid, a->warnings, error);
}

/* For the host reports (matrix, check, mask): every guest named, each asked at once and within its timeout */
gboolean
apm_hotplug_annotate(ApmHost *host, gpointer data, GError **error)
{
    return annotate_held(data, host, FALSE, NULL, NULL, error);
}

/* Whether a guest holds the mdev, as the host shows it (queues 'in use', libvirt's status files) */
static gboolean
mdev_held(const char *root, const ApmUuid *uuid)
{
    g_autoptr(ApmHost) host = NULL;
    const ApmMdevInfo *m;

    apm_lock_acquire(&mdev_state_lock);
    host = apm_host_read_detail(root, APM_HOST_READ_ON_DEMAND, NULL, NULL);
    apm_lock_release(&mdev_state_lock);
    m = host ? apm_host_mdev(host, uuid) : NULL;
    return !host || (m && (m->guest || apm_host_mdev_in_use(host, m)));
}

gboolean
apm_hotplug_destroy(ApmHotplug *hp, const char *name, gboolean force, ApmGuestReport *report, GError **error)
{
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    ApmExecOptions exec = hp->exec;
    DestroyAnnotate held;
    ApmUuid uuid;
    gboolean ok;

    if (force && hp->guests && apm_devices_mdev_uuid(name, &uuid) &&
        (!apm_guests_list_asks_guests(hp->guests) || mdev_held(hp->root, &uuid))) {
        g_autoptr(GPtrArray) guests = NULL;
        const ApmGuest *holder;

        apm_lock_acquire(&guests_lock);
        guests = apm_guests_list(hp->guests, error);
        apm_lock_release(&guests_lock);
        if (!guests)
            return FALSE;
        holder = apm_guests_holder(guests, &uuid);
        if (holder) {
            g_autofree char *guest = g_strdup(holder->name);
            g_autoptr(ApmGuestReport) detached = apm_guest_report_new();
            ApmHostdev h = { uuid, NULL, 0 };

            if (!apm_hotplug_detach(hp, guest, &h, APM_GUEST_LIVE, detached, error)) {
                g_prefix_error(error, _("Cannot detach mdev %s from guest %s before removing it: "), name, guest);
                return FALSE;
            }
            g_ptr_array_add(report->warnings,
                            g_strdup_printf(_("detached from guest %s first (--force)"), guest));
            report->guest = g_strdup(guest);
            if (detached->stopped) {
                report->stopped = TRUE; /* it was started on demand for that guest, and is gone already */
                report->uuid = uuid;
                return TRUE;
            }
        }
    }
    if (apm_devices_mdev_uuid(name, &uuid)) {
        /* the guests are asked only when the mdev is held, to name who holds it */
        held = (DestroyAnnotate) { hp, uuid, report->warnings };
        exec.annotate = annotate_destroy;
        exec.annotate_data = &held;
    }
    ok = apm_nodedev_destroy(hp->root, name, &exec, outcome, error);
    report->uuid = outcome->uuid;
    copy_strings(report->warnings, outcome->warnings);
    copy_strings(report->differences, outcome->differences);
    if (ok) {
        report->stopped = TRUE;
        apm_ondemand_remove(hp->root, &outcome->uuid);
    }
    return ok;
}

/* ---- the libvirt hook ------------------------------------------------------------------------------------- */

gboolean
apm_hotplug_prepare(ApmHotplug *hp, const char *guest, GPtrArray *hostdevs, ApmGuestReport *report, GError **error)
{
    Op op;

    if (!hostdevs || hostdevs->len == 0)
        return TRUE;
    if (!op_begin(&op, hp, guest, TRUE, report, error))
        return FALSE;
    report->guest = g_strdup(guest);
    for (guint i = 0; i < hostdevs->len; i++) {
        const ApmHostdev *h = g_ptr_array_index(hostdevs, i);
        g_autoptr(ApmPlan) started = NULL;
        const ApmMdevInfo *m;

        report->uuid = h->uuid;
        if (!apm_hostdev_validate(h, error) || !ensure_started(&op, guest, &h->uuid, report, &started, error)) {
            op_end(&op);
            return FALSE;
        }
        m = apm_host_mdev(op.host, &h->uuid);
        if (!started && m) {
            /* already active: it must still be what the planner accepts for a start (nobody else has its
             * APQNs, the host's drivers hold none) */
            g_autoptr(GPtrArray) reasons = apm_plan_filter_reasons(op.host, &m->matrix, &report->guest_matrix);

            copy_strings(report->filtered, reasons);
        } else if (started) {
            if (!op_read_host(&op, error)) {
                op_end(&op);
                return FALSE;
            }
            m = apm_host_mdev(op.host, &h->uuid);
            if (m) {
                g_autoptr(GPtrArray) reasons = apm_plan_filter_reasons(op.host, &m->matrix, &report->guest_matrix);

                copy_strings(report->filtered, reasons);
            }
        }
        if (m) {
            report->has_mdev = TRUE;
            report->matrix = m->matrix;
        }
    }
    op_end(&op);
    return TRUE;
}

gboolean
apm_hotplug_release(ApmHotplug *hp, const char *guest, GPtrArray *hostdevs, ApmGuestReport *report, GError **error)
{
    Op op;
    gboolean ok = TRUE;

    if (!hostdevs || hostdevs->len == 0)
        return TRUE;
    if (!op_begin(&op, hp, guest, TRUE, report, error))
        return FALSE;
    report->guest = g_strdup(guest);
    for (guint i = 0; i < hostdevs->len && ok; i++) {
        const ApmHostdev *h = g_ptr_array_index(hostdevs, i);

        report->uuid = h->uuid;
        ok = stop_on_demand(&op, guest, &h->uuid, report, error);
    }
    op_end(&op);
    return ok;
}
