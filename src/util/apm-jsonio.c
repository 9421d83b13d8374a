/* apm-jsonio.c: JSON through json-glib, checked first against RFC 8259's tokens */
#include "config.h"
#include "apm-jsonio.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "apm-error.h"
#include "apm-i18n.h"

/* ---- the check ------------------------------------------------------------------------------------------- */

typedef struct {
    const char *text, *p, *end;
    GError **error;
} Scan;

/* Line and column (in characters, both from 1) of at */
static void
position(const char *text, const char *at, guint *line, guint *column)
{
    const char *line_start = text;

    *line = 1;
    for (const char *q = text; q < at; q++)
        if (*q == '\n') {
            (*line)++;
            line_start = q + 1;
        }
    *column = 1;
    for (const char *q = line_start; q < at; q++)
        if (((guchar) *q & 0xc0) != 0x80) /* count the first byte of each UTF-8 sequence */
            (*column)++;
}

static gboolean G_GNUC_PRINTF(3, 4)
fail(Scan *s, const char *at, const char *format, ...)
{
    g_autofree char *why = NULL;
    guint line, column;
    va_list ap;

    va_start(ap, format);
    why = g_strdup_vprintf(format, ap);
    va_end(ap);
    position(s->text, at, &line, &column);
    g_set_error(s->error, APM_ERROR, APM_ERROR_INVALID, _("JSON at line %u, column %u: %s"), line, column, why);
    return FALSE;
}

static int
hex4(const char *p, const char *end)
{
    int value = 0;

    if (end - p < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        int d = g_ascii_xdigit_value(p[i]);

        if (d < 0)
            return -1;
        value = value * 16 + d;
    }
    return value;
}

static gboolean
scan_string(Scan *s)
{
    const char *start = s->p++;

    while (s->p < s->end && *s->p != '"') {
        const char *at = s->p;
        int u;

        if ((guchar) *at < 0x20)
            return fail(s, at, "%s", _("a control character in a string (write it as an escape)"));
        if (*at != '\\') {
            s->p++;
            continue;
        }
        if (at + 1 >= s->end)
            break;
        switch (at[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            s->p += 2;
            continue;
        case 'u':
            break;
        default:
            return fail(s, at, _("'\\%c' is not an escape JSON knows"), at[1]);
        }
        if ((u = hex4(at + 2, s->end)) < 0)
            return fail(s, at, "%s", _("\\u is not followed by four hexadecimal digits"));
        if (u == 0)
            return fail(s, at, "%s", _("\\u0000 in a string"));
        if (u >= 0xdc00 && u <= 0xdfff)
            return fail(s, at, "%s", _("a low surrogate without a high one before it"));
        s->p = at + 6;
        if (u >= 0xd800 && u <= 0xdbff) {
            int low = s->end - s->p >= 2 && s->p[0] == '\\' && s->p[1] == 'u' ? hex4(s->p + 2, s->end) : -1;

            if (low < 0xdc00 || low > 0xdfff)
                return fail(s, at, "%s", _("a high surrogate without a low one after it"));
            s->p += 6;
        }
    }
    if (s->p >= s->end)
        return fail(s, start, "%s", _("the text ends inside a string"));
    s->p++;
    return TRUE;
}

static gboolean
scan_number(Scan *s)
{
    const char *start = s->p;
    gboolean whole = TRUE;
    g_autofree char *copy = NULL;

    if (*s->p == '-')
        s->p++;
    if (s->p >= s->end || !g_ascii_isdigit(*s->p))
        return fail(s, s->p, "%s", _("a number needs a digit here"));
    if (*s->p == '0')
        s->p++;
    else
        while (s->p < s->end && g_ascii_isdigit(*s->p))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        whole = FALSE;
        if (++s->p >= s->end || !g_ascii_isdigit(*s->p))
            return fail(s, s->p, "%s", _("a number needs a digit after its '.'"));
        while (s->p < s->end && g_ascii_isdigit(*s->p))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        whole = FALSE;
        if (++s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (s->p >= s->end || !g_ascii_isdigit(*s->p))
            return fail(s, s->p, "%s", _("a number needs a digit in its exponent"));
        while (s->p < s->end && g_ascii_isdigit(*s->p))
            s->p++;
    }
    /* json-glib reads on into "01", "0x10" and "1e5x" */
    if (s->p < s->end && g_ascii_isdigit(*s->p))
        return fail(s, start, "%s", _("a number with a leading zero"));
    if (s->p < s->end && (g_ascii_isalpha(*s->p) || *s->p == '.'))
        return fail(s, s->p, _("'%c' right after a number"), *s->p);
    /* json-glib would wrap a whole number beyond 64 bits and take an overflowing double as infinity */
    copy = g_strndup(start, (gsize) (s->p - start));
    errno = 0;
    if (whole) {
        g_ascii_strtoll(copy, NULL, 10);
        if (errno == ERANGE)
            return fail(s, start, "%s", _("a whole number beyond 64 bits"));
    } else if (isinf(g_ascii_strtod(copy, NULL))) {
        return fail(s, start, "%s", _("a number beyond what a double holds"));
    }
    return TRUE;
}

gboolean
apm_json_check(const char *text, gssize length, GError **error)
{
    Scan s = { text, text, text + (length < 0 ? strlen(text) : (gsize) length), error };
    const char *bad;
    guint depth = 0;
    gboolean done = FALSE; /* the value is complete: only white space may follow */

    if (!g_utf8_validate_len(text, (gsize) (s.end - text), &bad))
        return fail(&s, bad, "%s", *bad == '\0' ? _("the text holds a NUL byte") : _("the text is not UTF-8"));
    while (s.p < s.end) {
        const char c = *s.p;

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            s.p++;
            continue;
        }
        if (done)
            return fail(&s, s.p, "%s", _("text after the value"));
        if (c == '{' || c == '[') {
            if (++depth > APM_JSON_MAX_DEPTH)
                return fail(&s, s.p, _("more than %u levels of nesting"), APM_JSON_MAX_DEPTH);
            s.p++;
        } else if (c == '}' || c == ']') {
            /* a bracket that does not match is json-glib's to find */
            if (depth > 0 && --depth == 0)
                done = TRUE;
            s.p++;
        } else if ((c == ',' || c == ':') && depth > 0) {
            s.p++;
        } else if (c == '"') {
            if (!scan_string(&s))
                return FALSE;
            done = depth == 0;
        } else if (c == '-' || g_ascii_isdigit(c)) {
            if (!scan_number(&s))
                return FALSE;
            done = depth == 0;
        } else {
            static const char *const words[] = { "true", "false", "null" };
            const char *start = s.p;
            gboolean known = FALSE;

            while (s.p < s.end && g_ascii_isalnum(*s.p))
                s.p++;
            for (guint k = 0; k < G_N_ELEMENTS(words) && !known; k++)
                known = (gsize) (s.p - start) == strlen(words[k]) && !memcmp(start, words[k], strlen(words[k]));
            if (!known)
                return fail(&s, start, "%s",
                            _("a value is expected (an object, array, string, number, true, false or null)"));
            done = depth == 0;
        }
    }
    if (!done)
        return fail(&s, s.end, "%s", _("a value is expected, the text ends"));
    return TRUE;
}

/* ---- json-glib's classes ---------------------------------------------------------------------------------- */

/* One of each, made and dropped: the classes are registered and initialized from then on */
static void
init_classes(void)
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonBuilder) builder = json_builder_new_immutable();
    g_autoptr(JsonNode) node = NULL;

    json_builder_begin_array(builder);
    json_builder_end_array(builder);
    node = json_builder_get_root(builder);
    json_generator_set_root(gen, node);
    g_free(json_generator_to_data(gen, NULL));
    json_parser_load_from_data(parser, "[]", -1, NULL);
}

/* ---- parsing --------------------------------------------------------------------------------------------- */

typedef struct {
    guint line, column;
    gboolean seen;
} Where;

static void
on_parse_error(JsonParser *parser, gpointer error, gpointer data)
{
    Where *where = data;

    (void) error;
    where->line = json_parser_get_current_line(parser);
    where->column = json_parser_get_current_pos(parser);
    where->seen = TRUE;
}

/* json-glib's reason in apmatrix's words; its own sentence, without its "<data>:L:C: Parse error: " prefix, where
 * the code alone does not say enough */
static char *
parse_reason(const GError *error)
{
    const char *detail = error->message;
    const char *cut = strstr(detail, "error: ");

    if (error->domain == JSON_PARSER_ERROR) {
        switch (error->code) {
        case JSON_PARSER_ERROR_TRAILING_COMMA:
            return g_strdup(_("a value is expected after ','"));
        case JSON_PARSER_ERROR_MISSING_COMMA:
            return g_strdup(_("',' is expected between two values"));
        case JSON_PARSER_ERROR_MISSING_COLON:
            return g_strdup(_("':' is expected after a member name"));
        case JSON_PARSER_ERROR_INVALID_BAREWORD:
            return g_strdup(_("a value is expected (an object, array, string, number, true, false or null)"));
        case JSON_PARSER_ERROR_EMPTY_MEMBER_NAME:
            return g_strdup(_("a member name may not be empty"));
        default:
            break;
        }
    }
    return g_strdup_printf(_("the brackets, ',' and ':' are not where JSON has them (%s)"), cut ? cut + 7 : detail);
}

JsonNode *
apm_json_parse(const char *text, gssize length, GError **error)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) local = NULL;
    Where where = { 0 };

    if (!apm_json_check(text, length, error))
        return NULL;
    apm_json_init();
    parser = json_parser_new_immutable();
    g_signal_connect(parser, "error", G_CALLBACK(on_parse_error), &where);
    if (!json_parser_load_from_data(parser, text, length, &local)) {
        g_autofree char *why = parse_reason(local);

        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("JSON at line %u, column %u: %s"),
                    where.seen ? where.line : 1, where.seen ? where.column : 1, why);
        return NULL;
    }
    return json_parser_steal_root(parser);
}

/* ---- writing --------------------------------------------------------------------------------------------- */

void
apm_json_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, init_classes);
}

/* json-glib 1.6's generator has two faults: it writes U+001F in a string as it is, and a double whose shortest
 * form has an exponent but no point gets ".0" after the exponent ("5e+50.0", found by fuzz-json). Its text is
 * otherwise JSON: strings in double quotes with backslash escapes, and outside them an 'e' only in a number's
 * exponent or in true and false (which no '.' follows). */
static char *
repair(const char *text)
{
    GString *out = g_string_sized_new(strlen(text) + 16);
    gboolean in_string = FALSE;

    for (const char *p = text; *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1]) {
                g_string_append_c(out, *p++);
                g_string_append_c(out, *p);
            } else if (*p == 0x1f) {
                g_string_append(out, "\\u001f");
            } else {
                in_string = *p != '"';
                g_string_append_c(out, *p);
            }
        } else if (*p == 'e' || *p == 'E') {
            const char *q = p + 1;

            g_string_append_c(out, *p);
            if (*q == '+' || *q == '-')
                g_string_append_c(out, *q++);
            while (g_ascii_isdigit(*q))
                g_string_append_c(out, *q++);
            if (q > p + 1 && q[0] == '.' && q[1] == '0' && !g_ascii_isdigit(q[2]))
                q += 2;
            p = q - 1;
        } else {
            in_string = *p == '"';
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

char *
apm_json_write(JsonNode *node, gboolean pretty)
{
    g_autoptr(JsonGenerator) gen = NULL;
    g_autofree char *text = NULL;

    apm_json_init();
    gen = json_generator_new();
    json_generator_set_pretty(gen, pretty);
    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    return repair(text);
}

char *
apm_json_builder_write(JsonBuilder *builder, gboolean pretty)
{
    g_autoptr(JsonNode) root = json_builder_get_root(builder);

    return apm_json_write(root, pretty);
}

/* ---- members --------------------------------------------------------------------------------------------- */

static JsonNode *
member(JsonObject *object, const char *name)
{
    return object && json_object_has_member(object, name) ? json_object_get_member(object, name) : NULL;
}

JsonObject *
apm_json_member_object(JsonObject *object, const char *name)
{
    JsonNode *n = member(object, name);

    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

JsonArray *
apm_json_member_array(JsonObject *object, const char *name)
{
    JsonNode *n = member(object, name);

    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

const char *
apm_json_member_string(JsonObject *object, const char *name)
{
    JsonNode *n = member(object, name);

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
                                                                                          : NULL;
}

gboolean
apm_json_member_int(JsonObject *object, const char *name, gint64 *value)
{
    JsonNode *n = member(object, name);

    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return FALSE;
    *value = json_node_get_int(n);
    return TRUE;
}

JsonObject *
apm_json_element_object(JsonArray *array, guint index)
{
    JsonNode *n = array && index < json_array_get_length(array) ? json_array_get_element(array, index) : NULL;

    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}
