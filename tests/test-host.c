/* test-host.c: the host snapshot read from apsim's mounted tree, compared with what apsim holds */
#include "config.h"

#include "apm-error.h"
#include "apm-host.h"
#include "apm-sysfs.h"
#include "apm-test.h"
#include "apsim-harness.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"

static void
test_z16_snapshot(void)
{
    Sim *sim = sim_start("z16");
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmMdevConfig) def = apm_mdev_config_new("vfio_ap-passthrough", TRUE);
    const ApmMdevInfo *info;
    const ApmQueueInfo *q;
    ApmUuid u1, u2;
    guint vfio = 0;

    g_assert_cmpint(sim_write(sim, "bus/ap/apmask", "-5,-6"), ==, 0);
    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "-0x47,-0x48"), ==, 0);
    sim_mdev(sim, U1, "5,6", "0x47,0x48", "0x47");
    sim_ctl(sim, "guest-start vm1 mdev=" U1);
    g_assert_true(apm_uuid_parse(U2, &u2));
    apm_mdev_config_add_attr(def, "assign_adapter", "5");
    g_assert_true(apm_store_write(sim->root, &u2, def, &error));
    apm_test_write_file(sim->root, "etc/mdevctl.d/matrix/33333333-3333-4333-8333-333333333333", "{broken");

    host = apm_host_read(sim->root, &error);
    g_assert_no_error(error);
    g_assert_true(host->ap_bus);
    g_assert_cmpuint(host->max_adapter_id, ==, 255);
    g_assert_cmpuint(host->max_domain_id, ==, 84);
    g_assert_cmpuint(apm_mask_count(&host->qci.adapters), ==, 8);
    g_assert_cmpuint(apm_mask_count(&host->qci.domains), ==, 85);
    g_assert_true(apm_host_has_feature(host, "APXA"));
    g_assert_true(apm_host_has_feature(host, "ap_config"));
    g_assert_false(apm_mask_test(&host->apmask, 5));
    g_assert_cmpuint(host->cards->len, ==, 8);
    g_assert_cmpstr(((ApmCardInfo *) g_ptr_array_index(host->cards, 2))->type, ==, "CEX8A");
    g_assert_cmpstr(((ApmCardInfo *) g_ptr_array_index(host->cards, 6))->mode, ==, "ep11");
    g_assert_cmpuint(host->queues->len, ==, 8 * 85);
    for (guint i = 0; i < host->queues->len; i++)
        vfio += ((ApmQueueInfo *) g_ptr_array_index(host->queues, i))->driver == APM_DRIVER_VFIO_AP;
    /* adapters 5 and 6 (all 85 domains) plus domains 0x47 and 0x48 on the other six adapters */
    g_assert_cmpuint(vfio, ==, 2 * 85 + 6 * 2);
    q = apm_host_queue(host, (ApmApqn) { 5, 0x47 });
    g_assert_cmpint(q->driver, ==, APM_DRIVER_VFIO_AP);
    g_assert_cmpstr(q->status, ==, "in use");
    q = apm_host_queue(host, (ApmApqn) { 0, 0 });
    g_assert_cmpint(q->driver, ==, APM_DRIVER_ZCRYPT);
    g_assert_true(q->online);
    g_assert_null(apm_host_queue(host, (ApmApqn) { 5, 0x55 }));
    g_assert_cmpuint(host->available_instances, ==, 65535);
    g_assert_cmpuint(host->mdevs->len, ==, 1);
    g_assert_true(apm_uuid_parse(U1, &u1));
    info = apm_host_mdev(host, &u1);
    g_assert_nonnull(info);
    g_assert_cmpuint(apm_matrix_apqn_count(&info->matrix), ==, 4);
    g_assert_true(apm_mask_test(&info->matrix.control_domains, 0x47));
    g_assert_true(apm_matrix_equal(&(ApmMatrix) { info->guest_matrix.adapters, info->guest_matrix.domains, {{0}} },
                                   &(ApmMatrix) { info->matrix.adapters, info->matrix.domains, {{0}} }));
    g_assert_true(info->has_ap_config);
    g_assert_cmpint(info->iommu_group, ==, 0);
    g_assert_true(apm_host_mdev_for_apqn(host, (ApmApqn) { 6, 0x48 }) == info);
    g_assert_null(apm_host_mdev_for_apqn(host, (ApmApqn) { 7, 0x48 }));
    /* the store: the good definition, and the corrupt one named among the problems */
    g_assert_cmpuint(host->definitions->len, ==, 1);
    g_assert_cmpuint(host->problems->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(host->problems, 0), "33333333-3333-4333-8333-333333333333"));
    /* each file once: the reader asserts it; the count is what one pass needs */
    g_test_message("z16 snapshot: %u sysfs files read for %u queues", host->files_read, host->queues->len);
    g_assert_cmpuint(host->files_read, <, 2 * host->queues->len);
    sim_stop(sim);
}

static void
test_host_without_ap(void)
{
    char *root = apm_test_tmpdir_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmHost) host = apm_host_read(root, &error);

    g_assert_no_error(error);
    g_assert_false(host->ap_bus);
    g_assert_false(host->matrix_present);
    g_assert_cmpuint(host->queues->len, ==, 0);
    g_assert_null(apm_host_read("/nonexistent-apmatrix-root", &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_NOT_FOUND);
    apm_test_tmpdir_free(root);
}

/* The requests apsim served since the last call (fs-stats reset): opens and reads */
static void
fs_requests(Sim *sim, guint *opens, guint *reads)
{
    g_autofree char *json = sim_ctl_out(sim, "fs-stats reset");
    const char *o = strstr(json, "\"open\": "), *r = strstr(json, "\"read\": ");

    g_assert_nonnull(o);
    g_assert_nonnull(r);
    *opens = (guint) atoi(o + 8);
    *reads = (guint) atoi(r + 8);
}

/* Attributes read through ApmSysfsDirs stay open for the process and are read again from offset 0: a read costs no
 * open, shows the value of now, and a file whose mdev went away is opened afresh, never read stale */
static void
test_attributes_kept_open(void)
{
    Sim *sim = sim_start("tiny");
    g_autofree char *mdev = g_strconcat("/sys/devices/vfio_ap/matrix/", U1, NULL);
    g_autofree char *before = NULL, *after = NULL, *config = NULL, *gone = NULL, *again = NULL;
    g_autoptr(GError) error = NULL;
    guint opens, reads;

    {
        g_autoptr(ApmSysfsDirs) dirs = apm_sysfs_dirs_new(sim->root);

        before = apm_sysfs_dirs_read_line(dirs, "/sys/bus/ap", "aqmask", &error);
        g_assert_no_error(error);
    }
    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "-1"), ==, 0);
    fs_requests(sim, &opens, &reads);
    {
        /* another reader (another snapshot) of the same process: the kept file, read again */
        g_autoptr(ApmSysfsDirs) dirs = apm_sysfs_dirs_new(sim->root);

        after = apm_sysfs_dirs_read_line(dirs, "/sys/bus/ap", "aqmask", &error);
        g_assert_no_error(error);
    }
    fs_requests(sim, &opens, &reads);
    g_assert_cmpstr(before, !=, after);
    {
        g_autofree char *direct = sim_read(sim, "bus/ap/aqmask");

        g_assert_cmpstr(after, ==, g_strchomp(direct));
    }
    g_assert_cmpuint(opens, ==, 0);
    g_assert_cmpuint(reads, ==, 1);

    /* an mdev removed and made again with the same UUID: its kept file answers ENODEV, the new one is read */
    g_assert_cmpint(sim_write(sim, "bus/ap/apmask", "-0,-1"), ==, 0);
    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "-0"), ==, 0);
    sim_mdev(sim, U1, "0", "0", NULL);
    {
        g_autoptr(ApmSysfsDirs) dirs = apm_sysfs_dirs_new(sim->root);

        config = apm_sysfs_dirs_read_line(dirs, mdev, "guest_matrix", &error);
        g_assert_no_error(error);
    }
    g_assert_cmpstr(config, ==, "00.0000");
    g_assert_cmpint(sim_write(sim, "devices/vfio_ap/matrix/" U1 "/remove", "1"), ==, 0);
    {
        g_autoptr(ApmSysfsDirs) dirs = apm_sysfs_dirs_new(sim->root);

        gone = apm_sysfs_dirs_read_line(dirs, mdev, "guest_matrix", &error);
        g_assert_null(gone);
        g_assert_cmpint(apm_error_errno(error), ==, ENOENT);
        g_clear_error(&error);
    }
    sim_mdev(sim, U1, "1", "1", NULL);
    {
        g_autoptr(ApmSysfsDirs) dirs = apm_sysfs_dirs_new(sim->root);

        again = apm_sysfs_dirs_read_line(dirs, mdev, "guest_matrix", &error);
        g_assert_no_error(error);
    }
    g_assert_cmpstr(again, ==, "01.0001");
    sim_stop(sim);
}

/* A snapshot for a planned change reads the mdevs' assignments only; what their guests get is read when asked */
static void
test_guest_matrices_on_demand(void)
{
    Sim *sim = sim_start("tiny");
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmHost) full = NULL, plan = NULL;
    const ApmMdevInfo *f, *p;
    ApmUuid u1;

    g_assert_true(apm_uuid_parse(U1, &u1));
    g_assert_cmpint(sim_write(sim, "bus/ap/apmask", "-0,-1"), ==, 0);
    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "-1"), ==, 0);
    sim_mdev(sim, U1, "0,1", "1", NULL);
    full = apm_host_read(sim->root, &error);
    g_assert_no_error(error);
    plan = apm_host_read_detail(sim->root, APM_HOST_READ_ON_DEMAND, NULL, &error);
    g_assert_no_error(error);
    f = apm_host_mdev(full, &u1);
    p = apm_host_mdev(plan, &u1);
    g_assert_true(f->guest_matrix_read);
    g_assert_cmpuint(apm_matrix_apqn_count(&f->guest_matrix), ==, 2);
    g_assert_false(p->guest_matrix_read);
    g_assert_true(apm_matrix_equal(&p->matrix, &f->matrix));
    apm_host_read_guest_matrices(plan);
    p = apm_host_mdev(plan, &u1);
    g_assert_true(p->guest_matrix_read);
    g_assert_true(apm_mask_equal(&p->guest_matrix.adapters, &f->guest_matrix.adapters));
    g_assert_true(apm_mask_equal(&p->guest_matrix.domains, &f->guest_matrix.domains));
    /* a refresh reads it too */
    apm_host_refresh_mdev(plan, &u1);
    g_assert_true(apm_host_mdev(plan, &u1)->guest_matrix_read);
    sim_stop(sim);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    sim_init();
    g_test_add_func("/host/z16-snapshot-matches-apsim", test_z16_snapshot);
    g_test_add_func("/host/host-without-ap-bus", test_host_without_ap);
    g_test_add_func("/host/attributes-kept-open-and-read-anew", test_attributes_kept_open);
    g_test_add_func("/host/guest-matrices-read-when-asked", test_guest_matrices_on_demand);
    return g_test_run();
}
