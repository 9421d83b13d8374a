/* bench-planner.c: how the time to read the host and to plan one start grows with the number of existing
 * definitions (10, 100, 1,000, 10,000; a third of them autostart) and of active mdevs (1, 10, 100). Prints one
 * line of medians per size; bench/run turns them into ratios to the smallest run of the same process.
 * --quick: fewer sizes and runs (the smoke test). */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "apm-host.h"
#include "apm-mdevctl.h"
#include "apm-planner.h"
#include "apm-store.h"
#include "apm-test.h"

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;

    return x < y ? -1 : x > y;
}

/* A host with the vfio_ap driver, 256 x 256 IDs, `active` mdevs and `defs` definitions. */
static char *
make_root(guint defs, guint active)
{
    char *root = apm_test_tmpdir_new();

    apm_test_write_file(root, "sys/bus/ap/ap_max_adapter_id", "255\n");
    apm_test_write_file(root, "sys/bus/ap/ap_max_domain_id", "255\n");
    apm_test_write_file(root, "sys/bus/ap/apmask", "0x0000000000000000000000000000000000000000000000000000000000000000\n");
    apm_test_write_file(root, "sys/bus/ap/aqmask", "0x0000000000000000000000000000000000000000000000000000000000000000\n");
    apm_test_write_file(root, "sys/devices/vfio_ap/matrix/features", "guest_matrix hotplug ap_config\n");
    for (guint i = 0; i < active; i++) {
        g_autofree char *dir = g_strdup_printf("sys/devices/vfio_ap/matrix/%08x-0000-4000-8000-000000000001", i);
        g_autofree char *m = g_strconcat(dir, "/matrix", NULL), *c = g_strconcat(dir, "/control_domains", NULL);
        g_autofree char *mv = g_strdup_printf("%02x.%04x\n", i % 256, 200 + i / 256);

        apm_test_write_file(root, m, mv);
        apm_test_write_file(root, c, "");
    }
    for (guint i = 0; i < defs; i++) {
        g_autoptr(ApmMdevConfig) config = apm_mdev_config_new("vfio_ap-passthrough", i % 3 == 0);
        g_autofree char *a = g_strdup_printf("%u", i % 200), *d = g_strdup_printf("%u", i / 200);
        g_autofree char *text = g_strdup_printf("%08x-0000-4000-8000-000000000002", i);
        ApmUuid uuid;

        apm_mdev_config_add_attr(config, "assign_adapter", a);
        apm_mdev_config_add_attr(config, "assign_domain", d);
        apm_uuid_parse(text, &uuid);
        g_assert_true(apm_store_write(root, &uuid, config, NULL));
    }
    return root;
}

typedef struct {
    double read_ms, plan_ms;
} Figure;

static Figure
measure(const char *root, guint runs)
{
    double reads[16], plans[16];
    Figure f;
    ApmUuid uuid;

    g_assert(runs < 16);
    apm_uuid_parse("ffffffff-0000-4000-8000-000000000003", &uuid);
    for (guint r = 0; r <= runs; r++) { /* run 0 warms the caches */
        g_autoptr(ApmMdevConfig) config = apm_mdev_config_new("vfio_ap-passthrough", TRUE);
        g_autoptr(ApmHost) host = NULL;
        g_autoptr(ApmPlan) plan = NULL;
        double t0, t1, t2;

        apm_mdev_config_add_attr(config, "assign_adapter", "250");
        for (guint d = 250; d <= 255; d++) {
            g_autofree char *value = g_strdup_printf("%u", d);

            apm_mdev_config_add_attr(config, "assign_domain", value);
        }
        t0 = now_ms();
        host = apm_host_read(root, NULL);
        t1 = now_ms();
        for (int k = 0; k < 10; k++) {
            g_clear_pointer(&plan, apm_plan_free);
            plan = apm_plan_start(host, &uuid, config, NULL);
        }
        t2 = now_ms();
        g_assert_nonnull(plan);
        if (r) {
            reads[r - 1] = t1 - t0;
            plans[r - 1] = (t2 - t1) / 10;
        }
    }
    qsort(reads, runs, sizeof(double), cmp_double);
    qsort(plans, runs, sizeof(double), cmp_double);
    f.read_ms = reads[runs / 2];
    f.plan_ms = plans[runs / 2];
    return f;
}

int
main(int argc, char **argv)
{
    gboolean quick = argc > 1 && g_str_equal(argv[1], "--quick");
    const guint sizes[] = { 10, 100, 1000, 10000 };
    const guint actives[] = { 1, 10, 100 };
    guint n_sizes = quick ? 3 : G_N_ELEMENTS(sizes), n_actives = quick ? 2 : G_N_ELEMENTS(actives);
    guint runs = quick ? 2 : 5;

    /* one line a figure, for bench/run: what was measured, and the medians in milliseconds */
    for (guint i = 0; i < n_sizes; i++) {
        char *root = make_root(sizes[i], 1);
        Figure f = measure(root, runs);

        apm_test_tmpdir_free(root);
        printf("definitions %u active 1 read_ms %.4f plan_ms %.5f\n", sizes[i], f.read_ms, f.plan_ms);
        fflush(stdout);
    }
    for (guint i = 0; i < n_actives; i++) {
        char *root = make_root(1000, actives[i]);
        Figure f = measure(root, runs);

        apm_test_tmpdir_free(root);
        printf("definitions 1000 active %u read_ms %.4f plan_ms %.5f\n", actives[i], f.read_ms, f.plan_ms);
        fflush(stdout);
    }
    return 0;
}
