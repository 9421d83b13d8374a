/* apm-hostmask.c: checking, writing and persisting the AP bus masks */
#include "config.h"
#include "apm-hostmask.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "apm-apqn.h"
#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-planner.h"
#include "apm-sysfs.h"

#define BIND_TIMEOUT_MS 30000

void
apm_mask_plan_free(ApmMaskPlan *plan)
{
    if (!plan)
        return;
    g_clear_pointer(&plan->refusals, g_ptr_array_unref);
    g_free(plan);
}

gboolean
apm_hostmask_owns(const ApmMask *apmask, const ApmMask *aqmask, ApmApqn apqn)
{
    return apm_mask_test(apmask, apqn.adapter) && apm_mask_test(aqmask, apqn.domain);
}

static gboolean
parse_spec(const char *spec, const char *name, const ApmMask *current, ApmMask *out, GError **error)
{
    int rc;

    if (!spec) {
        *out = *current;
        return TRUE;
    }
    rc = apm_mask_parse_kernel(spec, current, out);
    if (rc == 0)
        return TRUE;
    g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                _("'%s' is not a valid %s: the kernel takes 0x followed by up to 64 hex digits (ID 0 leftmost), or "
                  "+/- terms such as +0x05,-0x10-0x1f with IDs below 256"),
                spec, name);
    return FALSE;
}

/* Whether the mask writes of a change from (ap_old, aq_old) to (ap_new, aq_new) return apqn to the host, as the
 * kernel's in_use check sees it: the writes clear bits first, then set them, so a newly set adapter is checked
 * against the domains both masks keep, a newly set domain against the new adapters (and from 6.19 either against
 * every ID) */
static gboolean
returned_to_host(const ApmMask *ap_old, const ApmMask *aq_old, const ApmMask *ap_new, const ApmMask *aq_new,
                 gboolean all_ones, ApmApqn apqn)
{
    gboolean set_a = apm_mask_test(ap_new, apqn.adapter) && !apm_mask_test(ap_old, apqn.adapter);
    gboolean set_d = apm_mask_test(aq_new, apqn.domain) && !apm_mask_test(aq_old, apqn.domain);

    if (all_ones)
        return set_a || set_d;
    return (set_a && apm_mask_test(aq_new, apqn.domain)) || (set_d && apm_mask_test(ap_new, apqn.adapter));
}

/* The APQNs collected, as ranges, and the list emptied; NULL when there were none */
static char *
take_apqns(GArray *apqns)
{
    char *list;

    if (apqns->len == 0)
        return NULL;
    list = apm_apqn_format_ranges((guint *) (void *) apqns->data, apqns->len);
    g_array_set_size(apqns, 0);
    return list;
}

/* The APQNs the new masks would give back to the host although an mdev (active masks) or an autostart
 * definition (persistent masks) holds them: a refusal per holder */
static void
check_returned(ApmMaskPlan *plan, const ApmHost *host, gboolean persistent)
{
    g_autoptr(GArray) apqns = g_array_new(FALSE, FALSE, sizeof(guint));
    ApmApqnIter iter;
    ApmApqn apqn;

    if (!persistent) {
        for (guint i = 0; i < host->mdevs->len; i++) {
            const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);
            g_autofree char *owner = apm_plan_describe_owner(m), *list = NULL;

            apm_apqn_iter_init(&iter, &m->matrix.adapters, &m->matrix.domains);
            while (apm_apqn_iter_next(&iter, &apqn)) {
                guint index = apm_apqn_index(apqn);

                if (returned_to_host(&plan->apmask, &plan->aqmask, &plan->new_apmask, &plan->new_aqmask,
                                     host->mask_check_all_ones, apqn))
                    g_array_append_val(apqns, index);
            }
            if ((list = take_apqns(apqns)))
                g_ptr_array_add(plan->refusals,
                                g_strdup_printf(_("APQNs %s would go back to the host's default drivers, but they are "
                                                  "assigned to %s: take them from it first (apmatrix unplug or "
                                                  "nodedev-update)"),
                                                list, owner));
        }
        return;
    }
    for (guint i = 0; i < host->definitions->len; i++) {
        const ApmStoredDef *def = g_ptr_array_index(host->definitions, i);
        char uuid[APM_UUID_TEXT_LEN + 1];
        g_autofree char *list = NULL;
        ApmMatrix matrix;

        if (!def->config->autostart || !apm_matrix_from_config(def->config, &matrix, NULL))
            continue;
        apm_apqn_iter_init(&iter, &matrix.adapters, &matrix.domains);
        while (apm_apqn_iter_next(&iter, &apqn)) {
            guint index = apm_apqn_index(apqn);

            if (apm_hostmask_owns(&plan->new_persistent_apmask, &plan->new_persistent_aqmask, apqn) &&
                !apm_hostmask_owns(&plan->persistent_apmask, &plan->persistent_aqmask, apqn))
                g_array_append_val(apqns, index);
        }
        if ((list = take_apqns(apqns)))
            g_ptr_array_add(plan->refusals,
                            g_strdup_printf(_("The persistent masks would give APQNs %s to the host's default drivers "
                                              "at boot, but the autostart definition of mdev %s needs them"),
                                            list, apm_uuid_format(&def->uuid, uuid)));
    }
}

ApmMaskPlan *
apm_hostmask_plan(const ApmHost *host, const char *apmask_spec, const char *aqmask_spec, gboolean persistent,
                  GError **error)
{
    g_autoptr(ApmMaskPlan) plan = g_new0(ApmMaskPlan, 1);

    plan->refusals = g_ptr_array_new_with_free_func(g_free);
    plan->apmask = host->apmask;
    plan->aqmask = host->aqmask;
    plan->persistent = persistent;
    plan->persistent_apmask = host->persistent_apmask;
    plan->persistent_aqmask = host->persistent_aqmask;
    if (!parse_spec(apmask_spec, "apmask", &host->apmask, &plan->new_apmask, error) ||
        !parse_spec(aqmask_spec, "aqmask", &host->aqmask, &plan->new_aqmask, error))
        return NULL;
    if (persistent) {
        /* a relative change applies to what the host boots with, which may differ from the live masks */
        parse_spec(apmask_spec, "apmask", &host->persistent_apmask, &plan->new_persistent_apmask, NULL);
        parse_spec(aqmask_spec, "aqmask", &host->persistent_aqmask, &plan->new_persistent_aqmask, NULL);
    } else {
        plan->new_persistent_apmask = plan->persistent_apmask;
        plan->new_persistent_aqmask = plan->persistent_aqmask;
    }
    for (guint i = 0; i < host->queues->len; i++) {
        const ApmQueueInfo *q = g_ptr_array_index(host->queues, i);
        gboolean before = apm_hostmask_owns(&plan->apmask, &plan->aqmask, q->apqn);
        gboolean after = apm_hostmask_owns(&plan->new_apmask, &plan->new_aqmask, q->apqn);

        if (before && !after)
            plan->to_vfio++;
        else if (!before && after)
            plan->to_host++;
    }
    check_returned(plan, host, FALSE);
    if (persistent)
        check_returned(plan, host, TRUE);
    return g_steal_pointer(&plan);
}

/* "-0x10,+0x05\n": the bits that differ between from and to, as one relative write */
static char *
relative_change(const ApmMask *from, const ApmMask *to)
{
    ApmMask gone, come;
    g_autofree char *minus = NULL, *plus = NULL;

    apm_mask_andnot(&gone, from, to);
    apm_mask_andnot(&come, to, from);
    minus = apm_mask_format_relative(&gone, '-');
    plus = apm_mask_format_relative(&come, '+');
    return g_strconcat(minus, *minus && *plus ? "," : "", plus, "\n", NULL);
}

static gboolean
write_mask(const char *root, const char *name, const ApmMask *from, const ApmMask *to, GError **error)
{
    g_autofree char *attr = g_strconcat("/sys/bus/ap/", name, NULL);
    g_autofree char *value = NULL;
    g_autoptr(GError) local = NULL;

    if (apm_mask_equal(from, to))
        return TRUE;
    value = relative_change(from, to);
    if (apm_sysfs_write(root, attr, value, &local))
        return TRUE;
    switch (apm_error_errno(local)) {
    case EBUSY:
        apm_set_errno_error(error, EBUSY,
                            _("The kernel refused the new %s (EBUSY): an APQN it would give back to the host is "
                              "assigned to an mdev"),
                            name);
        break;
    case EINVAL:
        apm_set_errno_error(error, EINVAL,
                            _("The kernel refused the new %s (EINVAL): the value is malformed, or a queue has a "
                              "driver_override set (the kernel does not mix overrides with the masks)"),
                            name);
        break;
    default:
        g_propagate_prefixed_error(error, g_steal_pointer(&local), _("Cannot write %s: "), name);
    }
    return FALSE;
}

gboolean
apm_hostmask_wait_bound(const ApmHost *host, const ApmMask *apmask, const ApmMask *aqmask, guint timeout_ms,
                        ApmProgress *progress, GError **error)
{
    g_autoptr(GArray) waiting = g_array_new(FALSE, FALSE, sizeof(ApmApqn));
    gint64 until = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    guint total;

    for (guint i = 0; i < host->queues->len; i++) {
        const ApmQueueInfo *q = g_ptr_array_index(host->queues, i);
        gboolean host_owned = apm_hostmask_owns(apmask, aqmask, q->apqn);

        if (host_owned ? q->driver != APM_DRIVER_ZCRYPT : q->driver != APM_DRIVER_VFIO_AP)
            g_array_append_val(waiting, q->apqn);
    }
    total = waiting->len;
    for (;;) {
        /* drop the queues bound as the masks say; keep the order, so the first still waiting is named */
        for (guint i = 0; i < waiting->len;) {
            ApmApqn apqn = g_array_index(waiting, ApmApqn, i);
            char name[APM_APQN_TEXT_LEN + 1];
            g_autofree char *dev = g_strdup_printf("/sys/bus/ap/devices/%s", apm_apqn_format(apqn, name));
            g_autofree char *link = g_strconcat(dev, "/driver", NULL);
            g_autofree char *driver = apm_sysfs_read_link_name(host->root, link, NULL);
            gboolean want_host = apm_hostmask_owns(apmask, aqmask, apqn);
            gboolean gone = !driver && !apm_sysfs_exists(host->root, dev);

            if (gone || (driver && (want_host ? g_str_has_prefix(driver, "cex") : g_str_equal(driver, "vfio_ap"))))
                g_array_remove_index(waiting, i);
            else
                i++;
        }
        apm_progress_update(progress, total - waiting->len, total);
        if (waiting->len == 0)
            return TRUE;
        if (g_get_monotonic_time() >= until) {
            ApmApqn first = g_array_index(waiting, ApmApqn, 0);
            char name[APM_APQN_TEXT_LEN + 1];
            gboolean want_host = apm_hostmask_owns(apmask, aqmask, first);

            g_set_error(error, APM_ERROR, APM_ERROR_TIMEOUT,
                        _("The AP bus did not re-bind %u of %u queues within %u s (queue %s is not yet bound to %s)"),
                        waiting->len, total, timeout_ms / 1000, apm_apqn_format(first, name),
                        want_host ? _("the host's default driver") : "vfio_ap");
            return FALSE;
        }
        g_usleep(20 * 1000);
    }
}

char *
apm_hostmask_format_rules(const ApmMask *apmask, const ApmMask *aqmask)
{
    char ap[APM_MASK_HEX_LEN + 1], aq[APM_MASK_HEX_LEN + 1];

    apm_mask_format_hex(apmask, ap);
    apm_mask_format_hex(aqmask, aq);
    return g_strdup_printf(
        "# The AP bus masks this host boots with: udev sets them once the AP bus has bound its devices,\n"
        "# then loads vfio_ap. Written by apmatrix mask --persistent in the layout of chzdev --type ap,\n"
        "# which reads and rewrites this file too.\n"
        "ACTION==\"add\", SUBSYSTEM==\"ap\", KERNEL==\"ap\", ATTR{../../bus/ap/bindings_complete_count}!=\"0\", "
        "GOTO=\"ap_masks_set\"\n"
        "ACTION==\"change\", SUBSYSTEM==\"ap\", KERNEL==\"ap\", ENV{BINDINGS}==\"complete\", "
        "ENV{COMPLETECOUNT}==\"1\", GOTO=\"ap_masks_set\"\n"
        "GOTO=\"ap_masks_end\"\n"
        "LABEL=\"ap_masks_set\"\n"
        "ATTR{../../bus/ap/apmask}=\"%s\"\n"
        "ATTR{../../bus/ap/aqmask}=\"%s\"\n"
        "RUN{builtin}+=\"kmod load vfio_ap\"\n"
        "LABEL=\"ap_masks_end\"\n",
        ap, aq);
}

/* Replaces the rules file atomically (a temporary file renamed over it); never follows a symlink planted at the
 * temporary name */
static gboolean
write_rules(const char *root, const ApmMaskPlan *plan, GError **error)
{
    g_autofree char *path = apm_root_path(root, APM_HOSTMASK_RULES);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *text = apm_hostmask_format_rules(&plan->new_persistent_apmask, &plan->new_persistent_aqmask);
    g_autoptr(GError) local = NULL;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot create %s: %s"), dir, g_strerror(errno));
        return FALSE;
    }
    if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local)) {
        g_set_error(error, APM_ERROR, APM_ERROR_IO, _("Cannot write %s: %s"), path, local->message);
        return FALSE;
    }
    return TRUE;
}

gboolean
apm_hostmask_apply_locked(const ApmHost *host, const ApmMaskPlan *plan, ApmProgress *progress, GError **error)
{
    const char *root = host->root;
    ApmMask ap_kept, aq_kept;
    /* bits leave the host first, then come back: the order the kernel's in_use check was predicted in */
    struct {
        const char *name;
        const ApmMask *from, *to;
    } steps[] = {
        { "apmask", &plan->apmask, &ap_kept },
        { "aqmask", &plan->aqmask, &aq_kept },
        { "apmask", &ap_kept, &plan->new_apmask },
        { "aqmask", &aq_kept, &plan->new_aqmask },
    };
    guint done;

    if (!apm_refusals_check(plan->refusals, error))
        return FALSE;
    apm_mask_and(&ap_kept, &plan->apmask, &plan->new_apmask);
    apm_mask_and(&aq_kept, &plan->aqmask, &plan->new_aqmask);
    for (done = 0; done < G_N_ELEMENTS(steps); done++)
        if (!write_mask(root, steps[done].name, steps[done].from, steps[done].to, error))
            break;
    if (done == G_N_ELEMENTS(steps)) {
        /* a bus that is late leaves the masks as asked, which the message says */
        if (!apm_hostmask_wait_bound(host, &plan->new_apmask, &plan->new_aqmask, BIND_TIMEOUT_MS, progress, error))
            return FALSE;
        if (!plan->persistent || write_rules(root, plan, error))
            return TRUE;
    }
    /* a failed step: the active masks go back as they were */
    while (done-- > 0)
        write_mask(root, steps[done].name, steps[done].to, steps[done].from, NULL);
    return FALSE;
}
