/* test-planner.c: the planner's checks and predictions against apsim's kernel model */
#include "config.h"

#include "apm-error.h"
#include "apm-exec.h"
#include "apm-planner.h"
#include "apm-test.h"
#include "apsim-harness.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define TYPE "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough"

/* an attribute for each ID of a comma list, as the kernel takes them */
static void
add_ids(ApmMdevConfig *c, const char *attr, const char *ids)
{
    g_auto(GStrv) parts = ids ? g_strsplit(ids, ",", -1) : NULL;

    for (guint i = 0; parts && parts[i]; i++)
        apm_mdev_config_add_attr(c, attr, parts[i]);
}

static ApmMdevConfig *
config(gboolean autostart, const char *adapters, const char *domains, const char *cdoms)
{
    ApmMdevConfig *c = apm_mdev_config_new("vfio_ap-passthrough", autostart);

    add_ids(c, "assign_adapter", adapters);
    add_ids(c, "assign_domain", domains);
    add_ids(c, "assign_control_domain", cdoms);
    return c;
}

static ApmPlan *
plan(Sim *sim, const char *uuid_text, const ApmMdevConfig *c)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmHost) host = apm_host_read(sim->root, &error);
    ApmUuid uuid;
    ApmPlan *p;

    g_assert_no_error(error);
    g_assert_true(apm_uuid_parse(uuid_text, &uuid));
    p = apm_plan_start(host, &uuid, c, &error);
    g_assert_no_error(error);
    return p;
}

/* carries a plan out with plain writes, as the executor will */
static void
execute(Sim *sim, const ApmPlan *p)
{
    char uuid[APM_UUID_TEXT_LEN + 1];

    apm_uuid_format(&p->uuid, uuid);
    for (guint i = 0; i < p->writes->len; i++) {
        const ApmWrite *w = g_ptr_array_index(p->writes, i);
        g_autofree char *path = g_str_equal(w->attr, "create") ? g_strdup(TYPE "/create")
                                                                : g_strdup_printf("devices/vfio_ap/matrix/%s/%s", uuid, w->attr);

        g_assert_cmpint(sim_write(sim, path, w->value), ==, 0);
    }
}

static Sim *
tiny_freed(void)
{
    Sim *sim = sim_start("tiny");

    g_assert_cmpint(sim_write(sim, "bus/ap/apmask", "-1"), ==, 0);
    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "-2,-3"), ==, 0);
    return sim;
}

static gboolean
has(GPtrArray *sentences, const char *part)
{
    for (guint i = 0; i < sentences->len; i++)
        if (strstr(g_ptr_array_index(sentences, i), part))
            return TRUE;
    return FALSE;
}

static void
test_valid_plan_predicts_the_kernel(void)
{
    Sim *sim = tiny_freed();
    g_autoptr(ApmMdevConfig) c = config(FALSE, "0,1", "2,3", "2");
    g_autoptr(ApmPlan) p = plan(sim, U1, c);
    g_autofree char *predicted = NULL, *guest = NULL;

    g_assert_cmpuint(p->refusals->len, ==, 0);
    g_assert_true(apm_plan_check(p, NULL));
    g_assert_cmpuint(p->writes->len, ==, 2); /* create, then one atomic ap_config */
    g_assert_cmpstr(((ApmWrite *) g_ptr_array_index(p->writes, 1))->attr, ==, "ap_config");
    /* unbind one queue: the kernel will drop adapter 0 as a whole, and the plan must say so */
    g_assert_cmpint(sim_write(sim, "bus/ap/drivers/vfio_ap/unbind", "00.0003"), ==, 0);
    g_clear_pointer(&p, apm_plan_free);
    p = plan(sim, U1, c);
    g_assert_true(has(p->warnings, "adapter 0x00 reaches no guest: queue 00.0003 is not bound to vfio_ap"));
    execute(sim, p);
    predicted = apm_matrix_format_apqns(&p->guest_matrix);
    guest = sim_read(sim, "devices/vfio_ap/matrix/" U1 "/guest_matrix");
    g_assert_cmpstr(guest, ==, predicted);
    sim_stop(sim);
}

static void
test_refusals_name_apqn_and_owner(void)
{
    Sim *sim = tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    g_autoptr(ApmMdevConfig) c = config(FALSE, "0,1", "1,2", NULL);
    g_autoptr(ApmPlan) p = plan(sim, U2, c);
    g_autoptr(GError) error = NULL;
    g_autofree char *before = sim_ctl_out(sim, "dump"), *after = NULL;

    g_assert_true(has(p->refusals, "APQN 01.0002 is already assigned to mdev " U1));
    g_assert_true(has(p->refusals, "APQN 00.0001 is reserved for the host's default crypto drivers"));
    g_assert_false(has(p->refusals, "01.0001")); /* free for vfio_ap and nobody's */
    g_assert_false(apm_plan_check(p, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_CONFLICT);
    after = sim_ctl_out(sim, "dump");
    g_assert_cmpstr(after, ==, before); /* planning touches nothing */
    sim_stop(sim);
}

static void
test_limits_and_control_domains(void)
{
    Sim *sim = sim_start("noapxa");
    g_autoptr(ApmMdevConfig) c = config(FALSE, "4,0x40", NULL, "16");
    g_autoptr(ApmPlan) p = plan(sim, U1, c);

    g_assert_true(has(p->refusals, "adapter 0x40: this host's highest adapter is 0x3f"));
    g_assert_true(has(p->refusals, "control domain 0x10: this host's highest control domain is 0x0f"));
    g_assert_true(has(p->refusals, "Control domains need at least one usage domain"));
    sim_stop(sim);
}

static void
test_autostart_overlap(void)
{
    Sim *sim = tiny_freed();
    g_autoptr(ApmMdevConfig) stored = config(TRUE, "1", "2,3", NULL);
    g_autoptr(ApmMdevConfig) mine = config(TRUE, "1", "3", NULL);
    g_autoptr(ApmMdevConfig) manual = config(FALSE, "1", "3", NULL);
    g_autoptr(ApmPlan) p1 = NULL, p2 = NULL;
    ApmUuid u2;

    g_assert_true(apm_uuid_parse(U2, &u2));
    g_assert_true(apm_store_write(sim->root, &u2, stored, NULL));
    p1 = plan(sim, U1, mine);
    p2 = plan(sim, U1, manual);
    /* a start goes ahead (the live host takes it, ap-check lets it pass) and says what the next boot will meet */
    g_assert_cmpuint(p1->refusals->len, ==, 0);
    g_assert_true(has(p1->warnings, "APQN 01.0003 is defined for autostart by " U2));
    g_assert_cmpuint(p2->refusals->len, ==, 0); /* ap-check's rule is for autostart definitions only */
    {
        /* defining it so is refused */
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmHost) host = apm_host_read(sim->root, &error);
        g_autoptr(ApmPlan) d = NULL;
        ApmUuid u1;

        g_assert_true(apm_uuid_parse(U1, &u1));
        d = apm_plan_define(host, &u1, mine, &error);
        g_assert_no_error(error);
        g_assert_true(has(d->refusals, "APQN 01.0003 is defined for autostart by " U2));
    }
    sim_stop(sim);
}

static void
test_single_writes_without_ap_config(void)
{
    Sim *sim = sim_start_text("[host]\nusage-domains=0-3\nap-config=false\napmask=none\n[card 00]\n[card 01]\n");
    g_autoptr(ApmMdevConfig) c = config(FALSE, "1,0", "3", "2");
    g_autoptr(ApmPlan) p = plan(sim, U1, c);
    GString *order = g_string_new(NULL);

    for (guint i = 0; i < p->writes->len; i++) {
        const ApmWrite *w = g_ptr_array_index(p->writes, i);

        g_string_append_printf(order, "%s=%s", w->attr, w->attr[0] == 'c' && w->attr[1] == 'r' ? "uuid\n" : w->value);
    }
    g_assert_cmpstr(order->str, ==,
                    "create=uuid\nassign_adapter=0x00\nassign_adapter=0x01\nassign_domain=0x03\n"
                    "assign_control_domain=0x02\n");
    execute(sim, p);
    {
        g_autofree char *matrix = sim_read(sim, "devices/vfio_ap/matrix/" U1 "/matrix");

        g_assert_cmpstr(matrix, ==, "00.0003\n01.0003\n");
    }
    g_string_free(order, TRUE);
    sim_stop(sim);
}

/* 41-ap.rules as chzdev writes it: the assignments are read, matches (==) and comments are not */
static void
test_udev_masks(void)
{
    ApmMask ap, aq;
    const char *rules = "# generated by chzdev\n"
                        "ACTION==\"add\", SUBSYSTEM==\"ap\", KERNEL==\"card*\", ATTR{bindings_complete_count}!=\"0\", "
                        "ATTR{../../bus/ap/apmask}=\"0xf0\", ATTR{../../bus/ap/aqmask}=\"0x8\"\n"
                        "# ATTR{../../bus/ap/apmask}=\"0xff\"\n"
                        "ACTION==\"change\", ATTR{../../bus/ap/apmask}==\"0x0f\"\n";

    apm_mask_set_all(&ap);
    apm_mask_set_all(&aq);
    g_assert_true(apm_host_parse_udev_masks(rules, &ap, &aq, NULL));
    g_assert_cmpuint(apm_mask_count(&ap), ==, 4);
    g_assert_true(apm_mask_test(&ap, 0) && apm_mask_test(&ap, 3) && !apm_mask_test(&ap, 4));
    g_assert_cmpuint(apm_mask_count(&aq), ==, 1);
    g_assert_true(apm_mask_test(&aq, 0)); /* ID 0 is the leftmost bit */
    apm_mask_set_all(&ap);
    g_assert_true(apm_host_parse_udev_masks("ATTR{../../bus/ap/apmask}=\"-0,-1\"\n", &ap, &aq, NULL));
    g_assert_cmpuint(apm_mask_count(&ap), ==, 254); /* relative edits apply to what stands */
    g_assert_false(apm_host_parse_udev_masks("ATTR{../../bus/ap/apmask}=\"banana\"\n", &ap, &aq, NULL));
}

/* a live update without ap_config: unassigns first (control domains, domains, adapters), then assigns, each
 * with the write that takes it back; executed, the kernel holds the new matrix */
static void
test_live_update_single_writes(void)
{
    Sim *sim = sim_start_text("[host]\nusage-domains=0-3\nap-config=false\napmask=none\n[card 00]\n[card 01]\n");
    g_autoptr(ApmMdevConfig) old = config(FALSE, "0", "1,2", "1");
    g_autoptr(ApmMdevConfig) new = config(FALSE, "0,1", "2,3", NULL);
    g_autoptr(ApmPlan) p = plan(sim, U1, old);
    g_autoptr(ApmPlan) live = NULL;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GError) error = NULL;
    GString *order = g_string_new(NULL);
    ApmUuid uuid;

    execute(sim, p);
    host = apm_host_read(sim->root, &error);
    g_assert_no_error(error);
    apm_uuid_parse(U1, &uuid);
    live = apm_plan_update_live(host, &uuid, new, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(live->refusals->len, ==, 0);
    for (guint i = 0; i < live->writes->len; i++) {
        const ApmWrite *w = g_ptr_array_index(live->writes, i);
        g_autofree char *value = g_strchomp(g_strdup(w->value));

        g_string_append_printf(order, "%s=%s<%s>", w->attr, value, w->undo_attr);
    }
    g_assert_cmpstr(order->str, ==,
                    "unassign_control_domain=0x01<assign_control_domain>unassign_domain=0x01<assign_domain>"
                    "assign_adapter=0x01<unassign_adapter>assign_domain=0x03<unassign_domain>");
    g_string_free(order, TRUE);
    {
        g_autoptr(GPtrArray) differences = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *matrix = NULL;

        g_assert_true(apm_exec_plan(sim->root, live, NULL, differences, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(differences->len, ==, 0);
        matrix = sim_read(sim, "devices/vfio_ap/matrix/" U1 "/matrix");
        g_assert_cmpstr(matrix, ==, "00.0002\n00.0003\n01.0002\n01.0003\n");
    }
    sim_stop(sim);
}

/* stop: one remove; a live update or stop of an mdev that is not active is refused */
static void
test_stop_and_inactive(void)
{
    Sim *sim = tiny_freed();
    g_autoptr(ApmMdevConfig) c = config(FALSE, "1", "2", NULL);
    g_autoptr(ApmPlan) p = plan(sim, U1, c);
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmPlan) stop = NULL, live = NULL, stop2 = NULL;
    ApmUuid u1, u2;

    execute(sim, p);
    host = apm_host_read(sim->root, NULL);
    apm_uuid_parse(U1, &u1);
    apm_uuid_parse(U2, &u2);
    stop = apm_plan_stop(host, &u1);
    g_assert_cmpuint(stop->writes->len, ==, 1);
    g_assert_cmpstr(((ApmWrite *) g_ptr_array_index(stop->writes, 0))->attr, ==, "remove");
    stop2 = apm_plan_stop(host, &u2);
    g_assert_cmpuint(stop2->refusals->len, ==, 1);
    live = apm_plan_update_live(host, &u2, c, NULL);
    g_assert_cmpuint(live->refusals->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(live->refusals, 0), "is not active"));
    g_assert_true(apm_exec_plan(sim->root, stop, NULL, NULL, NULL));
    g_assert_false(sim_exists(sim, "devices/vfio_ap/matrix/" U1));
    sim_stop(sim);
}

/* the planner's time for one start against many stored definitions (figures for the closing note) */
static void
test_scale_with_definitions(void)
{
    Sim *sim = sim_start("z16");
    const guint counts[] = { 10, 100, 1000, 10000 };
    guint made = 0;

    for (guint k = 0; k < G_N_ELEMENTS(counts); k++) {
        gint64 t0, t1, t2;
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmHost) host = NULL;
        g_autoptr(ApmPlan) p = NULL;
        g_autoptr(ApmMdevConfig) c = config(TRUE, "5", "0x47", NULL);
        ApmUuid uuid;

        for (; made < counts[k]; made++) {
            g_autoptr(ApmMdevConfig) d = config(TRUE, "6", NULL, NULL);
            g_autofree char *dom = g_strdup_printf("%u", made % 85);
            ApmUuid u;

            apm_mdev_config_add_attr(d, "assign_domain", dom);
            apm_uuid_generate(&u);
            g_assert_true(apm_store_write(sim->root, &u, d, NULL));
        }
        apm_uuid_generate(&uuid);
        t0 = g_get_monotonic_time();
        host = apm_host_read(sim->root, &error);
        t1 = g_get_monotonic_time();
        p = apm_plan_start(host, &uuid, c, &error);
        t2 = g_get_monotonic_time();
        g_assert_no_error(error);
        g_assert_cmpuint(host->definitions->len, ==, counts[k]);
        g_test_message("%5u definitions: snapshot %6.1f ms, plan %6.2f ms", counts[k], (t1 - t0) / 1000.0,
                       (t2 - t1) / 1000.0);
    }
    sim_stop(sim);
}

static gboolean
run(Sim *sim, const ApmPlan *p, guint lock_ms, GPtrArray *differences, GError **error)
{
    ApmExecOptions o;

    apm_exec_options_init(&o);
    o.lock_timeout_ms = lock_ms;
    return apm_exec_start(sim->root, p, &o, differences, error);
}

static void
test_exec_success(void)
{
    Sim *sim = tiny_freed();
    g_autoptr(ApmMdevConfig) c = config(FALSE, "0,1", "2,3", "2");
    g_autoptr(ApmPlan) p = plan(sim, U1, c);
    g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autofree char *matrix = NULL;

    g_assert_true(run(sim, p, 1000, diffs, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(diffs->len, ==, 0);
    matrix = sim_read(sim, "devices/vfio_ap/matrix/" U1 "/matrix");
    g_assert_cmpstr(matrix, ==, "00.0002\n00.0003\n01.0002\n01.0003\n");
    {
        g_autofree char *lock = g_build_filename(sim->root, "run/lock/s390apconfig.lock", NULL);

        g_assert_false(g_file_test(lock, G_FILE_TEST_EXISTS)); /* the lock is released */
    }
    sim_stop(sim);
}

static void
test_exec_fault_leaves_host_as_before(void)
{
    Sim *sim = sim_start_text("[host]\nusage-domains=0-3\nap-config=false\napmask=none\n[card 00]\n[card 01]\n");
    g_autoptr(ApmMdevConfig) c = config(FALSE, "0", "1,2", NULL);
    g_autoptr(ApmPlan) p = plan(sim, U1, c);
    g_autoptr(GError) error = NULL;
    g_autofree char *before = sim_ctl_out(sim, "dump"), *after = NULL;

    sim_ctl(sim, "inject assign_domain 1 EIO"); /* the third write: create, assign_adapter, assign_domain */
    g_assert_false(run(sim, p, 1000, NULL, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_CONFLICT);
    g_assert_nonnull(strstr(error->message, "assign_domain=0x01"));
    g_assert_nonnull(strstr(error->message, "Everything it had written was taken back"));
    after = sim_ctl_out(sim, "dump");
    g_assert_cmpstr(after, ==, before);
    sim_stop(sim);
}

static void
test_exec_race_names_the_new_owner(void)
{
    Sim *sim = tiny_freed();
    g_autoptr(ApmMdevConfig) c = config(FALSE, "1", "3", NULL);
    g_autoptr(ApmPlan) p = plan(sim, U2, c);
    g_autoptr(GError) error = NULL;
    g_autofree char *before = NULL, *after = NULL;

    g_assert_cmpuint(p->refusals->len, ==, 0);
    sim_mdev(sim, U1, "1", "3", NULL); /* someone else was quicker */
    before = sim_ctl_out(sim, "dump");
    g_assert_false(run(sim, p, 1000, NULL, &error));
    g_assert_nonnull(strstr(error->message, "APQN 01.0003 is assigned to mdev " U1));
    after = sim_ctl_out(sim, "dump");
    g_assert_cmpstr(after, ==, before);
    sim_stop(sim);
}

static void
test_exec_waits_for_the_lock(void)
{
    Sim *sim = tiny_freed();
    g_autoptr(ApmMdevConfig) c = config(FALSE, "1", "3", NULL);
    g_autoptr(ApmPlan) p = plan(sim, U1, c);
    g_autoptr(GError) error = NULL;

    apm_test_write_file(sim->root, "run/lock/s390apconfig.lock", "1\n"); /* held by a live process */
    g_assert_false(run(sim, p, 200, NULL, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_TIMEOUT);
    g_assert_false(sim_exists(sim, "devices/vfio_ap/matrix/" U1));
    sim_stop(sim);
}

static void
test_exec_reports_differences(void)
{
    Sim *sim = tiny_freed();
    g_autoptr(ApmMdevConfig) c = config(FALSE, "0,1", "2", NULL);
    g_autoptr(ApmPlan) p = plan(sim, U1, c);
    g_autoptr(GPtrArray) diffs = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;

    /* the host changes between planning and executing: a queue leaves vfio_ap */
    g_assert_cmpint(sim_write(sim, "bus/ap/drivers/vfio_ap/unbind", "00.0002"), ==, 0);
    g_assert_true(run(sim, p, 1000, diffs, &error));
    g_assert_cmpuint(diffs->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(diffs, 0), "would get [01.0002] rather than the predicted [00.0002 01.0002]"));
    sim_stop(sim);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    sim_init();
    g_test_add_func("/planner/valid-plan-predicts-the-kernels-guest-matrix", test_valid_plan_predicts_the_kernel);
    g_test_add_func("/planner/refusals-name-apqn-and-owner-and-touch-nothing", test_refusals_name_apqn_and_owner);
    g_test_add_func("/planner/limits-and-control-domains", test_limits_and_control_domains);
    g_test_add_func("/planner/autostart-overlap-refuses-a-define-and-warns-a-start", test_autostart_overlap);
    g_test_add_func("/planner/ordered-single-writes-without-ap-config", test_single_writes_without_ap_config);
    g_test_add_func("/planner/scale-with-stored-definitions", test_scale_with_definitions);
    g_test_add_func("/planner/persistent-masks-from-41-ap-rules", test_udev_masks);
    g_test_add_func("/planner/live-update-single-writes-with-undo", test_live_update_single_writes);
    g_test_add_func("/planner/stop-and-inactive-mdevs", test_stop_and_inactive);
    g_test_add_func("/exec/start-matches-the-plan", test_exec_success);
    g_test_add_func("/exec/injected-error-on-third-write-leaves-host-as-before", test_exec_fault_leaves_host_as_before);
    g_test_add_func("/exec/apqn-taken-meanwhile-names-the-new-owner", test_exec_race_names_the_new_owner);
    g_test_add_func("/exec/lock-held-by-another-process-times-out", test_exec_waits_for_the_lock);
    g_test_add_func("/exec/differences-from-the-plan-are-reported", test_exec_reports_differences);
    return g_test_run();
}
