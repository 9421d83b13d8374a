/* test-json.c: apm-json against json-glib as the reference (the text scripts saw before is the text they see now)
 * and against RFC 8259 (what a strict parser takes and refuses) */
#include "config.h"

#include <json-glib/json-glib.h>

#include "apm-error.h"
#include "apm-json.h"
#include "apm-test.h"

/* the same document built with both builders, written by both generators */
static void
build_both(ApmJsonBuilder *a, JsonBuilder *j, const char *weird)
{
#define BOTH(call, ...)                                                                                              \
    do {                                                                                                             \
        apm_json_builder_##call(a, ##__VA_ARGS__);                                                                   \
        json_builder_##call(j, ##__VA_ARGS__);                                                                       \
    } while (0)
    BOTH(begin_object);
    BOTH(set_member_name, "name");
    BOTH(add_string_value, "vm1");
    BOTH(set_member_name, "text");
    BOTH(add_string_value, weird);
    BOTH(set_member_name, "count");
    BOTH(add_int_value, -9007199254740993LL);
    BOTH(set_member_name, "running");
    BOTH(add_boolean_value, TRUE);
    BOTH(set_member_name, "mdev");
    BOTH(add_null_value);
    BOTH(set_member_name, "empty list");
    BOTH(begin_array);
    BOTH(end_array);
    BOTH(set_member_name, "empty object");
    BOTH(begin_object);
    BOTH(end_object);
    BOTH(set_member_name, "apqns");
    BOTH(begin_array);
    BOTH(add_string_value, "05.0047");
    BOTH(begin_object);
    BOTH(set_member_name, "adapter");
    BOTH(add_int_value, 5);
    BOTH(set_member_name, "nested");
    BOTH(begin_array);
    BOTH(add_boolean_value, FALSE);
    BOTH(end_array);
    BOTH(end_object);
    BOTH(begin_array);
    BOTH(end_array);
    BOTH(end_array);
    BOTH(end_object);
#undef BOTH
}

static char *
glib_text(JsonBuilder *j, gboolean pretty)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(j);

    json_generator_set_pretty(gen, pretty);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

static char *
apm_text(ApmJsonBuilder *a, gboolean pretty)
{
    g_autoptr(ApmJsonGenerator) gen = apm_json_generator_new();
    g_autoptr(ApmJsonNode) root = apm_json_builder_get_root(a);

    apm_json_generator_set_pretty(gen, pretty);
    apm_json_generator_set_root(gen, root);
    return apm_json_generator_to_data(gen, NULL);
}

static void
test_same_text_as_json_glib(void)
{
    /* printable text, quotes, backslashes, the named escapes, UTF-8 (json-glib writes 0x1f raw, a bug not
     * copied: see test_control_characters) */
    const char *weird = "a\"b\\c/d\n\t\r\b\f\x01 é€ \xf0\x9f\x94\x91 <&>";

    for (int pretty = 0; pretty <= 1; pretty++) {
        g_autoptr(ApmJsonBuilder) a = apm_json_builder_new();
        g_autoptr(JsonBuilder) j = json_builder_new();
        g_autofree char *mine = NULL, *theirs = NULL;

        build_both(a, j, weird);
        mine = apm_text(a, pretty);
        theirs = glib_text(j, pretty);
        g_assert_cmpstr(mine, ==, theirs);
    }
}

static void
test_control_characters(void)
{
    g_autoptr(ApmJsonNode) n = apm_json_node_new_string("\x1f\x7f\x02");
    g_autofree char *text = apm_json_to_string(n, FALSE);
    g_autoptr(ApmJsonNode) back = apm_json_from_string(text, NULL);

    /* every control character escaped, so that any strict reader takes the text */
    g_assert_cmpstr(text, ==, "\"\\u001f\\u007f\\u0002\"");
    g_assert_cmpstr(apm_json_node_get_string(back), ==, "\x1f\x7f\x02");
}

/* what json-glib reads from texts that are JSON, apm-json reads the same way: compared by writing both back */
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
    };

    for (guint i = 0; i < G_N_ELEMENTS(texts); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmJsonNode) mine = apm_json_from_string(texts[i], &error);
        g_autoptr(JsonNode) theirs = json_from_string(texts[i], NULL);
        g_autofree char *mine_text = NULL, *theirs_text = NULL;
        g_autoptr(JsonGenerator) gen = json_generator_new();

        g_assert_no_error(error);
        g_assert_nonnull(theirs);
        mine_text = apm_json_to_string(mine, TRUE);
        json_generator_set_pretty(gen, TRUE);
        json_generator_set_root(gen, theirs);
        theirs_text = json_generator_to_data(gen, NULL);
        g_assert_cmpstr(mine_text, ==, theirs_text);
    }
}

static void
test_accessors(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmJsonNode) n = apm_json_from_string(
        "{\"id\": 7, \"s\": \"x\", \"o\": {\"k\": \"v\"}, \"a\": [{\"n\": 1}, 2], \"d\": 2.75, \"s\": \"last\"}", &error);
    ApmJsonObject *o = apm_json_node_get_object(n);
    ApmJsonArray *a;
    GList *names;

    g_assert_no_error(error);
    g_assert_nonnull(o);
    g_assert_cmpint(apm_json_object_get_int_member(o, "id"), ==, 7);
    g_assert_cmpint(apm_json_object_get_int_member(o, "d"), ==, 2);
    g_assert_cmpint(apm_json_object_get_int_member(o, "missing"), ==, 0);
    g_assert_cmpstr(apm_json_object_get_string_member_with_default(o, "s", "?"), ==, "last");
    g_assert_cmpstr(apm_json_object_get_string_member_with_default(o, "id", "?"), ==, "?");
    g_assert_cmpstr(apm_json_object_get_string_member_with_default(apm_json_object_get_object_member(o, "o"), "k", NULL),
                    ==, "v");
    g_assert_null(apm_json_object_get_object_member(o, "s"));
    a = apm_json_node_get_array(apm_json_object_get_member(o, "a"));
    g_assert_cmpuint(apm_json_array_get_length(a), ==, 2);
    g_assert_nonnull(apm_json_array_get_object_element(a, 0));
    g_assert_null(apm_json_array_get_object_element(a, 1));
    g_assert_null(apm_json_array_get_element(a, 2));
    g_assert_true(APM_JSON_NODE_HOLDS_VALUE(apm_json_array_get_element(a, 1)));
    {
        g_autoptr(ApmJsonNode) null_node = apm_json_node_new(APM_JSON_NODE_NULL);

        g_assert_false(APM_JSON_NODE_HOLDS_VALUE(null_node));
        g_assert_true(APM_JSON_NODE_HOLDS_VALUE(apm_json_object_get_member(o, "d")));
    }
    names = apm_json_object_get_members(o);
    g_assert_cmpuint(g_list_length(names), ==, 5);
    g_assert_cmpstr(g_list_nth_data(names, 0), ==, "id");
    g_assert_cmpstr(g_list_nth_data(names, 1), ==, "s");
    g_list_free(names);
    /* a copy is the same node, and outlives the parser's */
    {
        ApmJsonNode *c = apm_json_node_copy(apm_json_object_get_member(o, "o"));

        g_clear_pointer(&n, apm_json_node_unref);
        g_assert_cmpstr(apm_json_object_get_string_member_with_default(c, "k", NULL), ==, "v");
        apm_json_node_unref(c);
    }
}

static void
test_refused(void)
{
    const struct {
        const char *text, *why;
    } bad[] = {
        { "", "the text ends" },
        { "{", "a member name in double quotes is expected" },
        { "{\"a\" 1}", "':' is expected" },
        { "{\"a\": 1,}", "a member name in double quotes is expected" },
        { "[1,]", "a value is expected" },
        { "[1 2]", "',' or ']' is expected" },
        { "{'a': 1}", "a member name in double quotes" },
        { "\"\\615\"", "is not an escape JSON knows" },
        { "\"a\tb\"", "a control character" },
        { "\"\\ud800\"", "a high surrogate without a low one" },
        { "\"\\udc00\"", "a low surrogate without a high one" },
        { "\"\\u0000\"", "\\u0000" },
        { "\"\\u12\"", "four hexadecimal digits" },
        { "01", "text after the value" },
        { "1.", "a digit after its '.'" },
        { "1e", "a digit in its exponent" },
        { "-", "a number needs a digit" },
        { "+1", "a value is expected" },
        { "tru", "a value is expected" },
        { "nul", "a value is expected" },
        { "NaN", "a value is expected" },
        { "/* c */ 1", "a value is expected" },
        { "1 2", "text after the value" },
        { "\"\xff\"", "not UTF-8" },
        { "\"abc", "the text ends inside a string" },
        { "[1, -0.5e311]", "beyond what a double holds" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmJsonNode) n = apm_json_from_string(bad[i].text, &error);

        g_assert_null(n);
        g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
        if (!strstr(error->message, bad[i].why))
            g_error("'%s': '%s' does not say '%s'", bad[i].text, error->message, bad[i].why);
        g_assert_true(g_str_has_prefix(error->message, "JSON at line 1, column "));
    }
    /* where: line and column (in characters) of the trouble */
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmJsonNode) n = apm_json_from_string("{\n  \"é\": tru\n}", &error);

        g_assert_null(n);
        g_assert_true(g_str_has_prefix(error->message, "JSON at line 2, column 8:"));
    }
    /* deep nesting is refused, not recursed into */
    {
        g_autoptr(GString) deep = g_string_new(NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(ApmJsonNode) n = NULL;

        for (int i = 0; i < 100000; i++)
            g_string_append_c(deep, '[');
        n = apm_json_from_string(deep->str, &error);
        g_assert_null(n);
        g_assert_nonnull(strstr(error->message, "levels of nesting"));
    }
}

static void
test_numbers(void)
{
    g_autoptr(ApmJsonNode) n = apm_json_from_string("[9223372036854775807, -9223372036854775808, "
                                                    "9223372036854775808, 1e3, -0.5]", NULL);
    ApmJsonArray *a = apm_json_node_get_array(n);

    g_assert_cmpint(apm_json_node_get_kind(apm_json_array_get_element(a, 0)), ==, APM_JSON_NODE_INT);
    g_assert_cmpint(apm_json_node_get_int(apm_json_array_get_element(a, 0)), ==, G_MAXINT64);
    g_assert_cmpint(apm_json_node_get_int(apm_json_array_get_element(a, 1)), ==, G_MININT64);
    /* beyond 64 bits: a double, as json-glib has it */
    g_assert_cmpint(apm_json_node_get_kind(apm_json_array_get_element(a, 2)), ==, APM_JSON_NODE_DOUBLE);
    g_assert_cmpint(apm_json_node_get_int(apm_json_array_get_element(a, 3)), ==, 1000);
    g_assert_cmpint(apm_json_node_get_kind(apm_json_array_get_element(a, 4)), ==, APM_JSON_NODE_DOUBLE);
    /* a double is written so that it reads back as a double (found by fuzz-json: -0e50) */
    {
        g_autoptr(ApmJsonNode) d = apm_json_from_string("[-0e50, 1e3, 2.5]", NULL);
        g_autofree char *text = apm_json_to_string(d, FALSE);

        g_assert_cmpstr(text, ==, "[-0.0,1000.0,2.5]");
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json/same-text-as-json-glib", test_same_text_as_json_glib);
    g_test_add_func("/json/control-characters-escaped", test_control_characters);
    g_test_add_func("/json/reads-what-json-glib-reads", test_reads_what_json_glib_reads);
    g_test_add_func("/json/accessors", test_accessors);
    g_test_add_func("/json/refused-with-where-and-why", test_refused);
    g_test_add_func("/json/numbers", test_numbers);
    return g_test_run();
}
