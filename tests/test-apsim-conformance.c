/* test-apsim-conformance.c: every behaviour of spec/kernel-ap.md §1-§3, through apsim's mounted /sys with plain
 * open/write/read as `echo` and `cat` do. Each test starts its own apsim. */
#include "config.h"

#include <errno.h>

#include "apm-test.h"
#include "apsim-harness.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"
#define TYPE "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough"
#define M1 "devices/vfio_ap/matrix/" U1
#define M2 "devices/vfio_ap/matrix/" U2

#define ZEROS64 "0000000000000000000000000000000000000000000000000000000000000000"
#define ONES64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

#define assert_errno(expr, err) g_assert_cmpstr(apm_test_errno_name(expr), ==, apm_test_errno_name(err))
#define assert_read(sim, path, expected)                                                                          \
    do {                                                                                                          \
        g_autofree char *_got = sim_read((sim), (path));                                                          \
        g_assert_cmpstr(_got, ==, (expected));                                                                    \
    } while (0)

/* tiny with the AP bus masks already freeing both cards' domains 2 and 3 and all of card 1 for vfio_ap */
static Sim *
start_tiny_freed(void)
{
    Sim *sim = sim_start("tiny");

    assert_errno(sim_write(sim, "bus/ap/apmask", "-1"), 0);
    assert_errno(sim_write(sim, "bus/ap/aqmask", "-2,-3"), 0);
    return sim;
}

/* ---- §1.1 AP bus attributes ----------------------------------------------------------------------------- */

static void
test_bus_mask_formats(void)
{
    Sim *sim = sim_start("tiny");

    assert_read(sim, "bus/ap/apmask", "0x" ONES64 "\n");
    assert_read(sim, "bus/ap/aqmask", "0x" ONES64 "\n");
    assert_read(sim, "bus/ap/ap_adapter_mask", "0xc" "000000000000000000000000000000000000000000000000000000000000000\n");
    assert_read(sim, "bus/ap/ap_usage_domain_mask", "0xf" "000000000000000000000000000000000000000000000000000000000000000\n");
    assert_read(sim, "bus/ap/ap_control_domain_mask", "0xf" "000000000000000000000000000000000000000000000000000000000000000\n");
    assert_read(sim, "bus/ap/ap_max_adapter_id", "255\n");
    assert_read(sim, "bus/ap/ap_max_domain_id", "255\n");
    assert_read(sim, "bus/ap/ap_interrupts", "1\n");
    assert_read(sim, "bus/ap/features", "APSC APXA QACT RC8A APSB\n");
    assert_read(sim, "bus/ap/bindings", "8/8 (complete)\n");
    sim_stop(sim);
}

static void
test_bus_noapxa_limits(void)
{
    Sim *sim = sim_start("noapxa");

    assert_read(sim, "bus/ap/ap_max_adapter_id", "63\n");
    assert_read(sim, "bus/ap/ap_max_domain_id", "15\n");
    assert_read(sim, "bus/ap/features", "APSC QACT RC8A APSB\n");
    sim_stop(sim);
}

static void
test_bus_ap_domain(void)
{
    Sim *sim = sim_start("tiny");

    assert_read(sim, "bus/ap/ap_domain", "0\n");
    assert_errno(sim_write(sim, "bus/ap/ap_domain", "0x3\n"), 0);
    assert_read(sim, "bus/ap/ap_domain", "3\n");
    assert_errno(sim_write(sim, "bus/ap/ap_domain", "256"), EINVAL);
    assert_errno(sim_write(sim, "bus/ap/ap_domain", "-1"), EINVAL);
    assert_errno(sim_write(sim, "bus/ap/ap_domain", "x"), EINVAL);
    /* the domain must be set in aqmask */
    assert_errno(sim_write(sim, "bus/ap/aqmask", "-2"), 0);
    assert_errno(sim_write(sim, "bus/ap/ap_domain", "2"), EINVAL);
    assert_read(sim, "bus/ap/ap_domain", "3\n");
    sim_stop(sim);
}

static void
test_bus_tunables(void)
{
    Sim *sim = sim_start("tiny");

    assert_read(sim, "bus/ap/config_time", "30\n");
    assert_errno(sim_write(sim, "bus/ap/config_time", "5"), 0);
    assert_errno(sim_write(sim, "bus/ap/config_time", "120"), 0);
    assert_errno(sim_write(sim, "bus/ap/config_time", "4"), EINVAL);
    assert_errno(sim_write(sim, "bus/ap/config_time", "121"), EINVAL);
    assert_read(sim, "bus/ap/config_time", "120\n");
    assert_errno(sim_write(sim, "bus/ap/poll_timeout", "120000000000"), 0);
    assert_errno(sim_write(sim, "bus/ap/poll_timeout", "120000000001"), EINVAL);
    assert_errno(sim_write(sim, "bus/ap/poll_timeout", "0x10"), EINVAL); /* base 10 only */
    assert_errno(sim_write(sim, "bus/ap/poll_thread", "on"), 0);
    assert_read(sim, "bus/ap/poll_thread", "1\n");
    assert_errno(sim_write(sim, "bus/ap/poll_thread", "n"), 0);
    assert_read(sim, "bus/ap/poll_thread", "0\n");
    assert_errno(sim_write(sim, "bus/ap/poll_thread", "maybe"), EINVAL);
    sim_stop(sim);
}

static void
test_bus_scans_write_rescans(void)
{
    Sim *sim = sim_start("tiny");
    g_autofree char *before = sim_read(sim, "bus/ap/scans");

    assert_errno(sim_write(sim, "bus/ap/scans", "1"), 0);
    {
        g_autofree char *after = sim_read(sim, "bus/ap/scans");

        g_assert_cmpint(atoi(after), ==, atoi(before) + 1);
    }
    assert_errno(sim_write(sim, "bus/ap/bindings", "1"), EACCES); /* read-only */
    sim_stop(sim);
}

/* ---- §1.2 mask write syntax, §1.3 commit and in_use ------------------------------------------------------- */

static void
test_mask_writes_rebind_queues(void)
{
    Sim *sim = sim_start("tiny");

    assert_read(sim, "devices/ap/card01/01.0002/uevent",
                "DEVTYPE=ap_queue\nDRIVER=cex4queue\nMODE=ep11\n"); /* ap_uevent: a queue gets MODE only */
    g_assert_true(sim_exists(sim, "devices/ap/card01/01.0002/online"));
    assert_errno(sim_write(sim, "bus/ap/apmask", "-1"), 0);
    assert_read(sim, "bus/ap/apmask", "0xb" "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
    /* card 1's queues moved to vfio_ap: the driver link, the status attribute, no zcrypt online */
    {
        g_autofree char *link = sim_readlink(sim, "devices/ap/card01/01.0002/driver");

        g_assert_cmpstr(link, ==, "../../../../bus/ap/drivers/vfio_ap");
    }
    assert_read(sim, "devices/ap/card01/01.0002/status", "unassigned\n");
    g_assert_false(sim_exists(sim, "devices/ap/card01/01.0002/online"));
    {
        g_autofree char *ls = sim_ls(sim, "bus/ap/drivers/vfio_ap");

        g_assert_cmpstr(ls, ==, "01.0000 01.0001 01.0002 01.0003 bind unbind");
    }
    /* absolute form: short strings padded on the right */
    assert_errno(sim_write(sim, "bus/ap/apmask", "0x8"), 0);
    assert_read(sim, "bus/ap/apmask", "0x8" "000000000000000000000000000000000000000000000000000000000000000\n");
    /* an empty write clears everything */
    assert_errno(sim_write(sim, "bus/ap/aqmask", "\n"), 0);
    assert_read(sim, "bus/ap/aqmask", "0x" ZEROS64 "\n");
    assert_read(sim, "bus/ap/bindings", "8/8 (complete)\n");
    {
        g_autofree char *ls = sim_ls(sim, "bus/ap/drivers/cex4queue");

        g_assert_cmpstr(ls, ==, "bind unbind");
    }
    sim_stop(sim);
}

static void
test_mask_bad_syntax_einval_unchanged(void)
{
    Sim *sim = sim_start("tiny");
    const char *bad[] = { "0X41", "+256", "+7-4", "+5, +6", "0x41 ", "5,6", "+" };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        assert_errno(sim_write(sim, "bus/ap/apmask", bad[i]), EINVAL);
        assert_errno(sim_write(sim, "bus/ap/aqmask", bad[i]), EINVAL);
    }
    assert_read(sim, "bus/ap/apmask", "0x" ONES64 "\n");
    assert_read(sim, "bus/ap/aqmask", "0x" ONES64 "\n");
    sim_stop(sim);
}

static void
test_mask_in_use_veto_ebusy(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    g_autofree char *aq_before = sim_read(sim, "bus/ap/aqmask");

    /* returning domain 2 to the host would take 01.0002 from the mdev */
    assert_errno(sim_write(sim, "bus/ap/aqmask", "+2"), EBUSY);
    assert_errno(sim_write(sim, "bus/ap/apmask", "+1"), EBUSY);
    assert_read(sim, "bus/ap/aqmask", aq_before);
    /* returning domain 3, which no mdev has, is fine; clearing bits is never checked */
    assert_errno(sim_write(sim, "bus/ap/aqmask", "+3"), 0);
    assert_errno(sim_write(sim, "bus/ap/aqmask", "-0"), 0);
    /* writing the same mask again changes nothing and succeeds */
    {
        g_autofree char *cur = sim_read(sim, "bus/ap/aqmask");

        assert_errno(sim_write(sim, "bus/ap/aqmask", cur), 0);
    }
    /* 6.19 all-ones rule: returning adapter 1 is refused even though the mdev's domain 2 is not in aqmask */
    assert_errno(sim_write(sim, "bus/ap/apmask", "+1"), EBUSY);
    sim_stop(sim);
}

static void
test_mask_in_use_before_619_uses_current_mask(void)
{
    Sim *sim = sim_start_text("[host]\nusage-domains=0-3\ndriver-override=false\n[card 00]\n[card 01]\n");

    assert_errno(sim_write(sim, "bus/ap/apmask", "-1"), 0);
    assert_errno(sim_write(sim, "bus/ap/aqmask", "-2,-3"), 0);
    sim_mdev(sim, U1, "1", "2", NULL);
    /* before 6.19 the check crosses the new adapter bits with the current aqmask, which lacks domain 2 */
    assert_errno(sim_write(sim, "bus/ap/apmask", "+1"), 0);
    g_assert_false(sim_exists(sim, "devices/ap/card01/01.0000/driver_override"));
    sim_stop(sim);
}

/* ---- §1.4 AP devices -------------------------------------------------------------------------------------- */

static void
test_card_attributes(void)
{
    Sim *sim = sim_start("z16");

    assert_read(sim, "devices/ap/card02/hwtype", "14\n");
    assert_read(sim, "devices/ap/card02/type", "CEX8A\n");
    assert_read(sim, "devices/ap/card06/type", "CEX8P\n");
    assert_read(sim, "devices/ap/card00/type", "CEX8C\n");
    assert_read(sim, "devices/ap/card00/modalias", "ap:t0E\n");
    assert_read(sim, "devices/ap/card00/config", "1\n");
    assert_read(sim, "devices/ap/card00/chkstop", "0\n");
    assert_read(sim, "devices/ap/card00/online", "1\n");
    {
        g_autofree char *f = sim_read(sim, "devices/ap/card00/ap_functions");

        g_assert_true(g_regex_match_simple("^0x[0-9A-F]{8}\n$", f, 0, 0));
    }
    {
        g_autofree char *link = sim_readlink(sim, "bus/ap/devices/card05");

        g_assert_cmpstr(link, ==, "../../../devices/ap/card05");
    }
    {
        g_autofree char *link = sim_readlink(sim, "bus/ap/devices/05.0054");

        g_assert_cmpstr(link, ==, "../../../devices/ap/card05/05.0054");
    }
    g_assert_false(sim_exists(sim, "devices/ap/card05/05.0055")); /* 85 domains: 0x00-0x54 */
    g_assert_false(sim_exists(sim, "devices/ap/card08"));
    assert_errno(sim_write(sim, "devices/ap/card00/request_count", "0"), 0);
    assert_errno(sim_write(sim, "devices/ap/card00/hwtype", "1"), EACCES);
    sim_stop(sim);
}

static void
test_card_config_and_online(void)
{
    Sim *sim = sim_start("tiny");

    assert_errno(sim_write(sim, "devices/ap/card00/config", "2"), EINVAL);
    assert_errno(sim_write(sim, "devices/ap/card00/online", "2"), EINVAL);
    assert_errno(sim_write(sim, "devices/ap/card00/config", "0"), 0);
    assert_read(sim, "devices/ap/card00/config", "0\n");
    assert_read(sim, "devices/ap/card00/00.0001/config", "0\n");
    assert_read(sim, "devices/ap/card00/online", "0\n");
    assert_errno(sim_write(sim, "devices/ap/card00/online", "1"), ENODEV); /* not configured */
    assert_errno(sim_write(sim, "devices/ap/card00/00.0001/online", "1"), ENODEV);
    assert_errno(sim_write(sim, "devices/ap/card00/config", "1"), 0);
    assert_errno(sim_write(sim, "devices/ap/card00/online", "0"), 0);
    assert_read(sim, "devices/ap/card00/00.0002/online", "0\n"); /* forced with the card */
    assert_errno(sim_write(sim, "devices/ap/card00/00.0002/online", "1"), EINVAL); /* card offline */
    assert_errno(sim_write(sim, "devices/ap/card00/online", "1"), 0);
    assert_errno(sim_write(sim, "devices/ap/card00/00.0002/online", "1"), 0);
    assert_errno(sim_write(sim, "devices/ap/card00/00.0002/config", "1"), EACCES); /* queue config is ro */
    sim_stop(sim);
}

static void
test_queue_attributes(void)
{
    Sim *sim = sim_start("tiny");

    assert_read(sim, "devices/ap/card00/00.0001/request_count", "0\n");
    assert_read(sim, "devices/ap/card00/00.0001/interrupt", "Interrupts enabled.\n");
    assert_read(sim, "devices/ap/card00/00.0001/driver_override", "\n");
    assert_read(sim, "devices/ap/card00/00.0001/chkstop", "0\n");
    assert_errno(sim_write(sim, "devices/ap/card00/00.0001/reset", "1"), 0);
    g_assert_false(sim_exists(sim, "devices/ap/card00/00.0001/status")); /* only for vfio_ap queues */
    sim_ctl(sim, "card-chkstop 0 1");
    assert_read(sim, "devices/ap/card00/00.0001/chkstop", "1\n");
    assert_errno(sim_read_errno(sim, "devices/ap/card00/00.0001/ap_functions"), EIO);
    sim_stop(sim);
}

static void
test_driver_override_rules(void)
{
    Sim *sim = sim_start("tiny");

    /* masks at all ones: overrides allowed; an active override blocks mask writes */
    assert_errno(sim_write(sim, "devices/ap/card00/00.0001/driver_override", "vfio_ap\n"), 0);
    assert_read(sim, "devices/ap/card00/00.0001/driver_override", "vfio_ap\n");
    assert_errno(sim_write(sim, "bus/ap/apmask", "-0"), EINVAL);
    assert_errno(sim_write(sim, "bus/ap/aqmask", "-0"), EINVAL);
    /* the override does not reprobe by itself: unbind and bind */
    assert_errno(sim_write(sim, "bus/ap/drivers/vfio_ap/bind", "00.0001"), EBUSY);
    assert_errno(sim_write(sim, "bus/ap/drivers/cex4queue/unbind", "00.0001"), 0);
    assert_errno(sim_write(sim, "bus/ap/drivers/cex4queue/bind", "00.0001"), ENODEV);
    assert_errno(sim_write(sim, "bus/ap/drivers/vfio_ap/bind", "00.0001"), 0);
    assert_read(sim, "devices/ap/card00/00.0001/status", "unassigned\n");
    /* clearing the last override lets the masks be used again; then overrides are refused */
    assert_errno(sim_write(sim, "devices/ap/card00/00.0001/driver_override", "\n"), 0);
    assert_errno(sim_write(sim, "bus/ap/apmask", "-0"), 0);
    assert_errno(sim_write(sim, "devices/ap/card00/00.0002/driver_override", "vfio_ap"), EINVAL);
    sim_stop(sim);
}

/* ---- §1.5 the matrix device --------------------------------------------------------------------------------- */

static void
test_matrix_device(void)
{
    Sim *sim = sim_start("tiny");

    assert_read(sim, "devices/vfio_ap/matrix/features", "guest_matrix hotplug ap_config\n");
    assert_read(sim, TYPE "/name", "VFIO AP Passthrough Device\n");
    assert_read(sim, TYPE "/device_api", "vfio-ap\n");
    assert_read(sim, TYPE "/available_instances", "65536\n");
    {
        g_autofree char *link = sim_readlink(sim, "class/mdev_bus/matrix");

        g_assert_cmpstr(link, ==, "../../devices/vfio_ap/matrix");
    }
    assert_errno(sim_read_errno(sim, TYPE "/create"), EACCES); /* write-only */
    sim_stop(sim);
}

static void
test_create_rules(void)
{
    Sim *sim = sim_start("tiny");

    assert_errno(sim_write(sim, TYPE "/create", "11111111-1111-4111-8111-11111111111"), EINVAL);  /* 35 */
    assert_errno(sim_write(sim, TYPE "/create", U1 "\n\n"), EINVAL);                          /* 38 */
    assert_errno(sim_write(sim, TYPE "/create", "11111111-1111-4111-8111_111111111111"), EINVAL); /* dash */
    assert_errno(sim_write(sim, TYPE "/create", "1111111g-1111-4111-8111-111111111111"), EINVAL);
    assert_errno(sim_write(sim, TYPE "/create", U1), 0);
    assert_errno(sim_write(sim, TYPE "/create", U1 "\n"), EEXIST);
    /* uppercase is the same UUID; only the first 36 characters are looked at */
    assert_errno(sim_write(sim, TYPE "/create", "AAAAAAAA-1111-4111-8111-111111111111X"), 0);
    assert_errno(sim_write(sim, TYPE "/create", "aaaaaaaa-1111-4111-8111-111111111111"), EEXIST);
    assert_read(sim, TYPE "/available_instances", "65534\n");
    {
        g_autofree char *ls = sim_ls(sim, TYPE "/devices");
        g_autofree char *link = sim_readlink(sim, "bus/mdev/devices/" U1);
        g_autofree char *type = sim_readlink(sim, M1 "/mdev_type");
        g_autofree char *group = sim_readlink(sim, M1 "/iommu_group");

        g_assert_cmpstr(ls, ==, U1 " aaaaaaaa-1111-4111-8111-111111111111");
        g_assert_cmpstr(link, ==, "../../../devices/vfio_ap/matrix/" U1);
        g_assert_cmpstr(type, ==, "../mdev_supported_types/vfio_ap-passthrough");
        g_assert_true(g_str_has_prefix(group, "../../../../kernel/iommu_groups/"));
    }
    assert_read(sim, M1 "/matrix", "");
    assert_read(sim, M1 "/guest_matrix", "");
    assert_read(sim, M1 "/control_domains", "");
    assert_read(sim, M1 "/ap_config", "0x" ZEROS64 ",0x" ZEROS64 ",0x" ZEROS64 "\n");
    assert_errno(sim_write(sim, M1 "/remove", "x"), EINVAL);
    assert_errno(sim_write(sim, M1 "/remove", "0"), 0);
    g_assert_true(sim_exists(sim, M1));
    assert_errno(sim_write(sim, M1 "/remove", "1"), 0);
    g_assert_false(sim_exists(sim, M1));
    g_assert_false(sim_exists(sim, "bus/mdev/devices/" U1));
    assert_read(sim, TYPE "/available_instances", "65535\n");
    sim_stop(sim);
}

/* ---- §1.6 mdev attributes -------------------------------------------------------------------------------- */

static void
test_assign_parse_and_limits(void)
{
    Sim *sim = sim_start("noapxa");
    sim_mdev(sim, U1, NULL, NULL, NULL);

    assert_errno(sim_write(sim, M1 "/assign_adapter", "abc"), EINVAL);
    assert_errno(sim_write(sim, M1 "/assign_adapter", "99999999999999999999"), ERANGE);
    assert_errno(sim_write(sim, M1 "/assign_adapter", "64"), ENODEV);  /* apm_max 63 */
    assert_errno(sim_write(sim, M1 "/assign_domain", "16"), ENODEV);   /* aqm_max 15 */
    assert_errno(sim_write(sim, M1 "/assign_control_domain", "0x10"), ENODEV);
    assert_errno(sim_write(sim, M1 "/unassign_adapter", "64"), ENODEV);
    assert_errno(sim_write(sim, M1 "/assign_adapter", "63"), 0);        /* over-provisioning: no such card */
    assert_errno(sim_write(sim, M1 "/assign_adapter", "077\n"), 0);     /* octal 63 again: no effect */
    assert_read(sim, M1 "/matrix", "3f.\n");
    assert_errno(sim_write(sim, M1 "/unassign_domain", "3"), 0);        /* not assigned: no effect */
    assert_errno(sim_read_errno(sim, M1 "/assign_adapter"), EACCES);
    sim_stop(sim);
}

static void
test_assign_default_owned_eaddrnotavail(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "0", NULL, NULL);

    /* 00.0001 belongs to the host (apmask bit 0 and aqmask bit 1 set) */
    assert_errno(sim_write(sim, M1 "/assign_domain", "1"), EADDRNOTAVAIL);
    assert_read(sim, M1 "/matrix", "00.\n");
    assert_errno(sim_write(sim, M1 "/assign_domain", "2"), 0);
    assert_read(sim, M1 "/matrix", "00.0002\n");
    sim_stop(sim);
}

static void
test_assign_shared_eaddrinuse(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", "2");
    sim_mdev(sim, U2, "1", NULL, "2"); /* no domain: no APQN, no conflict yet */

    assert_errno(sim_write(sim, M2 "/assign_domain", "2"), EADDRINUSE);
    assert_errno(sim_write(sim, M2 "/assign_domain", "3"), 0);
    assert_read(sim, M2 "/matrix", "01.0003\n");
    /* control domains may be shared */
    assert_read(sim, M2 "/control_domains", "0002\n");
    assert_read(sim, M1 "/control_domains", "0002\n");
    sim_stop(sim);
}

static void
test_unassign_hot_unplugs(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "0,1", "2,3", "2");

    assert_read(sim, M1 "/guest_matrix", "00.0002\n00.0003\n01.0002\n01.0003\n");
    assert_errno(sim_write(sim, M1 "/unassign_adapter", "0"), 0);
    assert_read(sim, M1 "/matrix", "01.0002\n01.0003\n");
    assert_read(sim, M1 "/guest_matrix", "01.0002\n01.0003\n");
    assert_errno(sim_write(sim, M1 "/unassign_control_domain", "2"), 0);
    assert_read(sim, M1 "/control_domains", "");
    assert_read(sim, "devices/ap/card00/00.0002/status", "unassigned\n");
    assert_read(sim, "devices/ap/card01/01.0002/status", "assigned\n");
    sim_stop(sim);
}

static void
test_ap_config_all_or_nothing(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    sim_mdev(sim, U2, NULL, NULL, NULL);
    /* adapters 0,1 domains 3 cdom 3 */
    const char *good = "0xc,0x1,0x1\n";
    const char *shared = "0x4,0x2,0x0\n";      /* 01.0002 is m1's */
    const char *host_owned = "0x8,0x4,0x0\n";  /* 00.0001 */
    const char *over_max = "0x4,0x1,0x" ONES64 "\n";

    assert_errno(sim_write(sim, M2 "/ap_config", "0xc,0x1"), EINVAL);
    assert_errno(sim_write(sim, M2 "/ap_config", shared), EADDRINUSE);
    assert_errno(sim_write(sim, M2 "/ap_config", host_owned), EADDRNOTAVAIL);
    assert_read(sim, M2 "/matrix", "");
    assert_errno(sim_write(sim, M2 "/ap_config", good), 0);
    assert_read(sim, M2 "/matrix", "00.0003\n01.0003\n");
    assert_read(sim, M2 "/control_domains", "0003\n");
    assert_read(sim, M2 "/ap_config", "0xc" "000000000000000000000000000000000000000000000000000000000000000,0x1"
                                      "000000000000000000000000000000000000000000000000000000000000000,0x1"
                                      "000000000000000000000000000000000000000000000000000000000000000\n");
    sim_stop(sim);

    /* ENODEV for bits above the limits, checked after ownership and sharing */
    sim = sim_start("noapxa");
    sim_mdev(sim, U2, NULL, NULL, NULL);
    assert_errno(sim_write(sim, M2 "/ap_config", over_max), EADDRNOTAVAIL); /* 01.0003 is the host's */
    assert_errno(sim_write(sim, "bus/ap/apmask", "0x"), 0);
    assert_errno(sim_write(sim, M2 "/ap_config", over_max), ENODEV);
    assert_read(sim, M2 "/control_domains", "");
    sim_stop(sim);
}

static void
test_ap_config_absent_on_older_kernels(void)
{
    Sim *sim = sim_start_text("[host]\nusage-domains=0-3\nap-config=false\n[card 00]\n");
    sim_mdev(sim, U1, NULL, NULL, NULL);

    g_assert_false(sim_exists(sim, M1 "/ap_config"));
    assert_read(sim, "devices/vfio_ap/matrix/features", "guest_matrix hotplug\n");
    sim_stop(sim);
}

/* ---- §2.1-§2.3 filtering, hot plug, bind and unbind ------------------------------------------------------- */

static void
test_filter_drops_whole_adapter(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "0,1", "2,3", NULL);

    /* unbinding one queue of adapter 0 drops the whole adapter from the guest's view */
    assert_errno(sim_write(sim, "bus/ap/drivers/vfio_ap/unbind", "00.0003"), 0);
    assert_read(sim, M1 "/matrix", "00.0002\n00.0003\n01.0002\n01.0003\n");
    assert_read(sim, M1 "/guest_matrix", "01.0002\n01.0003\n");
    /* binding it back plugs the adapter in again */
    assert_errno(sim_write(sim, "bus/ap/drivers/vfio_ap/bind", "00.0003"), 0);
    assert_read(sim, M1 "/guest_matrix", "00.0002\n00.0003\n01.0002\n01.0003\n");
    sim_stop(sim);
}

static void
test_over_provisioning_and_domain_only_shadow(void)
{
    Sim *sim = start_tiny_freed();

    /* adapter 5 and domain 9 are not in the host configuration; the masks must still not reserve them */
    assert_errno(sim_write(sim, "bus/ap/apmask", "-5"), 0);
    assert_errno(sim_write(sim, "bus/ap/aqmask", "-9"), 0);
    sim_mdev(sim, U1, "1,5", "2,9", NULL);
    assert_read(sim, M1 "/matrix", "01.0002\n01.0009\n05.0002\n05.0009\n");
    assert_read(sim, M1 "/guest_matrix", "01.0002\n");
    /* domains stay in the shadow when every adapter is filtered */
    assert_errno(sim_write(sim, "bus/ap/drivers/vfio_ap/unbind", "01.0002"), 0);
    assert_read(sim, M1 "/guest_matrix", ".0002\n");
    sim_stop(sim);
}

static void
test_hot_plug_into_running_guest(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    g_autofree char *apcb = NULL, *apcb2 = NULL, *apcb3 = NULL;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    apcb = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(apcb, ==, "adapters=1\ndomains=2\ncontrol_domains=\ncfg_changes=0\n");
    assert_read(sim, "devices/ap/card01/01.0002/status", "in use\n");
    assert_errno(sim_write(sim, M1 "/assign_domain", "3"), 0);
    assert_errno(sim_write(sim, M1 "/assign_control_domain", "3"), 0);
    apcb2 = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(apcb2, ==, "adapters=1\ndomains=2,3\ncontrol_domains=3\ncfg_changes=2\n");
    assert_errno(sim_write(sim, M1 "/unassign_domain", "2"), 0);
    apcb3 = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(apcb3, ==, "adapters=1\ndomains=3\ncontrol_domains=3\ncfg_changes=3\n");
    assert_read(sim, "devices/ap/card01/01.0002/status", "unassigned\n");
    sim_ctl(sim, "guest-stop g1");
    assert_read(sim, "devices/ap/card01/01.0003/status", "assigned\n");
    sim_stop(sim);
}

static void
test_no_hotplug_kernel_busy(void)
{
    Sim *sim = sim_start_text("[host]\nusage-domains=0-3\nhotplug=false\napmask=none\n[card 00]\n");
    sim_mdev(sim, U1, "0", "1", NULL);

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    assert_errno(sim_write(sim, M1 "/assign_domain", "2"), EBUSY);
    assert_errno(sim_write(sim, M1 "/unassign_domain", "1"), EBUSY);
    assert_errno(sim_write(sim, M1 "/remove", "1"), EBUSY);
    assert_read(sim, "devices/vfio_ap/matrix/features", "guest_matrix ap_config\n");
    sim_ctl(sim, "guest-stop g1");
    assert_errno(sim_write(sim, M1 "/assign_domain", "2"), 0);
    sim_stop(sim);
}

static void
test_unbind_in_use_queue_unplugs_adapter(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "0,1", "2", NULL);
    g_autofree char *apcb = NULL;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    assert_errno(sim_write(sim, "bus/ap/drivers/vfio_ap/unbind", "01.0002"), 0);
    apcb = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(apcb, ==, "adapters=0\ndomains=2\ncontrol_domains=\ncfg_changes=1\n");
    sim_stop(sim);
}

/* ---- §2.4 host configuration changes ---------------------------------------------------------------------- */

static void
test_host_config_change_two_phases(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "0,1", "2,3", "2");
    g_autofree char *a1 = NULL, *a2 = NULL, *a3 = NULL;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    sim_ctl(sim, "config-adapter 1 off");
    g_assert_false(sim_exists(sim, "devices/ap/card01"));
    g_assert_false(sim_exists(sim, "bus/ap/devices/01.0002"));
    a1 = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(a1, ==, "adapters=0\ndomains=2,3\ncontrol_domains=2\ncfg_changes=1\n");
    assert_read(sim, M1 "/matrix", "00.0002\n00.0003\n01.0002\n01.0003\n"); /* the assignment stays */
    sim_ctl(sim, "config-control-domain 2 off");
    a2 = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(a2, ==, "adapters=0\ndomains=2,3\ncontrol_domains=\ncfg_changes=2\n");
    sim_ctl(sim, "config-adapter 1 on");
    sim_ctl(sim, "config-control-domain 2 on");
    a3 = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(a3, ==, "adapters=0,1\ndomains=2,3\ncontrol_domains=2\ncfg_changes=4\n");
    sim_stop(sim);
}

/* ---- §2.5 guests, §2.7 remove ----------------------------------------------------------------------------- */

static void
test_one_mdev_per_guest_eperm(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    sim_mdev(sim, U2, "1", "3", NULL);
    g_autofree char *reply = NULL, *reply2 = NULL;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    /* QEMU's ap-bus takes one device (max_dev = 1), so a second vfio-ap never reaches the kernel's EPERM */
    g_assert_false(sim_ctl_try(sim, &reply, "guest-attach g1 " U2));
    g_assert_nonnull(strstr(reply, "No 'ap-bus' bus found for device 'vfio-ap'"));
    sim_ctl(sim, "guest-start g2");
    g_assert_false(sim_ctl_try(sim, &reply2, "guest-attach g2 " U1)); /* open in g1 */
    g_assert_nonnull(strstr(reply2, "error getting device from group"));
    g_assert_nonnull(strstr(reply2, "Device or resource busy"));
    sim_ctl(sim, "guest-attach g2 " U2);
    sim_stop(sim);
}

static void
test_remove_relays_request_to_guest(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    g_autofree char *apcb = NULL;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    /* a current QEMU handles the request IRQ by unplugging: remove returns once it has */
    assert_errno(sim_write(sim, M1 "/remove", "1"), 0);
    g_assert_false(sim_exists(sim, M1));
    apcb = sim_ctl_out(sim, "guest-apcb g1");
    g_assert_cmpstr(apcb, ==, "adapters=\ndomains=\ncontrol_domains=\ncfg_changes=1\n");
    assert_read(sim, "devices/ap/card01/01.0002/status", "unassigned\n");
    sim_stop(sim);
}

typedef struct {
    Sim *sim;
    int err;
    gint64 took;
} RemoveJob;

static gpointer
remove_in_thread(gpointer data)
{
    RemoveJob *job = data;
    gint64 start = g_get_monotonic_time();

    job->err = sim_write(job->sim, M1 "/remove", "1\n");
    job->took = g_get_monotonic_time() - start;
    return NULL;
}

static void
test_remove_blocks_until_old_qemu_guest_stops(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    RemoveJob job = { sim, -1, 0 };
    GThread *thread;

    sim_ctl(sim, "guest-start g1 old-qemu mdev=" U1);
    thread = g_thread_new("remove", remove_in_thread, &job);
    g_usleep(500 * 1000);
    /* still there, its remove attribute gone, and the guest already lost its queues */
    g_assert_true(sim_exists(sim, M1));
    g_assert_false(sim_exists(sim, M1 "/remove"));
    {
        g_autofree char *apcb = sim_ctl_out(sim, "guest-apcb g1");

        g_assert_cmpstr(apcb, ==, "adapters=\ndomains=\ncontrol_domains=\ncfg_changes=1\n");
    }
    sim_ctl(sim, "guest-stop g1");
    g_thread_join(thread);
    assert_errno(job.err, 0);
    g_assert_cmpint(job.took, >=, 450 * 1000);
    g_assert_false(sim_exists(sim, M1));
    sim_stop(sim);
}

/* ---- §2.8 PQAP and §3 locks -------------------------------------------------------------------------------- */

static void
test_pqap_only_for_guest_queues(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    g_autofree char *r1 = NULL, *r2 = NULL;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    r1 = sim_ctl_out(sim, "pqap g1 01.0002 on");
    r2 = sim_ctl_out(sim, "pqap g1 01.0003 on");
    g_assert_cmpstr(r1, ==, "rc=00\n");
    g_assert_cmpstr(r2, ==, "rc=01\n"); /* Q_NOT_AVAIL */
    assert_read(sim, "devices/ap/card01/01.0002/interrupt", "Interrupts enabled.\n");
    sim_ctl(sim, "guest-stop g1");
    assert_read(sim, "devices/ap/card01/01.0002/interrupt", "Interrupts disabled.\n"); /* reset at close */
    sim_stop(sim);
}

static void
test_guest_workload_issues_pqap(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2,3", NULL);
    g_autofree char *dump = NULL, *stats = NULL;
    g_autoptr(GRegex) re = g_regex_new("\"pqap_calls\" : ([0-9]+)", 0, 0, NULL);
    g_autoptr(GMatchInfo) match = NULL;
    g_autofree char *calls = NULL;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    sim_ctl(sim, "guest-workload g1 on");
    g_usleep(300 * 1000);
    sim_ctl(sim, "guest-workload g1 off");
    dump = sim_ctl_out(sim, "dump");
    g_assert_true(g_regex_match(re, dump, 0, &match));
    calls = g_match_info_fetch(match, 1);
    g_assert_cmpint(atoi(calls), >=, 100); /* two queues, many rounds */
    stats = sim_ctl_out(sim, "locks");
    g_assert_true(g_regex_match_simple("\"pqap_hook_rwsem of guest g1\",\\s*\"acquisitions\" : [1-9][0-9][0-9]",
                                       stats, 0, 0));
    sim_stop(sim);
}

static void
test_lock_statistics_count(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, "1", "2", NULL);
    g_autofree char *stats = sim_ctl_out(sim, "locks");

    g_assert_nonnull(strstr(stats, "\"ap_attr_mutex\""));
    g_assert_nonnull(strstr(stats, "\"mdevs_lock\""));
    g_assert_true(g_regex_match_simple("\"guests_lock\",\\s*\"acquisitions\" : [1-9]", stats, 0, 0));
    sim_stop(sim);
}

static void
test_fault_injection(void)
{
    Sim *sim = start_tiny_freed();
    sim_mdev(sim, U1, NULL, NULL, NULL);

    sim_ctl(sim, "inject assign_domain 2 EIO");
    assert_errno(sim_write(sim, M1 "/assign_domain", "2"), 0);
    assert_errno(sim_write(sim, M1 "/assign_domain", "3"), EIO);
    assert_errno(sim_write(sim, M1 "/assign_domain", "3"), 0);
    assert_read(sim, M1 "/matrix", ".0002\n.0003\n");
    sim_stop(sim);
}

static void
test_write_larger_than_a_page_e2big(void)
{
    Sim *sim = sim_start("tiny");
    g_autofree char *big = g_strnfill(5000, '+');

    assert_errno(sim_write(sim, "bus/ap/apmask", big), E2BIG);
    assert_read(sim, "bus/ap/apmask", "0x" ONES64 "\n");
    sim_stop(sim);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    sim_init();
    g_test_add_func("/apsim/1.1/bus-mask-and-id-formats", test_bus_mask_formats);
    g_test_add_func("/apsim/1.1/noapxa-limits-63-15", test_bus_noapxa_limits);
    g_test_add_func("/apsim/1.1/ap-domain-must-be-in-aqmask", test_bus_ap_domain);
    g_test_add_func("/apsim/1.1/config-time-poll-timeout-poll-thread", test_bus_tunables);
    g_test_add_func("/apsim/1.1/scans-write-rescans", test_bus_scans_write_rescans);
    g_test_add_func("/apsim/1.2/mask-writes-rebind-queues", test_mask_writes_rebind_queues);
    g_test_add_func("/apsim/1.2/bad-mask-syntax-gives-einval-unchanged", test_mask_bad_syntax_einval_unchanged);
    g_test_add_func("/apsim/1.3/returning-assigned-apqn-gives-ebusy", test_mask_in_use_veto_ebusy);
    g_test_add_func("/apsim/1.3/before-6.19-in-use-uses-current-mask", test_mask_in_use_before_619_uses_current_mask);
    g_test_add_func("/apsim/1.4/card-attributes-and-links", test_card_attributes);
    g_test_add_func("/apsim/1.4/card-config-and-online", test_card_config_and_online);
    g_test_add_func("/apsim/1.4/queue-attributes", test_queue_attributes);
    g_test_add_func("/apsim/1.4/driver-override-excludes-masks", test_driver_override_rules);
    g_test_add_func("/apsim/1.5/matrix-device-and-type", test_matrix_device);
    g_test_add_func("/apsim/1.5/create-and-remove-rules", test_create_rules);
    g_test_add_func("/apsim/1.6/assign-parse-limits-over-provisioning", test_assign_parse_and_limits);
    g_test_add_func("/apsim/1.6/default-owned-apqn-gives-eaddrnotavail", test_assign_default_owned_eaddrnotavail);
    g_test_add_func("/apsim/1.6/shared-apqn-gives-eaddrinuse", test_assign_shared_eaddrinuse);
    g_test_add_func("/apsim/1.6/unassign-hot-unplugs", test_unassign_hot_unplugs);
    g_test_add_func("/apsim/1.6/ap-config-all-or-nothing", test_ap_config_all_or_nothing);
    g_test_add_func("/apsim/1.6/ap-config-absent-on-older-kernels", test_ap_config_absent_on_older_kernels);
    g_test_add_func("/apsim/2.1/filter-drops-whole-adapter", test_filter_drops_whole_adapter);
    g_test_add_func("/apsim/2.1/over-provisioning-and-domain-only-shadow", test_over_provisioning_and_domain_only_shadow);
    g_test_add_func("/apsim/2.2/hot-plug-into-running-guest", test_hot_plug_into_running_guest);
    g_test_add_func("/apsim/2.2/without-hotplug-changes-give-ebusy", test_no_hotplug_kernel_busy);
    g_test_add_func("/apsim/2.3/unbinding-in-use-queue-unplugs-adapter", test_unbind_in_use_queue_unplugs_adapter);
    g_test_add_func("/apsim/2.4/host-config-change-in-two-phases", test_host_config_change_two_phases);
    g_test_add_func("/apsim/2.5/one-mdev-per-guest-eperm", test_one_mdev_per_guest_eperm);
    g_test_add_func("/apsim/2.7/remove-relays-request-to-guest", test_remove_relays_request_to_guest);
    g_test_add_func("/apsim/2.7/remove-blocks-until-old-qemu-guest-stops", test_remove_blocks_until_old_qemu_guest_stops);
    g_test_add_func("/apsim/2.8/pqap-only-for-guest-queues", test_pqap_only_for_guest_queues);
    g_test_add_func("/apsim/2.8/guest-workload-issues-pqap", test_guest_workload_issues_pqap);
    g_test_add_func("/apsim/3/lock-statistics-count", test_lock_statistics_count);
    g_test_add_func("/apsim/control/fault-injection-nth-write", test_fault_injection);
    g_test_add_func("/apsim/sysfs/write-larger-than-a-page-gives-e2big", test_write_larger_than_a_page_e2big);
    return g_test_run();
}
