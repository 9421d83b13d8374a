/* test-mask.c: 256-bit masks and the kernel's apmask/aqmask text forms (spec/kernel-ap.md §1.1-§1.2) */
#include "config.h"

#include <errno.h>

#include "apm-error.h"
#include "apm-mask.h"
#include "apm-test.h"

/* IDs as a human list, for readable expectations. */
static char *
ids(const ApmMask *mask)
{
    return apm_mask_format_list(mask, APM_LIST_DECIMAL);
}

static void
test_bits_and_hex_form(void)
{
    ApmMask m;
    char buf[APM_MASK_HEX_LEN + 1];

    apm_mask_clear_all(&m);
    g_assert_true(apm_mask_is_empty(&m));
    g_assert_cmpstr(apm_mask_format_hex(&m, buf), ==,
                    "0x0000000000000000000000000000000000000000000000000000000000000000");
    apm_mask_set(&m, 0);
    g_assert_cmpstr(apm_mask_format_hex(&m, buf), ==,
                    "0x8000000000000000000000000000000000000000000000000000000000000000");
    apm_mask_clear(&m, 0);
    apm_mask_set(&m, 255);
    g_assert_cmpstr(apm_mask_format_hex(&m, buf), ==,
                    "0x0000000000000000000000000000000000000000000000000000000000000001");
    apm_mask_set(&m, 1);
    apm_mask_set(&m, 7);
    apm_mask_set(&m, 64);
    g_assert_cmpstr(apm_mask_format_hex(&m, buf), ==,
                    "0x4100000000000000800000000000000000000000000000000000000000000001");
    g_assert_cmpuint(apm_mask_count(&m), ==, 4);
    g_assert_true(apm_mask_test(&m, 64));
    g_assert_false(apm_mask_test(&m, 63));
    g_assert_false(apm_mask_test(&m, 256));
    apm_mask_set_all(&m);
    g_assert_true(apm_mask_is_full(&m));
    g_assert_cmpuint(apm_mask_count(&m), ==, 256);
}

static void
test_iteration(void)
{
    ApmMask m;
    GString *seen = g_string_new(NULL);

    apm_mask_clear_all(&m);
    g_assert_cmpint(apm_mask_next(&m, 0), ==, -1);
    g_assert_cmpint(apm_mask_last(&m), ==, -1);
    apm_mask_set(&m, 3);
    apm_mask_set(&m, 63);
    apm_mask_set(&m, 64);
    apm_mask_set(&m, 200);
    apm_mask_set(&m, 255);
    APM_MASK_FOREACH(id, &m)
        g_string_append_printf(seen, "%d ", id);
    g_assert_cmpstr(seen->str, ==, "3 63 64 200 255 ");
    g_assert_cmpint(apm_mask_next(&m, 4), ==, 63);
    g_assert_cmpint(apm_mask_next(&m, 201), ==, 255);
    g_assert_cmpint(apm_mask_last(&m), ==, 255);
    g_string_free(seen, TRUE);
}

static void
test_set_operations(void)
{
    ApmMask a, b, out;
    g_autofree char *and_ = NULL, *or_ = NULL, *andnot = NULL;

    apm_mask_clear_all(&a);
    apm_mask_clear_all(&b);
    apm_mask_set_range(&a, 1, 5);
    apm_mask_set_range(&b, 4, 9);
    apm_mask_and(&out, &a, &b);
    and_ = ids(&out);
    apm_mask_or(&out, &a, &b);
    or_ = ids(&out);
    apm_mask_andnot(&out, &a, &b);
    andnot = ids(&out);
    g_assert_cmpstr(and_, ==, "4,5");
    g_assert_cmpstr(or_, ==, "1-9");
    g_assert_cmpstr(andnot, ==, "1-3");
    g_assert_true(apm_mask_intersects(&a, &b));
    g_assert_false(apm_mask_is_subset(&a, &b));
    apm_mask_and(&out, &a, &b);
    g_assert_true(apm_mask_is_subset(&out, &a));
    g_assert_false(apm_mask_equal(&a, &b));
    out = a;
    g_assert_true(apm_mask_equal(&out, &a));
    /* aliasing the output with an input */
    apm_mask_andnot(&a, &a, &b);
    g_assert_cmpuint(apm_mask_count(&a), ==, 3);
}

/* The absolute and relative write forms, each case with the IDs it gives (starting from a current mask of
 * IDs 0-3) or the errno the kernel answers with. */
typedef struct {
    const char *name;
    const char *input;
    int rc;
    const char *result; /* human list of IDs, "" for none */
} KernelMaskCase;

static const KernelMaskCase kernel_cases[] = {
    /* absolute form: hex2bitmap() */
    { "absolute/short-string-is-padded-on-the-right", "0x41", 0, "1,7" },
    { "absolute/prefix-is-optional", "41", 0, "1,7" },
    { "absolute/lone-x-prefix", "x41", 0, "1,7" },
    { "absolute/one-trailing-newline", "0x41\n", 0, "1,7" },
    { "absolute/uppercase-digits", "0xC0", 0, "0,1" },
    { "absolute/empty-write-clears-everything", "", 0, "" },
    { "absolute/lone-newline-clears-everything", "\n", 0, "" },
    { "absolute/bare-0x-clears-everything", "0x", 0, "" },
    { "absolute/64-digits", "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 0, "0-255" },
    { "absolute/65-digits-give-einval",
      "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0", -EINVAL, NULL },
    { "absolute/uppercase-0X-gives-einval", "0X41", -EINVAL, NULL },
    { "absolute/two-newlines-give-einval", "0x41\n\n", -EINVAL, NULL },
    { "absolute/space-gives-einval", "0x41 ", -EINVAL, NULL },
    { "absolute/non-hex-gives-einval", "0x4g", -EINVAL, NULL },
    { "absolute/list-syntax-gives-einval", "5,6", -EINVAL, NULL },
    /* relative form: modify_bitmap() */
    { "relative/documented-example", "+0,-6,+0x47,-0xf0", 0, "0-3,71" },
    { "relative/documented-example-2", "-5,-6", 0, "0-3" },
    { "relative/clear-one", "-2", 0, "0,1,3" },
    { "relative/range", "+4-7", 0, "0-7" },
    { "relative/hex-range", "+0x10-0x12", 0, "0-3,16-18" },
    { "relative/octal-number", "+010", 0, "0-3,8" },
    { "relative/last-term-wins", "+5,-5", 0, "0-3" },
    { "relative/newline-separator", "+5\n+6", 0, "0-3,5,6" },
    { "relative/runs-of-separators", "+5,,\n,+6\n", 0, "0-3,5,6" },
    { "relative/highest-id", "+255", 0, "0-3,255" },
    { "relative/clear-range", "-0-3", 0, "" },
    { "relative/id-256-gives-einval", "+256", -EINVAL, NULL },
    { "relative/hex-256-gives-einval", "+0x100", -EINVAL, NULL },
    { "relative/backwards-range-gives-einval", "+7-4", -EINVAL, NULL },
    { "relative/range-end-256-gives-einval", "+250-256", -EINVAL, NULL },
    { "relative/sign-without-number-gives-einval", "+", -EINVAL, NULL },
    { "relative/dangling-range-gives-einval", "+5-", -EINVAL, NULL },
    { "relative/space-gives-einval", "+5, +6", -EINVAL, NULL },
    { "relative/missing-sign-gives-einval", "+5,6", -EINVAL, NULL },
    { "relative/semicolon-gives-einval", "+5;+6", -EINVAL, NULL },
    { "relative/double-sign-gives-einval", "+-5", -EINVAL, NULL },
    { "relative/error-after-good-terms-changes-nothing", "+9,+300", -EINVAL, NULL },
};

static void
test_kernel_case(gconstpointer data)
{
    const KernelMaskCase *c = data;
    ApmMask current, out;
    int rc;

    apm_mask_clear_all(&current);
    apm_mask_set_range(&current, 0, 3);
    apm_mask_clear_all(&out);
    apm_mask_set(&out, 200); /* sentinel: must survive a refused write */
    rc = apm_mask_parse_kernel(c->input, &current, &out);
    g_assert_cmpstr(apm_test_errno_name(-rc), ==, apm_test_errno_name(-c->rc));
    if (rc == 0) {
        g_autofree char *got = ids(&out);

        g_assert_cmpstr(got, ==, c->result);
    } else {
        g_assert_cmpuint(apm_mask_count(&out), ==, 1);
        g_assert_true(apm_mask_test(&out, 200));
    }
}

static void
test_hex_round_trip(void)
{
    for (guint seed = 0; seed < 64; seed++) {
        ApmMask m, back;
        g_autofree char *hex = NULL;

        apm_mask_clear_all(&m);
        for (guint i = 0; i < 256; i++)
            if (g_test_rand_int_range(0, 4) == 0)
                apm_mask_set(&m, i);
        hex = apm_mask_to_hex(&m);
        g_assert_cmpuint(strlen(hex), ==, APM_MASK_HEX_LEN);
        g_assert_cmpint(apm_mask_parse_hex(hex, &back), ==, 0);
        g_assert_true(apm_mask_equal(&m, &back));
    }
}

typedef struct {
    const char *name;
    const char *input;
    guint max_id;
    const char *decimal; /* NULL: refused */
    const char *hex;
} ListCase;

static const ListCase list_cases[] = {
    { "mixed-bases-and-range", "5,0x47,10-12", 255, "5,10-12,71", "0x05,0x0a-0x0c,0x47" },
    { "two-neighbours-are-not-a-range", "1,2", 255, "1,2", "0x01,0x02" },
    { "spaces-around-terms", " 3 , 4 - 6 ", 255, "3-6", "0x03-0x06" },
    { "octal", "010", 255, "8", "0x08" },
    { "whole-range", "0-255", 255, "0-255", "0x00-0xff" },
    { "duplicates-merge", "4,4,3-5", 15, "3-5", "0x03-0x05" },
    { "empty-refused", "", 255, NULL, NULL },
    { "blank-refused", "  ", 255, NULL, NULL },
    { "empty-term-refused", "5,,6", 255, NULL, NULL },
    { "over-max-refused", "16", 15, NULL, NULL },
    { "over-256-refused", "256", 255, NULL, NULL },
    { "backwards-range-refused", "12-10", 255, NULL, NULL },
    { "negative-refused", "-5", 255, NULL, NULL },
    { "dangling-range-refused", "5-", 255, NULL, NULL },
    { "garbage-refused", "abc", 255, NULL, NULL },
    { "plus-refused", "+5", 255, NULL, NULL },
};

static void
test_list_case(gconstpointer data)
{
    const ListCase *c = data;
    g_autoptr(GError) error = NULL;
    ApmMask m;
    gboolean ok = apm_mask_parse_list(c->input, c->max_id, "domain", &m, &error);

    if (!c->decimal) {
        g_assert_false(ok);
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "domain"));
        return;
    }
    g_assert_no_error(error);
    g_assert_true(ok);
    {
        g_autofree char *dec = apm_mask_format_list(&m, APM_LIST_DECIMAL);
        g_autofree char *hex = apm_mask_format_list(&m, APM_LIST_HEX);
        ApmMask back;

        g_assert_cmpstr(dec, ==, c->decimal);
        g_assert_cmpstr(hex, ==, c->hex);
        /* both printed forms parse back to the same mask */
        g_assert_true(apm_mask_parse_list(dec, 255, "domain", &back, NULL));
        g_assert_true(apm_mask_equal(&m, &back));
        g_assert_true(apm_mask_parse_list(hex, 255, "domain", &back, NULL));
        g_assert_true(apm_mask_equal(&m, &back));
    }
}

static void
test_list_error_names_the_value(void)
{
    g_autoptr(GError) error = NULL;
    ApmMask m;

    g_assert_false(apm_mask_parse_list("3,0x40", 63, "adapter", &m, &error));
    g_assert_nonnull(strstr(error->message, "0x40"));
    g_assert_nonnull(strstr(error->message, "63"));
}

/* The relative form apmatrix writes is read back by the kernel's own parser to the change it stands for */
static void
test_relative_round_trip(void)
{
    ApmMask ids, current, out, expected;
    g_autofree char *plus = NULL, *none = NULL, *minus = NULL;

    apm_mask_clear_all(&ids);
    apm_mask_set(&ids, 5);
    apm_mask_set(&ids, 0x47);
    apm_mask_set(&ids, 255);
    plus = apm_mask_format_relative(&ids, '+');
    g_assert_cmpstr(plus, ==, "+0x05,+0x47,+0xff");
    apm_mask_clear_all(&current);
    g_assert_cmpint(apm_mask_parse_kernel(plus, &current, &out), ==, 0);
    g_assert_true(apm_mask_equal(&out, &ids));
    minus = apm_mask_format_relative(&ids, '-');
    apm_mask_set_all(&current);
    g_assert_cmpint(apm_mask_parse_kernel(minus, &current, &out), ==, 0);
    apm_mask_set_all(&expected);
    apm_mask_andnot(&expected, &expected, &ids);
    g_assert_true(apm_mask_equal(&out, &expected));
    apm_mask_clear_all(&ids);
    none = apm_mask_format_relative(&ids, '+');
    g_assert_cmpstr(none, ==, "");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mask/bits-and-hex-form-id0-leftmost", test_bits_and_hex_form);
    g_test_add_func("/mask/iteration-ascending", test_iteration);
    g_test_add_func("/mask/and-or-andnot-subset", test_set_operations);
    g_test_add_func("/mask/hex-round-trip", test_hex_round_trip);
    g_test_add_func("/mask/relative-form-round-trip", test_relative_round_trip);
    for (guint i = 0; i < G_N_ELEMENTS(kernel_cases); i++) {
        g_autofree char *path = g_strdup_printf("/mask/kernel-write/%s", kernel_cases[i].name);

        g_test_add_data_func(path, &kernel_cases[i], test_kernel_case);
    }
    for (guint i = 0; i < G_N_ELEMENTS(list_cases); i++) {
        g_autofree char *path = g_strdup_printf("/mask/list/%s", list_cases[i].name);

        g_test_add_data_func(path, &list_cases[i], test_list_case);
    }
    g_test_add_func("/mask/list/error-names-the-value-and-limit", test_list_error_names_the_value);
    return g_test_run();
}
