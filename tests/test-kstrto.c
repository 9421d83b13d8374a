/* test-kstrto.c: kstrtoul() and simple_strtoul() as the kernel has them (spec/kernel-ap.md §1.6) */
#include "config.h"

#include <errno.h>

#include "apm-kstrto.h"
#include "apm-test.h"

typedef struct {
    const char *name;
    const char *input;
    int rc;         /* 0, -EINVAL or -ERANGE */
    guint64 value;
} KstrtoCase;

static const KstrtoCase kstrto_cases[] = {
    { "decimal", "5", 0, 5 },
    { "decimal-with-newline", "5\n", 0, 5 },
    { "hex-prefix", "0x47", 0, 0x47 },
    { "hex-prefix-uppercase-x", "0X47", 0, 0x47 },
    { "hex-uppercase-digits", "0xAB", 0, 0xab },
    { "leading-zero-is-octal", "047", 0, 39 },
    { "lone-zero", "0", 0, 0 },
    { "plus-sign-accepted", "+5", 0, 5 },
    { "u64-max", "18446744073709551615", 0, G_MAXUINT64 },
    { "u64-max-hex", "0xffffffffffffffff", 0, G_MAXUINT64 },
    { "over-u64-gives-erange", "18446744073709551616", -ERANGE, 0 },
    { "over-u64-hex-gives-erange", "0x10000000000000000", -ERANGE, 0 },
    { "overflow-before-garbage-gives-erange", "99999999999999999999x", -ERANGE, 0 },
    { "empty-gives-einval", "", -EINVAL, 0 },
    { "lone-newline-gives-einval", "\n", -EINVAL, 0 },
    { "two-newlines-give-einval", "5\n\n", -EINVAL, 0 },
    { "leading-space-gives-einval", " 5", -EINVAL, 0 },
    { "trailing-space-gives-einval", "5 ", -EINVAL, 0 },
    { "minus-gives-einval", "-5", -EINVAL, 0 },
    { "bare-0x-gives-einval", "0x", -EINVAL, 0 },
    { "0x-without-hex-digit-gives-einval", "0xg", -EINVAL, 0 },
    { "eight-in-octal-gives-einval", "08", -EINVAL, 0 },
    { "letters-give-einval", "abc", -EINVAL, 0 },
    { "hex-without-prefix-gives-einval", "ab", -EINVAL, 0 },
    { "two-plus-signs-give-einval", "++5", -EINVAL, 0 },
};

static void
test_kstrtoul_case(gconstpointer data)
{
    const KstrtoCase *c = data;
    guint64 value = 12345;
    int rc = apm_kstrtoul(c->input, 0, &value);

    g_assert_cmpstr(apm_test_errno_name(-rc), ==, apm_test_errno_name(-c->rc));
    if (rc == 0)
        g_assert_cmpuint(value, ==, c->value);
    else
        g_assert_cmpuint(value, ==, 12345); /* untouched on error */
}

static void
test_kstrtoul_fixed_base(void)
{
    guint64 value;

    g_assert_cmpint(apm_kstrtoul("ff", 16, &value), ==, 0);
    g_assert_cmpuint(value, ==, 255);
    g_assert_cmpint(apm_kstrtoul("0xff", 16, &value), ==, 0);
    g_assert_cmpuint(value, ==, 255);
    g_assert_cmpint(apm_kstrtoul("010", 10, &value), ==, 0);
    g_assert_cmpuint(value, ==, 10);
    g_assert_cmpint(apm_kstrtoul("0x10", 10, &value), ==, -EINVAL);
}

static void
test_simple_strtoul_stops_at_first_non_digit(void)
{
    const char *in = "12abc", *end;

    g_assert_cmpuint(apm_simple_strtoul(in, &end, 0), ==, 12);
    g_assert_true(end == in + 2);
    in = "0x1f,+3";
    g_assert_cmpuint(apm_simple_strtoul(in, &end, 0), ==, 0x1f);
    g_assert_cmpstr(end, ==, ",+3");
    in = "";
    g_assert_cmpuint(apm_simple_strtoul(in, &end, 0), ==, 0);
    g_assert_true(end == in);
    /* "0x" with no hex digit after it is octal zero followed by 'x' */
    in = "0x";
    g_assert_cmpuint(apm_simple_strtoul(in, &end, 0), ==, 0);
    g_assert_cmpstr(end, ==, "x");
    in = "017-";
    g_assert_cmpuint(apm_simple_strtoul(in, &end, 0), ==, 15);
    g_assert_cmpstr(end, ==, "-");
}

static void
test_simple_strtoul_wraps_on_overflow(void)
{
    const char *end;

    /* 2^64 + 5 wraps to 5, as the kernel's simple_strtoul does: the caller's range check catches it only if
     * the wrapped value is out of range. */
    g_assert_cmpuint(apm_simple_strtoul("18446744073709551621", &end, 10), ==, 5);
    g_assert_cmpstr(end, ==, "");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(kstrto_cases); i++) {
        g_autofree char *path = g_strdup_printf("/kstrto/kstrtoul/%s", kstrto_cases[i].name);

        g_test_add_data_func(path, &kstrto_cases[i], test_kstrtoul_case);
    }
    g_test_add_func("/kstrto/kstrtoul/fixed-base-16-and-10", test_kstrtoul_fixed_base);
    g_test_add_func("/kstrto/simple-strtoul/stops-at-first-non-digit", test_simple_strtoul_stops_at_first_non_digit);
    g_test_add_func("/kstrto/simple-strtoul/wraps-on-overflow", test_simple_strtoul_wraps_on_overflow);
    return g_test_run();
}
