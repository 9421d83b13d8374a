/* test-hostdev.c: vfio-ap hostdevs in domain XML (as libvirt prints them) and as QEMU's device */
#include "config.h"

#include <string.h>

#include "apm-error.h"
#include "apm-hostdev.h"

static char *
data_path(const char *name)
{
    return g_build_filename(g_getenv("APMATRIX_SOURCE_DIR"), "tests", "data", "domain", name, NULL);
}

/* the vfio-ap <hostdev> element of a file, its lines as they are */
static char *
hostdev_lines(const char *text)
{
    const char *start = strstr(text, "<hostdev mode='subsystem' type='mdev' managed='no' model='vfio-ap'>");
    const char *end = start ? strstr(start, "</hostdev>\n") : NULL;

    g_assert_nonnull(end);
    while (start > text && start[-1] == ' ')
        start--;
    return g_strndup(start, (gsize) (end + strlen("</hostdev>\n") - start));
}

static void
test_libvirt_output_round_trip(void)
{
    const char *files[] = { "vm1-inactive.xml", "vm2-mixed.xml", "vm3-boot.xml" };

    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = data_path(files[i]), *text = NULL, *want = NULL, *got = NULL, *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmDomainInfo) info = NULL;
        g_autoptr(ApmHostdev) alone = NULL;
        gsize length;

        g_assert_true(g_file_get_contents(path, &text, &length, NULL));
        info = apm_domain_info_parse(text, length, NULL, &error);
        g_assert_no_error(error);
        g_assert_cmpuint(info->hostdevs->len, ==, 1); /* the vfio-ccw hostdev of vm2 is not ours */
        want = hostdev_lines(text);
        got = apm_hostdev_format(g_ptr_array_index(info->hostdevs, 0), 4);
        g_assert_cmpstr(got, ==, want); /* byte for byte as libvirt prints it */
        alone = apm_hostdev_parse(got, strlen(got), NULL, FALSE, &error); /* the attach-device form */
        g_assert_no_error(error);
        again = apm_hostdev_format(alone, 4);
        g_assert_cmpstr(again, ==, want);
    }
}

static void
test_qemu_device(void)
{
    const char *xml = "<hostdev mode='subsystem' type='mdev' model='vfio-ap'>\n"
                      "  <source><address uuid='90C6C135-AD44-41D0-B1B7-BAE47DE48627'/></source>\n"
                      "</hostdev>\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmHostdev) h = apm_hostdev_parse(xml, strlen(xml), NULL, FALSE, &error);
    g_autofree char *json = NULL, *json2 = NULL, *arg = NULL, *arg2 = NULL;

    g_assert_no_error(error);
    g_assert_true(apm_hostdev_validate(h, &error));
    json = apm_hostdev_qemu_json(h);
    g_assert_cmpstr(json, ==,
                    "{\"driver\":\"vfio-ap\",\"id\":\"hostdev0\","
                    "\"sysfsdev\":\"/sys/bus/mdev/devices/90c6c135-ad44-41d0-b1b7-bae47de48627\"}");
    h->alias = g_strdup("ua-crypto");
    json2 = apm_hostdev_qemu_json(h);
    g_assert_nonnull(strstr(json2, "\"id\":\"ua-crypto\""));
    g_clear_pointer(&h->alias, g_free);
    arg = apm_hostdev_qemu_arg(h);
    g_assert_cmpstr(arg, ==, "vfio-ap,id=hostdev0,sysfsdev=/sys/bus/mdev/devices/90c6c135-ad44-41d0-b1b7-bae47de48627");
    h->alias = g_strdup("ua-a,b");
    arg2 = apm_hostdev_qemu_arg(h);
    g_assert_true(g_str_has_prefix(arg2, "vfio-ap,id=ua-a,,b,sysfsdev="));
}

static void
test_refusals(void)
{
    const char *bad[][2] = {
        { "", "is empty" },
        { "<hostdev mode='subsystem' type='mdev' model='vfio-ap'>", "not well-formed" },
        { "<!DOCTYPE hostdev [<!ENTITY x 'y'>]><hostdev/>", "DTD" },
        { "<disk/>", "not <hostdev>" },
        { "<hostdev mode='subsystem' type='pci'/>", "not a mediated device" },
        { "<hostdev mode='subsystem' type='mdev' model='vfio-ccw'/>", "of model 'vfio-ccw', not vfio-ap" },
        { "<hostdev mode='subsystem' type='mdev' model='vfio-ap'/>", "names no mdev" },
        { "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='../x'/></source></hostdev>",
          "is not a UUID" },
        { "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address "
          "uuid='90c6c135-ad44-41d0-b1b7-bae47de48627'/></source><boot order='x'/></hostdev>",
          "is not a boot order" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmHostdev) h = apm_hostdev_parse(bad[i][0], strlen(bad[i][0]), NULL, FALSE, &error);

        g_assert_null(h);
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
        if (!strstr(error->message, bad[i][1]))
            g_error("%s: '%s' does not say '%s'", bad[i][0], error->message, bad[i][1]);
    }
    {
        g_autofree char *path = data_path("vm3-boot.xml"), *text = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmDomainInfo) info = NULL;
        gsize length;

        g_assert_true(g_file_get_contents(path, &text, &length, NULL));
        info = apm_domain_info_parse(text, length, NULL, &error);
        g_assert_no_error(error);
        g_assert_false(apm_hostdev_validate(g_ptr_array_index(info->hostdevs, 0), &error));
        g_assert_nonnull(strstr(error->message, "cannot have a boot order"));
    }
    {
        const char *two = "<domstatus><domain><name>vm9</name><devices>"
                          "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address "
                          "uuid='90c6c135-ad44-41d0-b1b7-bae47de48627'/></source></hostdev>"
                          "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address "
                          "uuid='90c6c135-ad44-41d0-b1b7-bae47de48628'/></source></hostdev>"
                          "</devices></domain></domstatus>";
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmDomainInfo) info = apm_domain_info_parse(two, strlen(two), NULL, &error);

        g_assert_null(info);
        g_assert_nonnull(strstr(error->message, "Guest vm9 has 2 vfio-ap hostdevs"));
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hostdev/libvirt-output-round-trip", test_libvirt_output_round_trip);
    g_test_add_func("/hostdev/qemu-device", test_qemu_device);
    g_test_add_func("/hostdev/refusals", test_refusals);
    return g_test_run();
}
