/* test-store.c: mdev definitions in mdevctl's folder: atomic, UUID-named, robust to bad neighbours and crashes */
#include "config.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-store.h"
#include "apm-test.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"
#define U3 "33333333-3333-4333-8333-333333333333"

static ApmMdevConfig *
sample(const char *adapter)
{
    ApmMdevConfig *c = apm_mdev_config_new("vfio_ap-passthrough", TRUE);

    apm_mdev_config_add_attr(c, "assign_adapter", adapter);
    apm_mdev_config_add_attr(c, "assign_domain", "0x47");
    return c;
}

static void
test_write_read_list_remove(void)
{
    char *root = apm_test_tmpdir_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmMdevConfig) c1 = sample("5"), back = NULL;
    g_autoptr(GPtrArray) defs = NULL, problems = NULL;
    g_autofree char *path = g_build_filename(root, "etc/mdevctl.d/matrix", U1, NULL);
    g_autofree char *text = NULL, *expected = apm_mdev_config_format(c1);
    ApmUuid u1, u2;
    struct stat st;

    g_assert_true(apm_uuid_parse(U1, &u1));
    g_assert_true(apm_uuid_parse(U2, &u2));
    defs = apm_store_list(root, &problems, &error); /* no folder yet: empty */
    g_assert_no_error(error);
    g_assert_cmpuint(defs->len, ==, 0);
    g_clear_pointer(&defs, g_ptr_array_unref);
    g_clear_pointer(&problems, g_ptr_array_unref);

    g_assert_true(apm_store_write(root, &u2, c1, &error));
    g_assert_true(apm_store_write(root, &u1, c1, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, expected); /* mdevctl's own layout */
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0644);
    back = apm_store_read(root, &u1, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(back->attrs->len, ==, 2);
    defs = apm_store_list(root, &problems, &error);
    g_assert_cmpuint(defs->len, ==, 2);
    g_assert_true(apm_uuid_equal(&((ApmStoredDef *) g_ptr_array_index(defs, 0))->uuid, &u1)); /* sorted */
    g_assert_cmpuint(problems->len, ==, 0);
    {
        g_autofree char *dir = g_build_filename(root, "etc/mdevctl.d/matrix", NULL);
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;

        while (g_dir_read_name(d))
            n++;
        g_assert_cmpuint(n, ==, 2); /* no temporary file left */
    }
    g_assert_true(apm_store_remove(root, &u1, &error));
    g_assert_false(apm_store_remove(root, &u1, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_null(apm_store_read(root, &u1, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_NOT_FOUND);
    apm_test_tmpdir_free(root);
}

static void
test_bad_neighbours_reported_by_name(void)
{
    char *root = apm_test_tmpdir_new();
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmMdevConfig) c = sample("5");
    g_autoptr(GPtrArray) defs = NULL, problems = NULL;
    g_autofree char *link = g_build_filename(root, "etc/mdevctl.d/matrix", U3, NULL);
    ApmUuid u1;

    g_assert_true(apm_uuid_parse(U1, &u1));
    g_assert_true(apm_store_write(root, &u1, c, &error));
    apm_test_write_file(root, "etc/mdevctl.d/matrix/" U2, "{\"mdev_type\": \"vfio_ap-passthrough\", \"sta");
    apm_test_write_file(root, "etc/mdevctl.d/matrix/not-a-uuid", "{}");
    apm_test_write_file(root, "etc/shadow-test", "secret");
    g_assert_cmpint(symlink("../../shadow-test", link), ==, 0);
    defs = apm_store_list(root, &problems, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(defs->len, ==, 1); /* the good one is not hidden */
    g_assert_cmpuint(problems->len, ==, 2);
    g_assert_nonnull(strstr(g_ptr_array_index(problems, 0), U2));
    g_assert_nonnull(strstr(g_ptr_array_index(problems, 0), "not valid JSON"));
    g_assert_nonnull(strstr(g_ptr_array_index(problems, 1), U3));
    g_assert_nonnull(strstr(g_ptr_array_index(problems, 1), "symbolic link"));
    apm_test_tmpdir_free(root);
}

/* A writer killed at random points never leaves a half-written definition behind. */
static void
test_sigkill_leaves_no_torn_file(void)
{
    char *root = apm_test_tmpdir_new();

    for (int round = 0; round < 20; round++) {
        pid_t pid = fork();

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            for (guint i = 0;; i++) {
                g_autoptr(ApmMdevConfig) c = apm_mdev_config_new("vfio_ap-passthrough", i % 2);
                ApmUuid u;

                for (guint a = 0; a < 50 + i % 50; a++) {
                    g_autofree char *v = g_strdup_printf("%u", a);

                    apm_mdev_config_add_attr(c, "assign_domain", v);
                }
                apm_uuid_parse(i % 3 == 0 ? U1 : i % 3 == 1 ? U2 : U3, &u);
                apm_store_write(root, &u, c, NULL);
            }
        }
        g_usleep(g_random_int_range(2000, 20000));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        {
            g_autoptr(GError) error = NULL;
            g_autoptr(GPtrArray) problems = NULL;
            g_autoptr(GPtrArray) defs = apm_store_list(root, &problems, &error);

            g_assert_no_error(error);
            g_assert_nonnull(defs);
            if (problems->len)
                g_error("round %d: %s", round, (char *) g_ptr_array_index(problems, 0));
        }
    }
    apm_test_tmpdir_free(root);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/store/write-read-list-remove-in-mdevctl-layout", test_write_read_list_remove);
    g_test_add_func("/store/bad-neighbours-reported-by-name-not-hiding-others", test_bad_neighbours_reported_by_name);
    g_test_add_func("/store/sigkill-leaves-no-torn-file", test_sigkill_leaves_no_torn_file);
    return g_test_run();
}
