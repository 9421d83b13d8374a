/* test-apsim-model.c: apsim's model driven directly, for kernel behaviours no QEMU front can reach */
#include "config.h"

#include <errno.h>

#include "apm-test.h"
#include "apsim-attrs.h"
#include "apsim-host.h"
#include "apsim-sysfs.h"
#include "apsim-topology.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"

static int
write_attr(ApsimHost *host, const char *path, const char *value)
{
    ApsimNode node;
    int rc;

    g_assert_true(apsim_sysfs_resolve(host, path, &node));
    rc = apsim_sysfs_write(host, &node, value, strlen(value));
    apsim_sysfs_node_clear(&node);
    return rc;
}

static ApsimHost *
tiny_host(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApsimTopology) t = apsim_topology_load("tiny", &error);

    g_assert_no_error(error);
    return apsim_host_new(t);
}

/* vfio_ap_mdev_set_kvm: a second mdev opened in the same KVM gives EPERM (QEMU's ap-bus, which holds one
 * device, normally stops this before the kernel sees it) */
static void
test_second_mdev_in_one_guest_gives_eperm(void)
{
    g_autoptr(ApsimHost) host = tiny_host();
    g_autoptr(ApsimGuest) guest = NULL;
    g_autoptr(ApsimMdev) m1 = NULL, m2 = NULL;
    ApmMatrix apcb;

    g_assert_cmpint(write_attr(host, "/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", U1), ==, 0);
    g_assert_cmpint(write_attr(host, "/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", U2), ==, 0);
    m1 = apsim_host_lookup_mdev(host, U1);
    m2 = apsim_host_lookup_mdev(host, U2);
    guest = apsim_host_create_guest(host, "g1", FALSE, NULL);
    g_assert_cmpint(apsim_guest_open_device(host, guest, m1), ==, 0);
    g_assert_cmpint(apsim_guest_open_device(host, guest, m2), ==, -EPERM);
    apsim_guest_close_device(host, guest);
    g_assert_cmpint(apsim_guest_open_device(host, guest, m2), ==, 0);
    apsim_guest_get_apcb(host, guest, &apcb, NULL);
    g_assert_true(apm_mask_is_empty(&apcb.adapters));
    apsim_guest_stop(host, guest, TRUE);
}

/* topology files: refusals name what is wrong */
static void
test_topology_errors(void)
{
    const struct {
        const char *text;
        const char *expect;
    } bad[] = {
        { "[cards]\nids=1\n", "no [host] group" },
        { "[host]\napxa=maybe\n", "expected true or false" },
        { "[host]\napxa=false\nmax-domain-id=16\n", "not a number from 0 to 15" },
        { "[host]\n[card 100]\n", "expected [card XX]" },
        { "[host]\n[card 05]\nmode=quantum\n", "is not accel, cca or ep11" },
        { "[host]\nusage-domains=3-1\n", "runs backwards" },
        { "not a key file", "not a valid key file" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApsimTopology) t = apsim_topology_parse(bad[i].text, -1, "custom", &error);

        g_assert_null(t);
        g_assert_nonnull(error);
        if (!strstr(error->message, bad[i].expect))
            g_error("topology %u: '%s' does not say '%s'", i, error->message, bad[i].expect);
    }
}

static void
test_builtin_topologies(void)
{
    const struct {
        const char *name;
        guint cards, domains, max_adapter, max_domain;
    } expect[] = {
        { "tiny", 2, 4, 255, 255 }, { "z16", 8, 85, 255, 84 }, { "noapxa", 3, 16, 63, 15 }, { "max", 256, 256, 255, 255 },
    };

    for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApsimTopology) t = apsim_topology_load(expect[i].name, &error);

        g_assert_no_error(error);
        g_assert_cmpuint(t->cards->len, ==, expect[i].cards);
        g_assert_cmpuint(apm_mask_count(&t->qci_domains), ==, expect[i].domains);
        g_assert_cmpuint(t->max_adapter_id, ==, expect[i].max_adapter);
        g_assert_cmpuint(t->max_domain_id, ==, expect[i].max_domain);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/apsim/2.5/second-mdev-in-one-guest-gives-eperm", test_second_mdev_in_one_guest_gives_eperm);
    g_test_add_func("/apsim/topology/errors-name-the-problem", test_topology_errors);
    g_test_add_func("/apsim/topology/built-in-hosts", test_builtin_topologies);
    return g_test_run();
}
