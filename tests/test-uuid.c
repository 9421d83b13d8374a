/* test-uuid.c: UUIDs as mdevs are named */
#include "config.h"

#include "apm-error.h"
#include "apm-test.h"
#include "apm-uuid.h"

static void
test_parse(void)
{
    const char *good[] = { "8f5e2a3c-0b1d-4c6e-9a7f-2d4b6c8e0f13", "8F5E2A3C-0B1D-4C6E-9A7F-2D4B6C8E0F13",
                           "00000000-0000-0000-0000-000000000000" };
    const char *bad[] = { "", "8f5e2a3c-0b1d-4c6e-9a7f-2d4b6c8e0f1", "8f5e2a3c-0b1d-4c6e-9a7f-2d4b6c8e0f134",
                          "8f5e2a3c-0b1d-4c6e-9a7f-2d4b6c8e0f13\n", "8f5e2a3c0-b1d-4c6e-9a7f-2d4b6c8e0f13",
                          "8f5e2a3c-0b1d-4c6e-9a7f_2d4b6c8e0f13", "8f5e2a3g-0b1d-4c6e-9a7f-2d4b6c8e0f13",
                          "../../../../etc/passwd-0000000000000", "8f5e2a3c-0b1d-4c6e-9a7f-2d4b6c8e0f/3" };
    ApmUuid u;
    char buf[APM_UUID_TEXT_LEN + 1];

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autofree char *lower = g_ascii_strdown(good[i], -1);

        g_assert_true(apm_uuid_parse(good[i], &u));
        g_assert_cmpstr(apm_uuid_format(&u, buf), ==, lower);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;

        g_assert_false(apm_uuid_is_valid(bad[i]));
        g_assert_false(apm_uuid_parse_checked(bad[i], &u, &error));
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
    }
    g_assert_false(apm_uuid_is_valid(NULL));
}

static void
test_generate(void)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < 1000; i++) {
        ApmUuid u, back;
        char *text;

        apm_uuid_generate(&u);
        text = apm_uuid_to_string(&u);
        g_assert_cmpint(text[14], ==, '4');                         /* version 4 */
        g_assert_nonnull(strchr("89ab", text[19]));                 /* RFC 4122 variant */
        g_assert_true(apm_uuid_parse(text, &back));
        g_assert_true(apm_uuid_equal(&u, &back));
        g_assert_true(g_hash_table_add(seen, text));                 /* all different */
    }
    g_hash_table_unref(seen);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/uuid/parse-36-characters-either-case", test_parse);
    g_test_add_func("/uuid/generate-version-4-unique", test_generate);
    return g_test_run();
}
