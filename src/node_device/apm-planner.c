/* apm-planner.c: planning mdev changes with every rule checked first */
#include "config.h"
#include "apm-planner.h"

#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-kstrto.h"

gboolean
apm_matrix_from_config(const ApmMdevConfig *config, ApmMatrix *matrix, GError **error)
{
    return apm_matrix_from_attrs(config->attrs, matrix, NULL, error);
}

void
apm_plan_free(ApmPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_unref(plan->writes);
    g_ptr_array_unref(plan->refusals);
    g_ptr_array_unref(plan->warnings);
    g_free(plan);
}

static void
write_free(ApmWrite *w)
{
    g_free(w->attr);
    g_free(w->value);
    g_free(w->undo_attr);
    g_free(w->undo_value);
    g_free(w);
}

static void
add_write_undo(ApmPlan *plan, const char *attr, char *value, const char *undo_attr, char *undo_value)
{
    ApmWrite *w = g_new0(ApmWrite, 1);

    w->attr = g_strdup(attr);
    w->value = value;
    w->undo_attr = g_strdup(undo_attr);
    w->undo_value = undo_value;
    g_ptr_array_add(plan->writes, w);
}

static void
add_write(ApmPlan *plan, const char *attr, char *value)
{
    add_write_undo(plan, attr, value, NULL, NULL);
}

char *
apm_plan_describe_owner(const ApmMdevInfo *mdev)
{
    char uuid[APM_UUID_TEXT_LEN + 1];

    apm_uuid_format(&mdev->uuid, uuid);
    if (mdev->guest)
        return g_strdup_printf(_("mdev %s (used by guest %s)"), uuid, mdev->guest);
    return g_strdup_printf(_("mdev %s"), uuid);
}

static void G_GNUC_PRINTF(2, 3)
refuse(ApmPlan *plan, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    g_ptr_array_add(plan->refusals, g_strdup_vprintf(format, ap));
    va_end(ap);
}

static void G_GNUC_PRINTF(2, 3)
warn(ApmPlan *plan, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    g_ptr_array_add(plan->warnings, g_strdup_vprintf(format, ap));
    va_end(ap);
}

/* IDs above the host's limits: the kernel's ENODEV */
static void
check_limits(ApmPlan *plan, const ApmHost *host)
{
    const struct {
        const ApmMask *mask;
        guint max;
        const char *what;
    } dims[] = {
        { &plan->touched.adapters, host->max_adapter_id, N_("adapter") },
        { &plan->touched.domains, host->max_domain_id, N_("domain") },
        { &plan->touched.control_domains, host->max_domain_id, N_("control domain") },
    };

    for (guint i = 0; i < G_N_ELEMENTS(dims); i++) {
        ApmMask over, allowed;
        g_autofree char *list = NULL;

        apm_mask_clear_all(&allowed);
        apm_mask_set_range(&allowed, 0, dims[i].max);
        apm_mask_andnot(&over, dims[i].mask, &allowed);
        if (apm_mask_is_empty(&over))
            continue;
        list = apm_mask_format_list(&over, APM_LIST_HEX);
        refuse(plan, _("%s %s: this host's highest %s is 0x%02x"), _(dims[i].what), list, _(dims[i].what),
               dims[i].max);
    }
}

static void
check_apqns(ApmPlan *plan, const ApmHost *host, const ApmUuid *self)
{
    ApmApqnIter iter;
    ApmApqn apqn;

    apm_apqn_iter_init(&iter, &plan->matrix.adapters, &plan->matrix.domains);
    while (apm_apqn_iter_next(&iter, &apqn)) {
        char name[APM_APQN_TEXT_LEN + 1];
        const ApmMdevInfo *owner = apm_host_mdev_for_apqn(host, apqn);

        apm_apqn_format(apqn, name);
        if (owner && !apm_uuid_equal(&owner->uuid, self)) {
            g_autofree char *who = apm_plan_describe_owner(owner);

            refuse(plan, _("APQN %s is already assigned to %s; unassign it there first"), name, who);
        } else if (apm_mask_test(&host->apmask, apqn.adapter) && apm_mask_test(&host->aqmask, apqn.domain)) {
            refuse(plan,
                   _("APQN %s is reserved for the host's default crypto drivers by apmask and aqmask; free it for vfio_ap "
                     "with chzdev -t ap apmask=-0x%02x (or aqmask=-0x%02x)"),
                   name, apqn.adapter, apqn.domain);
        }
    }
}

/* A rule of the persistent configuration: refused for a definition, said as a warning for a start (the live
 * host takes it, and ap-check lets it pass) */
static void G_GNUC_PRINTF(3, 4)
persistent_rule(ApmPlan *plan, gboolean refusing, const char *format, ...)
{
    va_list ap;

    g_autofree char *text = NULL;

    va_start(ap, format);
    text = g_strdup_vprintf(format, ap);
    va_end(ap);
    if (refusing)
        g_ptr_array_add(plan->refusals, g_steal_pointer(&text));
    else
        g_ptr_array_add(plan->warnings,
                        g_strdup_printf(_("%s (the start goes ahead, as the live host allows it; put the definitions "
                                          "right before the next boot)"),
                                        text));
}

/* ap-check's rule for autostart definitions: what the host boots with must leave the APQNs to vfio_ap */
static void
check_persistent_masks(ApmPlan *plan, const ApmHost *host, gboolean refusing)
{
    ApmApqnIter iter;
    ApmApqn apqn;

    apm_apqn_iter_init(&iter, &plan->matrix.adapters, &plan->matrix.domains);
    while (apm_apqn_iter_next(&iter, &apqn)) {
        char name[APM_APQN_TEXT_LEN + 1];

        if (!apm_mask_test(&host->persistent_apmask, apqn.adapter) ||
            !apm_mask_test(&host->persistent_aqmask, apqn.domain))
            continue;
        apm_apqn_format(apqn, name);
        if (host->persistent_masks_from)
            persistent_rule(plan, refusing,
                   _("APQN %s is kept for the host's default crypto drivers by the persistent masks in %s, so an "
                     "autostart mdev cannot have it after a reboot; free it with chzdev -t ap --persistent "
                     "apmask=-0x%02x (or aqmask=-0x%02x)"),
                   name, host->persistent_masks_from, apqn.adapter, apqn.domain);
        else
            persistent_rule(plan, refusing,
                   _("APQN %s is kept for the host's default crypto drivers by apmask and aqmask, and no "
                     "41-ap.rules changes that at boot, so an autostart mdev cannot have it; free it with chzdev -t "
                     "ap apmask=-0x%02x (or aqmask=-0x%02x)"),
                   name, apqn.adapter, apqn.domain);
    }
}

static void
check_autostart(ApmPlan *plan, const ApmHost *host, const ApmUuid *self, gboolean refusing)
{
    for (guint i = 0; i < host->definitions->len; i++) {
        const ApmStoredDef *other = g_ptr_array_index(host->definitions, i);
        ApmMatrix m;
        ApmMask a, d;
        char uuid[APM_UUID_TEXT_LEN + 1];

        if (apm_uuid_equal(&other->uuid, self) || !other->config->autostart ||
            !apm_matrix_from_config(other->config, &m, NULL))
            continue;
        apm_matrix_common_apqns(&plan->matrix, &m, &a, &d);
        if (apm_mask_is_empty(&a))
            continue;
        {
            ApmApqnIter iter;
            ApmApqn apqn;

            apm_apqn_iter_init(&iter, &a, &d);
            while (apm_apqn_iter_next(&iter, &apqn)) {
                char name[APM_APQN_TEXT_LEN + 1];

                persistent_rule(plan, refusing,
                                _("APQN %s is defined for autostart by %s too; two autostart definitions may not "
                                  "share a queue"),
                                apm_apqn_format(apqn, name), apm_uuid_format(&other->uuid, uuid));
            }
        }
    }
}

/* The kernel's filter (§2.1): host configuration first, then whole adapters with a queue that is not bound to
 * vfio_ap. */
static void
predict_guest_matrix(ApmPlan *plan, const ApmHost *host)
{
    ApmMatrix *g = &plan->guest_matrix;

    apm_mask_and(&g->adapters, &plan->matrix.adapters, &host->qci.adapters);
    apm_mask_and(&g->domains, &plan->matrix.domains, &host->qci.domains);
    apm_mask_and(&g->control_domains, &plan->matrix.control_domains, &host->qci.control_domains);
    {
        ApmMask missing;
        g_autofree char *a = NULL, *d = NULL;

        apm_mask_andnot(&missing, &plan->matrix.adapters, &host->qci.adapters);
        if (!apm_mask_is_empty(&missing)) {
            a = apm_mask_format_list(&missing, APM_LIST_HEX);
            warn(plan, _("adapters %s are not in the host's AP configuration: assigned, but no guest gets them until "
                         "they are"),
                 a);
        }
        apm_mask_andnot(&missing, &plan->matrix.domains, &host->qci.domains);
        if (!apm_mask_is_empty(&missing)) {
            d = apm_mask_format_list(&missing, APM_LIST_HEX);
            warn(plan, _("domains %s are not in the host's AP configuration: assigned, but no guest gets them until "
                         "they are"),
                 d);
        }
    }
    APM_MASK_FOREACH(apid, &g->adapters) {
        APM_MASK_FOREACH(apqi, &g->domains) {
            const ApmQueueInfo *q = apm_host_queue(host, (ApmApqn) { apid, apqi });

            if (!q || q->driver != APM_DRIVER_VFIO_AP) {
                char name[APM_APQN_TEXT_LEN + 1];

                apm_mask_clear(&g->adapters, apid);
                warn(plan, _("adapter 0x%02x reaches no guest: queue %s is %s, and the architecture passes whole "
                             "adapters only"),
                     apid, apm_apqn_format((ApmApqn) { apid, apqi }, name),
                     q ? _("not bound to vfio_ap") : _("missing"));
                break;
            }
        }
    }
}

/* single writes of verb ("assign"/"unassign") for each ID of ids, each undone by the opposite verb */
static void
single_writes(ApmPlan *plan, const ApmMask *ids, gboolean assign, const char *what)
{
    g_autofree char *attr = g_strconcat(assign ? "assign_" : "unassign_", what, NULL);
    g_autofree char *undo = g_strconcat(assign ? "unassign_" : "assign_", what, NULL);

    APM_MASK_FOREACH(id, ids)
        add_write_undo(plan, attr, g_strdup_printf("0x%02x\n", id), undo, g_strdup_printf("0x%02x\n", id));
}

static void
plan_writes(ApmPlan *plan, const ApmHost *host)
{
    char uuid[APM_UUID_TEXT_LEN + 1];

    add_write_undo(plan, "create", g_strdup_printf("%s\n", apm_uuid_format(&plan->uuid, uuid)), "remove",
                   g_strdup("1\n"));
    if (apm_host_has_feature(host, "ap_config")) {
        add_write(plan, "ap_config", apm_matrix_format_ap_config(&plan->matrix)); /* one atomic write */
        return;
    }
    single_writes(plan, &plan->matrix.adapters, TRUE, "adapter");
    single_writes(plan, &plan->matrix.domains, TRUE, "domain");
    single_writes(plan, &plan->matrix.control_domains, TRUE, "control_domain");
}

static ApmPlan *
plan_new(ApmPlanKind kind, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error)
{
    g_autoptr(ApmPlan) plan = g_new0(ApmPlan, 1);

    plan->kind = kind;
    plan->uuid = *uuid;
    plan->writes = g_ptr_array_new_with_free_func((GDestroyNotify) write_free);
    plan->refusals = g_ptr_array_new_with_free_func(g_free);
    plan->warnings = g_ptr_array_new_with_free_func(g_free);
    if (config && !apm_matrix_from_attrs(config->attrs, &plan->matrix, &plan->touched, error))
        return NULL;
    if (!config)
        plan->touched = plan->matrix;
    return g_steal_pointer(&plan);
}

/* What the matrix itself can violate: the host's limits, control domains without a usage domain. */
static void
check_shape(ApmPlan *plan, const ApmHost *host)
{
    check_limits(plan, host);
    if (!apm_mask_is_empty(&plan->matrix.control_domains) && apm_mask_is_empty(&plan->matrix.domains))
        refuse(plan, "%s", _("Control domains need at least one usage domain in the same mdev"));
}

/* What a definition itself can violate: its shape, and for an autostart definition the persistent rules (another
 * autostart definition with the same queue, persistent masks that keep a queue from vfio_ap after a reboot).
 * refusing: those are refusals (define, autostart), or warnings (a start: the live host takes it, and refusing
 * would only keep the guest from its crypto now; at the next boot neither overlapping definition would start) */
static void
check_definition(ApmPlan *plan, const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config,
                 gboolean refusing)
{
    check_shape(plan, host);
    if (config->autostart) {
        check_autostart(plan, host, uuid, refusing);
        check_persistent_masks(plan, host, refusing);
    }
}

ApmPlan *
apm_plan_define(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error)
{
    g_autoptr(ApmPlan) plan = plan_new(APM_PLAN_DEFINE, uuid, config, error);

    if (!plan)
        return NULL;
    check_definition(plan, host, uuid, config, TRUE);
    predict_guest_matrix(plan, host);
    return g_steal_pointer(&plan);
}

ApmPlan *
apm_plan_start(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error)
{
    g_autoptr(ApmPlan) plan = plan_new(APM_PLAN_START, uuid, config, error);

    if (!plan)
        return NULL;
    if (!host->matrix_present)
        refuse(plan, "%s", _("The vfio_ap driver is not loaded (no /sys/devices/vfio_ap/matrix); load it with "
                             "modprobe vfio_ap"));
    if (apm_host_mdev(host, uuid)) {
        char text[APM_UUID_TEXT_LEN + 1];

        refuse(plan, _("mdev %s is already active"), apm_uuid_format(uuid, text));
    }
    check_definition(plan, host, uuid, config, FALSE);
    check_apqns(plan, host, uuid);
    predict_guest_matrix(plan, host);
    plan_writes(plan, host);
    return g_steal_pointer(&plan);
}

ApmPlan *
apm_plan_update_live(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error)
{
    g_autoptr(ApmPlan) plan = plan_new(APM_PLAN_UPDATE_LIVE, uuid, config, error);
    const ApmMdevInfo *mdev;
    char text[APM_UUID_TEXT_LEN + 1];

    if (!plan)
        return NULL;
    apm_uuid_format(uuid, text);
    mdev = apm_host_mdev(host, uuid);
    if (!mdev) {
        refuse(plan, _("mdev %s is not active, so there is nothing to update live; start it, or update only its "
                       "definition"),
               text);
        return g_steal_pointer(&plan);
    }
    plan->old_matrix = mdev->matrix;
    check_shape(plan, host);
    check_apqns(plan, host, uuid);
    predict_guest_matrix(plan, host);
    if (apm_matrix_equal(&plan->old_matrix, &plan->matrix))
        return g_steal_pointer(&plan);
    if (mdev->has_ap_config) {
        add_write_undo(plan, "ap_config", apm_matrix_format_ap_config(&plan->matrix), "ap_config",
                       apm_matrix_format_ap_config(&plan->old_matrix));
        return g_steal_pointer(&plan);
    }
    {
        const ApmMatrix *o = &plan->old_matrix, *n = &plan->matrix;
        ApmMatrix gone, added;

        apm_mask_andnot(&gone.adapters, &o->adapters, &n->adapters);
        apm_mask_andnot(&gone.domains, &o->domains, &n->domains);
        apm_mask_andnot(&gone.control_domains, &o->control_domains, &n->control_domains);
        apm_mask_andnot(&added.adapters, &n->adapters, &o->adapters);
        apm_mask_andnot(&added.domains, &n->domains, &o->domains);
        apm_mask_andnot(&added.control_domains, &n->control_domains, &o->control_domains);
        /* take away in the reverse order of giving: control domains, domains, adapters; then give */
        single_writes(plan, &gone.control_domains, FALSE, "control_domain");
        single_writes(plan, &gone.domains, FALSE, "domain");
        single_writes(plan, &gone.adapters, FALSE, "adapter");
        single_writes(plan, &added.adapters, TRUE, "adapter");
        single_writes(plan, &added.domains, TRUE, "domain");
        single_writes(plan, &added.control_domains, TRUE, "control_domain");
    }
    return g_steal_pointer(&plan);
}

ApmPlan *
apm_plan_stop(const ApmHost *host, const ApmUuid *uuid)
{
    g_autoptr(ApmPlan) plan = plan_new(APM_PLAN_STOP, uuid, NULL, NULL);
    const ApmMdevInfo *mdev = apm_host_mdev(host, uuid);
    char text[APM_UUID_TEXT_LEN + 1];

    apm_uuid_format(uuid, text);
    if (!mdev) {
        refuse(plan, _("mdev %s is not active"), text);
        return g_steal_pointer(&plan);
    }
    plan->old_matrix = mdev->matrix;
    /* the kernel's remove would block until the guest lets go (or for ever, with an old QEMU) */
    if (mdev->guest)
        refuse(plan,
               _("mdev %s is in use by guest %s: removing it would pull its crypto queues out of the running guest; "
                 "detach it from the guest first (apmatrix detach-device), or use nodedev-destroy --force"),
               text, mdev->guest);
    else if (apm_host_mdev_in_use(host, mdev))
        refuse(plan,
               _("mdev %s is in use by a running guest (its queues say 'in use'): detach it from the guest first"),
               text);
    add_write(plan, "remove", g_strdup("1\n"));
    return g_steal_pointer(&plan);
}

gboolean
apm_refusals_check(const GPtrArray *refusals, GError **error)
{
    g_autoptr(GString) text = NULL;

    if (refusals->len == 0)
        return TRUE;
    text = g_string_new(NULL);
    for (guint i = 0; i < refusals->len; i++)
        g_string_append_printf(text, "%s%s", i ? "\n" : "", (char *) g_ptr_array_index(refusals, i));
    g_set_error_literal(error, APM_ERROR, APM_ERROR_CONFLICT, text->str);
    return FALSE;
}

gboolean
apm_plan_check(const ApmPlan *plan, GError **error)
{
    return apm_refusals_check(plan->refusals, error);
}

GPtrArray *
apm_plan_filter_reasons(const ApmHost *host, const ApmMatrix *matrix, ApmMatrix *guest_matrix)
{
    g_autoptr(ApmPlan) plan = plan_new(APM_PLAN_DEFINE, &(ApmUuid) { 0 }, NULL, NULL);

    plan->matrix = *matrix;
    predict_guest_matrix(plan, host);
    if (guest_matrix)
        *guest_matrix = plan->guest_matrix;
    return g_ptr_array_ref(plan->warnings);
}
