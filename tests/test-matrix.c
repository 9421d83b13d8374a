/* test-matrix.c: APQNs, matrices and the vfio_ap attribute text forms (spec/kernel-ap.md §1.6) */
#include "config.h"

#include <errno.h>

#include "apm-error.h"
#include "apm-matrix.h"
#include "apm-test.h"

static void
test_apqn_text(void)
{
    char buf[APM_APQN_TEXT_LEN + 1];
    g_autoptr(GError) error = NULL;
    ApmApqn apqn = { 5, 0x47 };

    g_assert_cmpstr(apm_apqn_format(apqn, buf), ==, "05.0047");
    apqn = (ApmApqn) { 0xff, 0xff };
    g_assert_cmpstr(apm_apqn_format(apqn, buf), ==, "ff.00ff");
    g_assert_true(apm_apqn_parse("0a.0047", &apqn, &error));
    g_assert_cmpuint(apqn.adapter, ==, 10);
    g_assert_cmpuint(apqn.domain, ==, 0x47);
    g_assert_true(apm_apqn_parse("5.AB", &apqn, &error));
    g_assert_cmpuint(apqn.adapter, ==, 5);
    g_assert_cmpuint(apqn.domain, ==, 0xab);
    g_assert_no_error(error);
    for (const char *const *bad = (const char *const[]) { "", "05", "05.", ".0047", "100.0001", "05.0100",
                                                          "05.00047", "x5.0001", "05,0047", NULL };
         *bad; bad++) {
        g_clear_error(&error);
        g_assert_false(apm_apqn_parse(*bad, &apqn, &error));
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
    }
}

static ApmMatrix
make_matrix(const char *adapters, const char *domains, const char *cdoms)
{
    ApmMatrix m;

    apm_matrix_clear(&m);
    if (adapters)
        g_assert_true(apm_mask_parse_list(adapters, 255, "adapter", &m.adapters, NULL));
    if (domains)
        g_assert_true(apm_mask_parse_list(domains, 255, "domain", &m.domains, NULL));
    if (cdoms)
        g_assert_true(apm_mask_parse_list(cdoms, 255, "control domain", &m.control_domains, NULL));
    return m;
}

static void
test_cross_product_order(void)
{
    ApmMatrix m = make_matrix("5,1", "0x47,2", NULL);
    GString *seen = g_string_new(NULL);
    ApmApqnIter iter;
    ApmApqn apqn;

    apm_apqn_iter_init(&iter, &m.adapters, &m.domains);
    while (apm_apqn_iter_next(&iter, &apqn))
        g_string_append_printf(seen, "%u.%u ", apqn.adapter, apqn.domain);
    g_assert_cmpstr(seen->str, ==, "1.2 1.71 5.2 5.71 ");
    g_assert_cmpuint(apm_matrix_apqn_count(&m), ==, 4);
    g_assert_true(apm_matrix_has_apqn(&m, (ApmApqn) { 5, 0x47 }));
    g_assert_false(apm_matrix_has_apqn(&m, (ApmApqn) { 5, 0x48 }));
    g_string_free(seen, TRUE);

    m = make_matrix("5", NULL, NULL);
    apm_apqn_iter_init(&iter, &m.adapters, &m.domains);
    g_assert_false(apm_apqn_iter_next(&iter, &apqn));
}

typedef struct {
    const char *name;
    const char *adapters, *domains;
    const char *text;
} MatrixTextCase;

static const MatrixTextCase matrix_text_cases[] = {
    { "apqns-adapter-major", "5,10", "0x47,0xab", "05.0047\n05.00ab\n0a.0047\n0a.00ab\n" },
    { "adapters-only", "5,255", NULL, "05.\nff.\n" },
    { "domains-only", NULL, "0x47", ".0047\n" },
    { "empty", NULL, NULL, "" },
};

static void
test_matrix_text_case(gconstpointer data)
{
    const MatrixTextCase *c = data;
    ApmMatrix m = make_matrix(c->adapters, c->domains, "1"), back;
    g_autofree char *text = apm_matrix_format_apqns(&m);
    g_autoptr(GError) error = NULL;

    g_assert_cmpstr(text, ==, c->text);
    g_assert_true(apm_matrix_parse_apqns(text, &back, &error));
    g_assert_no_error(error);
    g_assert_true(apm_mask_equal(&back.adapters, &m.adapters));
    g_assert_true(apm_mask_equal(&back.domains, &m.domains));
    g_assert_true(apm_mask_is_empty(&back.control_domains));
}

static void
test_matrix_text_refused(void)
{
    const char *bad[] = { "05.0047\nhello\n", "05-0047\n", "05.0047\n05.\n", "05.\n.0047\n", "100.0001\n",
                          "05.0100\n", ".\n", "05.00047\n" };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        ApmMatrix m;

        g_assert_false(apm_matrix_parse_apqns(bad[i], &m, &error));
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
    }
}

static void
test_control_domains_text(void)
{
    ApmMatrix m = make_matrix(NULL, NULL, "0xab,4");
    g_autofree char *text = apm_matrix_format_control_domains(&m.control_domains);
    g_autoptr(GError) error = NULL;
    ApmMask back;

    g_assert_cmpstr(text, ==, "0004\n00ab\n");
    g_assert_true(apm_matrix_parse_control_domains(text, &back, &error));
    g_assert_true(apm_mask_equal(&back, &m.control_domains));
    g_assert_false(apm_matrix_parse_control_domains("0004\nzz\n", &back, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
}

static void
test_ap_config_read_form(void)
{
    ApmMatrix m = make_matrix("0", "1", "255");
    g_autofree char *text = apm_matrix_format_ap_config(&m);

    g_assert_cmpstr(text, ==,
                    "0x8000000000000000000000000000000000000000000000000000000000000000,"
                    "0x4000000000000000000000000000000000000000000000000000000000000000,"
                    "0x0000000000000000000000000000000000000000000000000000000000000001\n");
}

typedef struct {
    const char *name;
    const char *input;
    int rc;
    const char *adapters, *domains, *cdoms; /* human lists */
} ApConfigCase;

static const ApConfigCase ap_config_cases[] = {
    { "three-fields", "0x8,0x4,0x2\n", 0, "0", "1", "2" },
    { "prefix-optional", "8,4,2", 0, "0", "1", "2" },
    { "newline-separated", "0x8\n0x4\n0x2\n", 0, "0", "1", "2" },
    { "empty-third-field-is-empty-mask", "0x8,0x4,", 0, "0", "1", "" },
    { "all-empty", ",,", 0, "", "", "" },
    { "text-after-third-field-ignored", "0x8,0x4,0x2,zzz", 0, "0", "1", "2" },
    { "missing-third-field-gives-einval", "0x8,0x4", -EINVAL, NULL, NULL, NULL },
    { "empty-input-gives-einval", "", -EINVAL, NULL, NULL, NULL },
    { "bad-digit-gives-einval", "0x8,0xg,0x2", -EINVAL, NULL, NULL, NULL },
    { "space-gives-einval", "0x8, 0x4,0x2", -EINVAL, NULL, NULL, NULL },
    { "65-digits-give-einval",
      "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0,0x1,0x1", -EINVAL, NULL, NULL, NULL },
};

static void
test_ap_config_case(gconstpointer data)
{
    const ApConfigCase *c = data;
    ApmMatrix m;
    int rc = apm_matrix_parse_ap_config(c->input, &m);

    g_assert_cmpstr(apm_test_errno_name(-rc), ==, apm_test_errno_name(-c->rc));
    if (rc == 0) {
        g_autofree char *a = apm_mask_format_list(&m.adapters, APM_LIST_DECIMAL);
        g_autofree char *d = apm_mask_format_list(&m.domains, APM_LIST_DECIMAL);
        g_autofree char *cd = apm_mask_format_list(&m.control_domains, APM_LIST_DECIMAL);

        g_assert_cmpstr(a, ==, c->adapters);
        g_assert_cmpstr(d, ==, c->domains);
        g_assert_cmpstr(cd, ==, c->cdoms);
    }
}

static void
test_ap_config_reads_at_most_201_bytes(void)
{
    /* Three full 66-character masks with two separators are 200 bytes, so the longest valid value always
     * fits in the 201 bytes the kernel looks at; what lies beyond them is never seen. */
    ApmMatrix full, m;
    g_autofree char *text = NULL, *longer = NULL;

    apm_matrix_clear(&full);
    apm_mask_set_all(&full.adapters);
    apm_mask_set_all(&full.domains);
    apm_mask_set_all(&full.control_domains);
    text = apm_matrix_format_ap_config(&full);
    g_assert_cmpuint(strlen(text), ==, 200 + 1);
    g_assert_cmpint(apm_matrix_parse_ap_config(text, &m), ==, 0);
    g_assert_true(apm_matrix_equal(&m, &full));
    /* garbage beyond the limit is cut off silently */
    longer = g_strconcat(text, "garbage", NULL);
    g_assert_cmpint(apm_matrix_parse_ap_config(longer, &m), ==, 0);
    g_assert_true(apm_matrix_equal(&m, &full));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/apqn/text-form", test_apqn_text);
    g_test_add_func("/matrix/cross-product-adapter-major", test_cross_product_order);
    for (guint i = 0; i < G_N_ELEMENTS(matrix_text_cases); i++) {
        g_autofree char *path = g_strdup_printf("/matrix/text/%s", matrix_text_cases[i].name);

        g_test_add_data_func(path, &matrix_text_cases[i], test_matrix_text_case);
    }
    g_test_add_func("/matrix/text/malformed-lines-refused", test_matrix_text_refused);
    g_test_add_func("/matrix/control-domains/text-form", test_control_domains_text);
    g_test_add_func("/matrix/ap-config/read-form", test_ap_config_read_form);
    for (guint i = 0; i < G_N_ELEMENTS(ap_config_cases); i++) {
        g_autofree char *path = g_strdup_printf("/matrix/ap-config/write/%s", ap_config_cases[i].name);

        g_test_add_data_func(path, &ap_config_cases[i], test_ap_config_case);
    }
    g_test_add_func("/matrix/ap-config/write/reads-at-most-201-bytes", test_ap_config_reads_at_most_201_bytes);
    return g_test_run();
}
