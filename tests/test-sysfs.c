/* test-sysfs.c: root-relative sysfs I/O keeps the kernel's errno */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-sysfs.h"
#include "apm-test.h"

static void
test_root_resolution(void)
{
    g_autofree char *from_cli = NULL, *from_env = NULL, *fallback = NULL;
    g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL;

    g_setenv("APMATRIX_ROOT", "/tmp/env-root", TRUE);
    from_cli = apm_root_resolve("/tmp/cli-root");
    from_env = apm_root_resolve(NULL);
    g_unsetenv("APMATRIX_ROOT");
    fallback = apm_root_resolve(NULL);
    g_assert_cmpstr(from_cli, ==, "/tmp/cli-root");
    g_assert_cmpstr(from_env, ==, "/tmp/env-root");
    g_assert_cmpstr(fallback, ==, "/");
    p1 = apm_root_path("/", "/sys/bus/ap/apmask");
    p2 = apm_root_path("/tmp/r", "/sys/bus/ap/apmask");
    p3 = apm_root_path("/tmp/r/", "sys/bus/ap");
    g_assert_cmpstr(p1, ==, "/sys/bus/ap/apmask");
    g_assert_cmpstr(p2, ==, "/tmp/r/sys/bus/ap/apmask");
    g_assert_cmpstr(p3, ==, "/tmp/r/sys/bus/ap");
}

static void
test_read_write_list(void)
{
    char *root = apm_test_tmpdir_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) names = NULL;
    g_autofree char *line = NULL, *contents = NULL;
    gsize len;

    apm_test_write_file(root, "sys/bus/ap/ap_domain", "6\n");
    apm_test_write_file(root, "sys/bus/ap/apmask", "");
    apm_test_write_file(root, "sys/bus/ap/devices/card05/hwtype", "14\n");
    apm_test_write_file(root, "sys/bus/ap/devices/card01/hwtype", "13\n");

    line = apm_sysfs_read_line(root, "/sys/bus/ap/ap_domain", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(line, ==, "6");
    g_assert_true(apm_sysfs_write(root, "/sys/bus/ap/apmask", "-5,-6\n", &error));
    g_assert_no_error(error);
    g_assert_true(apm_sysfs_read(root, "/sys/bus/ap/apmask", &contents, &len, &error));
    g_assert_cmpstr(contents, ==, "-5,-6\n");
    g_assert_cmpuint(len, ==, 6);

    names = apm_sysfs_list(root, "/sys/bus/ap/devices", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(names->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "card01");
    g_assert_cmpstr(g_ptr_array_index(names, 1), ==, "card05");
    g_assert_true(apm_sysfs_exists(root, "/sys/bus/ap/apmask"));
    g_assert_false(apm_sysfs_exists(root, "/sys/bus/ap/aqmask"));
    apm_test_tmpdir_free(root);
}

static void
test_errno_is_kept(void)
{
    char *root = apm_test_tmpdir_new();
    g_autofree char *attr = g_build_filename(root, "attr", NULL);
    g_autoptr(GError) error = NULL;
    char *contents = NULL;

    /* open() failing: ENOENT */
    g_assert_false(apm_sysfs_read(root, "/missing", &contents, NULL, &error));
    g_assert_error(error, APM_ERRNO_ERROR, ENOENT);
    g_clear_error(&error);
    g_assert_false(apm_sysfs_write(root, "/missing", "1", &error));
    g_assert_cmpint(apm_error_errno(error), ==, ENOENT);
    g_clear_error(&error);

    /* write() failing: /dev/full answers ENOSPC on every write, as an attribute answers its errno */
    g_assert_cmpint(symlink("/dev/full", attr), ==, 0);
    g_assert_false(apm_sysfs_write(root, "/attr", "0x47\n", &error));
    g_assert_error(error, APM_ERRNO_ERROR, ENOSPC);
    g_assert_nonnull(strstr(error->message, "0x47"));
    g_assert_nonnull(strstr(error->message, attr));
    g_clear_error(&error);

    /* read() failing: a folder gives EISDIR */
    g_assert_false(apm_sysfs_read(root, "/", &contents, NULL, &error));
    g_assert_error(error, APM_ERRNO_ERROR, EISDIR);
    g_clear_error(&error);

    g_assert_null(apm_sysfs_list(root, "/missing", &error));
    g_assert_error(error, APM_ERRNO_ERROR, ENOENT);
    apm_test_tmpdir_free(root);
}

static void
test_links(void)
{
    char *root = apm_test_tmpdir_new();
    g_autofree char *link = g_build_filename(root, "driver", NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *target = NULL, *name = NULL;

    g_assert_cmpint(symlink("../../../bus/ap/drivers/vfio_ap", link), ==, 0);
    target = apm_sysfs_read_link(root, "/driver", &error);
    name = apm_sysfs_read_link_name(root, "/driver", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(target, ==, "../../../bus/ap/drivers/vfio_ap");
    g_assert_cmpstr(name, ==, "vfio_ap");
    g_assert_true(apm_sysfs_exists(root, "/driver")); /* a dangling link exists */
    g_assert_null(apm_sysfs_read_link(root, "/nolink", &error));
    g_assert_error(error, APM_ERRNO_ERROR, ENOENT);
    apm_test_tmpdir_free(root);
}

/* The reader that keeps folders open: lists through a kept folder, opens a folder below its nearest kept ancestor,
 * tells an absent folder, and on a plain folder (not sysfs) reads a file replaced by a rename anew */
static void
test_dirs(void)
{
    char *root = apm_test_tmpdir_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) names = NULL, direct = NULL;
    g_autofree char *first = NULL, *second = NULL, *deep = NULL, *path = NULL;
    g_autoptr(ApmSysfsDirs) dirs = NULL;

    apm_test_write_file(root, "sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/name", "x\n");
    apm_test_write_file(root, "sys/devices/vfio_ap/matrix/features", "guest_matrix\n");
    apm_test_write_file(root, "sys/devices/vfio_ap/matrix/11111111-1111-4111-8111-111111111111/matrix", "");
    dirs = apm_sysfs_dirs_new(root);
    g_assert_true(apm_sysfs_dirs_has_dir(dirs, "/sys/devices/vfio_ap/matrix"));
    g_assert_false(apm_sysfs_dirs_has_dir(dirs, "/sys/bus/ap"));
    g_assert_false(apm_sysfs_dirs_has_dir(dirs, "/sys/devices/vfio_ap/matrix/features"));
    names = apm_sysfs_dirs_list(dirs, "/sys/devices/vfio_ap/matrix", &error);
    g_assert_no_error(error);
    direct = apm_sysfs_list(root, "/sys/devices/vfio_ap/matrix", NULL);
    g_assert_cmpuint(names->len, ==, 3);
    for (guint i = 0; i < names->len; i++)
        g_assert_cmpstr(g_ptr_array_index(names, i), ==, g_ptr_array_index(direct, i));
    g_assert_null(apm_sysfs_dirs_list(dirs, "/sys/bus/ap", &error));
    g_assert_cmpint(apm_error_errno(error), ==, ENOENT);
    g_clear_error(&error);
    /* two folders below the kept matrix folder */
    deep = apm_sysfs_dirs_read_line(dirs, "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough",
                                    "name", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(deep, ==, "x");
    first = apm_sysfs_dirs_read_line(dirs, "/sys/devices/vfio_ap/matrix", "features", &error);
    g_assert_no_error(error);
    path = g_build_filename(root, "sys/devices/vfio_ap/matrix/features", NULL);
    g_assert_true(g_file_set_contents(path, "guest_matrix hotplug ap_config\n", -1, NULL));
    second = apm_sysfs_dirs_read_line(dirs, "/sys/devices/vfio_ap/matrix", "features", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(first, ==, "guest_matrix");
    g_assert_cmpstr(second, ==, "guest_matrix hotplug ap_config");
    apm_test_tmpdir_free(root);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sysfs/root-from-option-then-environment-then-slash", test_root_resolution);
    g_test_add_func("/sysfs/read-write-list-under-root", test_read_write_list);
    g_test_add_func("/sysfs/errno-of-open-read-write-is-kept", test_errno_is_kept);
    g_test_add_func("/sysfs/read-link-and-its-name", test_links);
    g_test_add_func("/sysfs/kept-folders-list-nest-and-read-anew", test_dirs);
    return g_test_run();
}
