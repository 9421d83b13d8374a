/* test-json.c: apm-jsonio, json-glib as apmatrix uses it: what RFC 8259 (and mdevctl's reader) refuses is refused
 * with where and why, whatever json-glib would let through; what it takes reads as json-glib reads it; the text
 * written is json-glib's, with U+001F escaped; the member getters never raise a critical */
#include "config.h"

#include <string.h>

#include "apm-error.h"
#include "apm-jsonio.h"
#include "apm-test.h"

static void
test_written_as_json_glib_writes(void)
{
    /* printable text, quotes, backslashes, the named escapes, UTF-8 */
    const char *weird = "a\"b\\c/d\n\t\r\b\f\x01 é€ \xf0\x9f\x94\x91 <&>";

    for (int pretty = 0; pretty <= 1; pretty++) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *mine = NULL, *theirs = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "text");
        json_builder_add_string_value(b, weird);
        json_builder_set_member_name(b, "count");
        json_builder_add_int_value(b, -9007199254740993LL);
        json_builder_set_member_name(b, "mdev");
        json_builder_add_string_value(b, NULL);
        json_builder_set_member_name(b, "list");
        json_builder_begin_array(b);
        json_builder_add_boolean_value(b, TRUE);
        json_builder_end_array(b);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        mine = apm_json_write(root, pretty);
        theirs = json_to_string(root, pretty);
        g_assert_cmpstr(mine, ==, theirs);
    }
    {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autofree char *text = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, "vm1");
        json_builder_end_object(b);
        text = apm_json_builder_write(b, TRUE);
        g_assert_cmpstr(text, ==, "{\n  \"name\" : \"vm1\"\n}");
    }
}

static void
test_control_characters(void)
{
    g_autoptr(JsonNode) n = json_node_init_string(json_node_alloc(), "\x1f\x7f\x02 \x1f");
    g_autofree char *text = apm_json_write(n, FALSE);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) back = apm_json_parse(text, -1, &error);

    /* every control character escaped, U+001F too (json-glib writes that one as it is), so that any strict
     * reader takes the text */
    g_assert_cmpstr(text, ==, "\"\\u001f\\u007f\\u0002 \\u001f\"");
    g_assert_no_error(error);
    g_assert_cmpstr(json_node_get_string(back), ==, "\x1f\x7f\x02 \x1f");
}

/* JSON texts read as json-glib reads them: compared by writing both back */
static void
test_reads_what_json_glib_reads(void)
{
    const char *texts[] = {
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 1, \"minor\": 2, \"major\": 8}, \"package\": \"\"}, "
        "\"capabilities\": [\"oob\"]}}",
        "{\"return\": [{\"name\": \"hostdev0\", \"type\": \"child<vfio-ap>\"}], \"id\": 3}",
        "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 5}, \"event\": \"DEVICE_DELETED\", "
        "\"data\": {\"device\": \"hostdev0\", \"path\": \"/machine/peripheral/hostdev0\"}}",
        "  [ 1 , -0 , 0 , 123456789012 , true , false , null , \"\\u00e9\\ud83d\\udd11\\/\" , [ ] , { } ]  ",
        "\"plain\"",
        "{\"a\": 1, \"b\": 2, \"a\": 3}",
        "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'x' not found\"}, \"id\": 9}",
        "[9223372036854775807, -9223372036854775808, 1e3, -0.5, 1E+2]",
    };

    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) mine = apm_json_parse(texts[i], -1, &error);
        g_autoptr(JsonNode) theirs = json_from_string(texts[i], NULL);
        g_autofree char *mine_text = NULL, *theirs_text = NULL;

        g_assert_no_error(error);
        g_assert_nonnull(theirs);
        mine_text = apm_json_write(mine, TRUE);
        theirs_text = json_to_string(theirs, TRUE);
        g_assert_cmpstr(mine_text, ==, theirs_text);
    }
}

/* members of the kind asked for, else NULL or FALSE: never json-glib's critical (the tests run with
 * G_DEBUG=fatal-criticals) */
static void
test_members(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) n = apm_json_parse(
        "{\"id\": 7, \"s\": \"x\", \"o\": {\"k\": \"v\"}, \"a\": [{\"n\": 1}, 2], \"d\": 2.75, \"z\": null, "
        "\"s\": \"last\"}",
        -1, &error);
    JsonObject *o;
    JsonArray *a;
    gint64 v = -1;

    g_assert_no_error(error);
    o = json_node_get_object(n);
    g_assert_true(apm_json_member_int(o, "id", &v));
    g_assert_cmpint(v, ==, 7);
    g_assert_false(apm_json_member_int(o, "d", &v));
    g_assert_false(apm_json_member_int(o, "s", &v));
    g_assert_false(apm_json_member_int(o, "o", &v));
    g_assert_false(apm_json_member_int(o, "missing", &v));
    g_assert_cmpstr(apm_json_member_string(o, "s"), ==, "last");
    g_assert_null(apm_json_member_string(o, "id"));
    g_assert_null(apm_json_member_string(o, "o"));
    g_assert_null(apm_json_member_string(o, "z"));
    g_assert_cmpstr(apm_json_member_string(apm_json_member_object(o, "o"), "k"), ==, "v");
    g_assert_null(apm_json_member_object(o, "s"));
    g_assert_null(apm_json_member_object(o, "z"));
    g_assert_null(apm_json_member_object(NULL, "s"));
    g_assert_null(apm_json_member_array(o, "o"));
    a = apm_json_member_array(o, "a");
    g_assert_cmpuint(json_array_get_length(a), ==, 2);
    g_assert_nonnull(apm_json_element_object(a, 0));
    g_assert_null(apm_json_element_object(a, 1));
    g_assert_null(apm_json_element_object(a, 2));
    g_assert_null(apm_json_element_object(NULL, 0));
}

static void
test_refused(void)
{
    /* everything json-glib takes here is marked: it would have been read */
    const struct {
        const char *text, *why;
    } bad[] = {
        { "", "the text ends" },
        { "{", "the text ends" },
        { "{\"a\" 1}", "':' is expected" },
        { "{\"a\": 1,}", "" },
        { "[1,]", "" },
        { "[1 2]", "',' is expected" },
        { "{'a': 1}", "a value is expected" },          /* json-glib: single quotes */
        { "['a']", "a value is expected" },             /* json-glib */
        { "\"\\615\"", "is not an escape JSON knows" }, /* json-glib: an octal escape */
        { "\"\\x41\"", "is not an escape JSON knows" }, /* json-glib */
        { "\"\\a\"", "is not an escape JSON knows" },   /* json-glib */
        { "\"a\tb\"", "a control character" },          /* json-glib */
        { "\"\\ud800\"", "a high surrogate without a low one" },
        { "\"\\ud800\\u0041\"", "a high surrogate without a low one" },
        { "\"\\udc00\"", "a low surrogate without a high one" },
        { "\"\\u0000\"", "\\u0000" },
        { "\"\\u12\"", "four hexadecimal digits" },
        { "01", "a leading zero" },                     /* json-glib */
        { "[-01]", "a leading zero" },                  /* json-glib */
        { "[0x10]", "'x' right after a number" },       /* json-glib: hex */
        { "[1e5x]", "'x' right after a number" },
        { "1.", "a digit after its '.'" },              /* json-glib */
        { "[.5]", "a value is expected" },              /* json-glib */
        { "1e", "a digit in its exponent" },
        { "-", "a number needs a digit" },
        { "+1", "a value is expected" },
        { "tru", "a value is expected" },
        { "nul", "a value is expected" },
        { "NaN", "a value is expected" },
        { "/* c */ 1", "a value is expected" },         /* json-glib: comments */
        { "[1] // c", "text after the value" },
        { "1 2", "text after the value" },
        { "[1] [2]", "text after the value" },          /* json-glib: reads [1] */
        { "\"\xff\"", "not UTF-8" },
        { "\"abc", "the text ends inside a string" },
        { "[1, -0.5e311]", "beyond what a double holds" },
        { "[9223372036854775808]", "beyond 64 bits" },  /* json-glib: wraps to a negative number */
        { "   \n ", "the text ends" },                   /* json-glib: no value, no error */
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) n = apm_json_parse(bad[i].text, -1, &error);

        if (n)
            g_error("'%s' was taken", bad[i].text);
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
        if (!strstr(error->message, bad[i].why))
            g_error("'%s': '%s' does not say '%s'", bad[i].text, error->message, bad[i].why);
        if (!g_str_has_prefix(error->message, "JSON at line "))
            g_error("'%s': '%s' does not say where", bad[i].text, error->message);
    }
    /* a NUL byte inside the length */
    {
        g_autoptr(GError) error = NULL;

        g_assert_null(apm_json_parse("[1,\0 2]", 7, &error));
        g_assert_nonnull(strstr(error->message, "a NUL byte"));
    }
    /* where: line and column (in characters) of the trouble */
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) n = apm_json_parse("{\n  \"é\": tru\n}", -1, &error);

        g_assert_null(n);
        g_assert_true(g_str_has_prefix(error->message, "JSON at line 2, column 8:"));
    }
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) n = apm_json_parse("{\"a\": 1,\n \"b\" 2}", -1, &error);

        g_assert_null(n);
        g_assert_true(g_str_has_prefix(error->message, "JSON at line 2, column "));
    }
    /* deep nesting is refused, not recursed into */
    {
        g_autoptr(GString) deep = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) n = NULL;

        for (int i = 0; i < 100000; i++)
            g_string_append_c(deep, '[');
        n = apm_json_parse(deep->str, -1, &error);
        g_assert_null(n);
        g_assert_nonnull(strstr(error->message, "levels of nesting"));
    }
    /* the deepest nesting taken */
    {
        g_autoptr(GString) deep = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) n = NULL;

        for (int i = 0; i < APM_JSON_MAX_DEPTH; i++)
            g_string_append_c(deep, '[');
        for (int i = 0; i < APM_JSON_MAX_DEPTH; i++)
            g_string_append_c(deep, ']');
        n = apm_json_parse(deep->str, -1, &error);
        g_assert_no_error(error);
        g_assert_nonnull(n);
    }
}

static void
test_numbers(void)
{
    g_autoptr(JsonNode) n = apm_json_parse("[9223372036854775807, -9223372036854775808, 1e3, -0.5]", -1, NULL);
    JsonArray *a = json_node_get_array(n);

    g_assert_cmpint(json_node_get_value_type(json_array_get_element(a, 0)), ==, G_TYPE_INT64);
    g_assert_cmpint(json_node_get_int(json_array_get_element(a, 0)), ==, G_MAXINT64);
    g_assert_cmpint(json_node_get_int(json_array_get_element(a, 1)), ==, G_MININT64);
    g_assert_cmpint(json_node_get_value_type(json_array_get_element(a, 2)), ==, G_TYPE_DOUBLE);
    g_assert_cmpint(json_node_get_value_type(json_array_get_element(a, 3)), ==, G_TYPE_DOUBLE);
    /* json-glib writes a double with an exponent and no point as "-5e+50.0", which is not JSON; apm_json_write
     * drops the ".0" there and nowhere else (found by fuzz-json) */
    {
        g_autoptr(JsonNode) d = apm_json_parse("[-5e50, 2e22, 1.5e-300, 0.5, \"1e5.0\", true, false]", -1, NULL);
        g_autofree char *text = apm_json_write(d, FALSE);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) again = NULL;

        g_assert_cmpstr(text, ==, "[-5e+50,2e+22,1.5000000000000001e-300,0.5,\"1e5.0\",true,false]");
        again = apm_json_parse(text, -1, &error);
        g_assert_no_error(error);
    }
    /* what json-glib writes for a double reads back as a double (found by fuzz-json: -0e50) */
    {
        g_autoptr(JsonNode) d = apm_json_parse("[-0e50, 1e3, 2.5]", -1, NULL);
        g_autofree char *text = apm_json_write(d, FALSE);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) again = apm_json_parse(text, -1, &error);

        g_assert_no_error(error);
        g_assert_nonnull(again);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json/written-as-json-glib-writes", test_written_as_json_glib_writes);
    g_test_add_func("/json/control-characters-escaped", test_control_characters);
    g_test_add_func("/json/reads-what-json-glib-reads", test_reads_what_json_glib_reads);
    g_test_add_func("/json/members-never-critical", test_members);
    g_test_add_func("/json/refused-with-where-and-why", test_refused);
    g_test_add_func("/json/numbers", test_numbers);
    return g_test_run();
}
