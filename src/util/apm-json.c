/* apm-json.c: JSON tree, builder, generator and strict parser */
#include "config.h"
#include "apm-json.h"

#include <math.h>
#include <string.h>

#include "apm-error.h"
#include "apm-i18n.h"

typedef struct {
    char *name;
    ApmJsonNode *value;
} Member;

struct _ApmJsonNode {
    gint ref;
    ApmJsonKind kind;
    union {
        gboolean b;
        gint64 i;
        double d;
        char *s;
    } v;
    GPtrArray *items; /* an array's ApmJsonNode, an object's Member */
};

/* ---- nodes ----------------------------------------------------------------------------------------------- */

static void
member_free(Member *m)
{
    g_free(m->name);
    apm_json_node_unref(m->value);
    g_free(m);
}

ApmJsonNode *
apm_json_node_new(ApmJsonKind kind)
{
    ApmJsonNode *n = g_new0(ApmJsonNode, 1);

    n->ref = 1;
    n->kind = kind;
    if (kind == APM_JSON_NODE_STRING)
        n->v.s = g_strdup("");
    else if (kind == APM_JSON_NODE_ARRAY)
        n->items = g_ptr_array_new_with_free_func((GDestroyNotify) apm_json_node_unref);
    else if (kind == APM_JSON_NODE_OBJECT)
        n->items = g_ptr_array_new_with_free_func((GDestroyNotify) member_free);
    return n;
}

/* A string node that takes value */
static ApmJsonNode *
string_node(char *value)
{
    ApmJsonNode *n = apm_json_node_new(APM_JSON_NODE_NULL);

    n->kind = APM_JSON_NODE_STRING;
    n->v.s = value;
    return n;
}

ApmJsonNode *
apm_json_node_new_string(const char *value)
{
    return value ? string_node(g_strdup(value)) : apm_json_node_new(APM_JSON_NODE_NULL);
}

ApmJsonNode *
apm_json_node_new_int(gint64 value)
{
    ApmJsonNode *n = apm_json_node_new(APM_JSON_NODE_INT);

    n->v.i = value;
    return n;
}

ApmJsonNode *
apm_json_node_ref(ApmJsonNode *node)
{
    if (node)
        g_atomic_int_inc(&node->ref);
    return node;
}

void
apm_json_node_unref(ApmJsonNode *node)
{
    if (!node || !g_atomic_int_dec_and_test(&node->ref))
        return;
    if (node->kind == APM_JSON_NODE_STRING)
        g_free(node->v.s);
    if (node->items)
        g_ptr_array_unref(node->items);
    g_free(node);
}

ApmJsonNode *
apm_json_node_copy(ApmJsonNode *node)
{
    return apm_json_node_ref(node);
}

ApmJsonKind
apm_json_node_get_kind(const ApmJsonNode *node)
{
    return node ? node->kind : APM_JSON_NODE_NULL;
}

gboolean
apm_json_node_holds_value(const ApmJsonNode *node)
{
    return node && node->kind != APM_JSON_NODE_NULL && node->kind != APM_JSON_NODE_ARRAY &&
           node->kind != APM_JSON_NODE_OBJECT;
}

gboolean
apm_json_node_holds_string(const ApmJsonNode *node)
{
    return node && node->kind == APM_JSON_NODE_STRING;
}

gboolean
apm_json_node_holds_object(const ApmJsonNode *node)
{
    return node && node->kind == APM_JSON_NODE_OBJECT;
}

gboolean
apm_json_node_holds_array(const ApmJsonNode *node)
{
    return node && node->kind == APM_JSON_NODE_ARRAY;
}

ApmJsonObject *
apm_json_node_get_object(ApmJsonNode *node)
{
    return apm_json_node_holds_object(node) ? node : NULL;
}

ApmJsonArray *
apm_json_node_get_array(ApmJsonNode *node)
{
    return apm_json_node_holds_array(node) ? node : NULL;
}

const char *
apm_json_node_get_string(const ApmJsonNode *node)
{
    return apm_json_node_holds_string(node) ? node->v.s : NULL;
}

gint64
apm_json_node_get_int(const ApmJsonNode *node)
{
    if (!node)
        return 0;
    switch (node->kind) {
    case APM_JSON_NODE_INT:
        return node->v.i;
    case APM_JSON_NODE_DOUBLE:
        return (gint64) node->v.d;
    case APM_JSON_NODE_BOOLEAN:
        return node->v.b;
    default:
        return 0;
    }
}

gboolean
apm_json_node_get_boolean(const ApmJsonNode *node)
{
    return node && node->kind == APM_JSON_NODE_BOOLEAN ? node->v.b : FALSE;
}

/* ---- objects and arrays ---------------------------------------------------------------------------------- */

static Member *
find_member(const ApmJsonObject *object, const char *name)
{
    if (!apm_json_node_holds_object(object))
        return NULL;
    for (guint i = 0; i < object->items->len; i++) {
        Member *m = g_ptr_array_index(object->items, i);

        if (g_str_equal(m->name, name))
            return m;
    }
    return NULL;
}

gboolean
apm_json_object_has_member(const ApmJsonObject *object, const char *name)
{
    return find_member(object, name) != NULL;
}

ApmJsonNode *
apm_json_object_get_member(const ApmJsonObject *object, const char *name)
{
    Member *m = find_member(object, name);

    return m ? m->value : NULL;
}

ApmJsonObject *
apm_json_object_get_object_member(const ApmJsonObject *object, const char *name)
{
    return apm_json_node_get_object(apm_json_object_get_member(object, name));
}

gint64
apm_json_object_get_int_member(const ApmJsonObject *object, const char *name)
{
    return apm_json_node_get_int(apm_json_object_get_member(object, name));
}

const char *
apm_json_object_get_string_member_with_default(const ApmJsonObject *object, const char *name, const char *fallback)
{
    ApmJsonNode *n = apm_json_object_get_member(object, name);

    return apm_json_node_holds_string(n) ? n->v.s : fallback;
}

GList *
apm_json_object_get_members(const ApmJsonObject *object)
{
    GList *names = NULL;

    if (!apm_json_node_holds_object(object))
        return NULL;
    for (guint i = object->items->len; i-- > 0;)
        names = g_list_prepend(names, ((Member *) g_ptr_array_index(object->items, i))->name);
    return names;
}

guint
apm_json_array_get_length(const ApmJsonArray *array)
{
    return apm_json_node_holds_array(array) ? array->items->len : 0;
}

ApmJsonNode *
apm_json_array_get_element(const ApmJsonArray *array, guint index)
{
    return index < apm_json_array_get_length(array) ? g_ptr_array_index(array->items, index) : NULL;
}

ApmJsonObject *
apm_json_array_get_object_element(const ApmJsonArray *array, guint index)
{
    return apm_json_node_get_object(apm_json_array_get_element(array, index));
}

/* Adds value (taken) to a container node: under name in an object, at the end of an array */
static void
container_add(ApmJsonNode *container, const char *name, ApmJsonNode *value)
{
    if (container->kind == APM_JSON_NODE_OBJECT) {
        Member *m = find_member(container, name ? name : "");

        if (m) {
            /* a name given twice: the last value, where the name first stood (as json-glib has it) */
            apm_json_node_unref(m->value);
            m->value = value;
            return;
        }
        m = g_new(Member, 1);

        m->name = g_strdup(name ? name : "");
        m->value = value;
        g_ptr_array_add(container->items, m);
    } else {
        g_ptr_array_add(container->items, value);
    }
}

/* ---- building -------------------------------------------------------------------------------------------- */

struct _ApmJsonBuilder {
    GPtrArray *open; /* the containers being built, innermost last (each with its name in its parent) */
    GPtrArray *names;
    char *member;    /* the name set for the next value */
    ApmJsonNode *root;
};

ApmJsonBuilder *
apm_json_builder_new(void)
{
    ApmJsonBuilder *b = g_new0(ApmJsonBuilder, 1);

    b->open = g_ptr_array_new_with_free_func((GDestroyNotify) apm_json_node_unref);
    b->names = g_ptr_array_new_with_free_func(g_free);
    return b;
}

void
apm_json_builder_free(ApmJsonBuilder *builder)
{
    if (!builder)
        return;
    g_ptr_array_unref(builder->open);
    g_ptr_array_unref(builder->names);
    g_free(builder->member);
    apm_json_node_unref(builder->root);
    g_free(builder);
}

static void
builder_add(ApmJsonBuilder *b, ApmJsonNode *value)
{
    if (b->open->len == 0) {
        apm_json_node_unref(b->root);
        b->root = value;
    } else {
        container_add(g_ptr_array_index(b->open, b->open->len - 1), b->member, value);
    }
    g_clear_pointer(&b->member, g_free);
}

static void
builder_begin(ApmJsonBuilder *b, ApmJsonKind kind)
{
    g_ptr_array_add(b->open, apm_json_node_new(kind));
    g_ptr_array_add(b->names, g_steal_pointer(&b->member));
}

static void
builder_end(ApmJsonBuilder *b, ApmJsonKind kind)
{
    ApmJsonNode *done;

    g_return_if_fail(b->open->len > 0);
    done = g_ptr_array_steal_index(b->open, b->open->len - 1);
    g_warn_if_fail(done->kind == kind);
    g_free(b->member);
    b->member = g_ptr_array_steal_index(b->names, b->names->len - 1);
    builder_add(b, done);
}

void
apm_json_builder_begin_object(ApmJsonBuilder *builder)
{
    builder_begin(builder, APM_JSON_NODE_OBJECT);
}

void
apm_json_builder_end_object(ApmJsonBuilder *builder)
{
    builder_end(builder, APM_JSON_NODE_OBJECT);
}

void
apm_json_builder_begin_array(ApmJsonBuilder *builder)
{
    builder_begin(builder, APM_JSON_NODE_ARRAY);
}

void
apm_json_builder_end_array(ApmJsonBuilder *builder)
{
    builder_end(builder, APM_JSON_NODE_ARRAY);
}

void
apm_json_builder_set_member_name(ApmJsonBuilder *builder, const char *name)
{
    g_free(builder->member);
    builder->member = g_strdup(name);
}

void
apm_json_builder_add_string_value(ApmJsonBuilder *builder, const char *value)
{
    builder_add(builder, apm_json_node_new_string(value));
}

void
apm_json_builder_add_int_value(ApmJsonBuilder *builder, gint64 value)
{
    builder_add(builder, apm_json_node_new_int(value));
}

void
apm_json_builder_add_boolean_value(ApmJsonBuilder *builder, gboolean value)
{
    ApmJsonNode *n = apm_json_node_new(APM_JSON_NODE_BOOLEAN);

    n->v.b = value ? TRUE : FALSE;
    builder_add(builder, n);
}

void
apm_json_builder_add_null_value(ApmJsonBuilder *builder)
{
    builder_add(builder, apm_json_node_new(APM_JSON_NODE_NULL));
}

void
apm_json_builder_add_value(ApmJsonBuilder *builder, ApmJsonNode *node)
{
    builder_add(builder, node ? node : apm_json_node_new(APM_JSON_NODE_NULL));
}

ApmJsonNode *
apm_json_builder_get_root(ApmJsonBuilder *builder)
{
    return builder->open->len ? NULL : apm_json_node_ref(builder->root);
}

/* ---- writing --------------------------------------------------------------------------------------------- */

struct _ApmJsonGenerator {
    ApmJsonNode *root;
    gboolean pretty;
};

ApmJsonGenerator *
apm_json_generator_new(void)
{
    return g_new0(ApmJsonGenerator, 1);
}

void
apm_json_generator_free(ApmJsonGenerator *generator)
{
    if (!generator)
        return;
    apm_json_node_unref(generator->root);
    g_free(generator);
}

void
apm_json_generator_set_root(ApmJsonGenerator *generator, ApmJsonNode *node)
{
    apm_json_node_ref(node);
    apm_json_node_unref(generator->root);
    generator->root = node;
}

void
apm_json_generator_set_pretty(ApmJsonGenerator *generator, gboolean pretty)
{
    generator->pretty = pretty;
}

/* A string as JSON writes it: quotes, backslashes and every control character escaped; other text as it is */
static void
write_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        switch (*p) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\b':
            g_string_append(out, "\\b");
            break;
        case '\f':
            g_string_append(out, "\\f");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char) *p);
        }
    }
    g_string_append_c(out, '"');
}

static void
indent(GString *out, guint level)
{
    for (guint i = 0; i < level; i++)
        g_string_append(out, "  ");
}

static void
write_node(GString *out, const ApmJsonNode *n, gboolean pretty, guint level)
{
    switch (n ? n->kind : APM_JSON_NODE_NULL) {
    case APM_JSON_NODE_NULL:
        g_string_append(out, "null");
        break;
    case APM_JSON_NODE_BOOLEAN:
        g_string_append(out, n->v.b ? "true" : "false");
        break;
    case APM_JSON_NODE_INT:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, n->v.i);
        break;
    case APM_JSON_NODE_DOUBLE: {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append(out, g_ascii_dtostr(buf, sizeof(buf), n->v.d));
        /* found by fuzz-json: -0e50 is the double -0, which "-0" would read back as the integer 0 */
        if (!strpbrk(buf, ".eE"))
            g_string_append(out, ".0");
        break;
    }
    case APM_JSON_NODE_STRING:
        write_string(out, n->v.s);
        break;
    case APM_JSON_NODE_ARRAY:
    case APM_JSON_NODE_OBJECT: {
        gboolean object = n->kind == APM_JSON_NODE_OBJECT;

        if (n->items->len == 0) {
            /* json-glib's forms of the empty ones, kept so that scripts see the same text */
            g_string_append(out, object ? (pretty ? "{  }" : "{}") : "[]");
            break;
        }
        g_string_append_c(out, object ? '{' : '[');
        for (guint i = 0; i < n->items->len; i++) {
            const ApmJsonNode *value = g_ptr_array_index(n->items, i);

            if (i)
                g_string_append_c(out, ',');
            if (pretty) {
                g_string_append_c(out, '\n');
                indent(out, level + 1);
            }
            if (object) {
                const Member *m = g_ptr_array_index(n->items, i);

                write_string(out, m->name);
                g_string_append(out, pretty ? " : " : ":");
                value = m->value;
            }
            write_node(out, value, pretty, level + 1);
        }
        if (pretty) {
            g_string_append_c(out, '\n');
            indent(out, level);
        }
        g_string_append_c(out, object ? '}' : ']');
        break;
    }
    }
}

char *
apm_json_to_string(ApmJsonNode *node, gboolean pretty)
{
    GString *out = g_string_new(NULL);

    write_node(out, node, pretty, 0);
    return g_string_free(out, FALSE);
}

char *
apm_json_generator_to_data(ApmJsonGenerator *generator, gsize *length)
{
    char *text = apm_json_to_string(generator->root, generator->pretty);

    if (length)
        *length = strlen(text);
    return text;
}

/* ---- reading --------------------------------------------------------------------------------------------- */

#define MAX_DEPTH 512 /* deeper documents are refused, not recursed into */

typedef struct {
    const char *text, *p, *end;
    GError **error;
} Reader;

static gboolean G_GNUC_PRINTF(2, 3)
fail(Reader *r, const char *format, ...)
{
    g_autofree char *why = NULL;
    guint line = 1, column = 1;
    va_list ap;

    for (const char *q = r->text; q < r->p; q++) {
        if (*q == '\n') {
            line++;
            column = 1;
        } else if (((unsigned char) *q & 0xc0) != 0x80) {
            column++;
        }
    }
    va_start(ap, format);
    why = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(r->error, APM_ERROR, APM_ERROR_INVALID, _("JSON at line %u, column %u: %s"), line, column, why);
    return FALSE;
}

static void
skip_space(Reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int
hex4(const char *p)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        if (!g_ascii_isxdigit(p[i]))
            return -1;
        v = v << 4 | g_ascii_xdigit_value(p[i]);
    }
    return v;
}

static char *
read_string(Reader *r)
{
    g_autoptr(GString) s = g_string_new(NULL);

    r->p++; /* the opening quote */
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char) *r->p;

        if (c < 0x20) {
            fail(r, "%s", _("a control character in a string (write it as an escape)"));
            return NULL;
        }
        if (c != '\\') {
            g_string_append_c(s, (char) c);
            r->p++;
            continue;
        }
        if (r->end - r->p < 2) {
            fail(r, "%s", _("the text ends inside a string"));
            return NULL;
        }
        switch (r->p[1]) {
        case '"':
        case '\\':
        case '/':
            g_string_append_c(s, r->p[1]);
            break;
        case 'b':
            g_string_append_c(s, '\b');
            break;
        case 'f':
            g_string_append_c(s, '\f');
            break;
        case 'n':
            g_string_append_c(s, '\n');
            break;
        case 'r':
            g_string_append_c(s, '\r');
            break;
        case 't':
            g_string_append_c(s, '\t');
            break;
        case 'u': {
            int hi = r->end - r->p >= 6 ? hex4(r->p + 2) : -1;
            gunichar ch;

            if (hi < 0) {
                fail(r, "%s", _("\\u is not followed by four hexadecimal digits"));
                return NULL;
            }
            ch = (gunichar) hi;
            if (hi >= 0xdc00 && hi <= 0xdfff) {
                fail(r, "%s", _("a low surrogate without a high one before it"));
                return NULL;
            }
            if (hi >= 0xd800 && hi <= 0xdbff) {
                int lo = r->end - r->p >= 12 && r->p[6] == '\\' && r->p[7] == 'u' ? hex4(r->p + 8) : -1;

                if (lo < 0xdc00 || lo > 0xdfff) {
                    fail(r, "%s", _("a high surrogate without a low one after it"));
                    return NULL;
                }
                ch = 0x10000 + (((gunichar) hi - 0xd800) << 10) + ((gunichar) lo - 0xdc00);
                r->p += 6;
            }
            if (ch == 0) {
                fail(r, "%s", _("\\u0000 in a string"));
                return NULL;
            }
            g_string_append_unichar(s, ch);
            r->p += 4;
            break;
        }
        default:
            fail(r, _("'\\%c' is not an escape JSON knows"), r->p[1]);
            return NULL;
        }
        r->p += 2;
    }
    if (r->p >= r->end) {
        fail(r, "%s", _("the text ends inside a string"));
        return NULL;
    }
    r->p++; /* the closing quote */
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static ApmJsonNode *
read_number(Reader *r)
{
    const char *start = r->p;
    gboolean integer = TRUE;
    g_autofree char *text = NULL;

    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
        while (r->p < r->end && g_ascii_isdigit(*r->p))
            r->p++;
    else
        return fail(r, "%s", _("a number needs a digit here")), NULL;
    if (r->p < r->end && *r->p == '.') {
        integer = FALSE;
        r->p++;
        if (r->p >= r->end || !g_ascii_isdigit(*r->p))
            return fail(r, "%s", _("a number needs a digit after its '.'")), NULL;
        while (r->p < r->end && g_ascii_isdigit(*r->p))
            r->p++;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        integer = FALSE;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (r->p >= r->end || !g_ascii_isdigit(*r->p))
            return fail(r, "%s", _("a number needs a digit in its exponent")), NULL;
        while (r->p < r->end && g_ascii_isdigit(*r->p))
            r->p++;
    }
    text = g_strndup(start, (gsize) (r->p - start));
    if (integer) {
        gint64 v;

        if (g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &v, NULL))
            return apm_json_node_new_int(v);
    }
    {
        double d = g_ascii_strtod(text, NULL);
        ApmJsonNode *n;

        /* found by fuzz-json: 1e400 is no double, and "inf" is no JSON to write back */
        if (!isfinite(d))
            return fail(r, "%s", _("a number beyond what a double holds")), NULL;
        n = apm_json_node_new(APM_JSON_NODE_DOUBLE);
        n->v.d = d;
        return n;
    }
}

static gboolean
read_word(Reader *r, const char *word)
{
    gsize len = strlen(word);

    if ((gsize) (r->end - r->p) < len || memcmp(r->p, word, len) != 0)
        return FALSE;
    r->p += len;
    return TRUE;
}

static ApmJsonNode *read_value(Reader *r, guint depth);

static ApmJsonNode *
read_container(Reader *r, guint depth)
{
    gboolean object = *r->p == '{';
    char close = object ? '}' : ']';
    g_autoptr(ApmJsonNode) n = apm_json_node_new(object ? APM_JSON_NODE_OBJECT : APM_JSON_NODE_ARRAY);

    if (depth >= MAX_DEPTH)
        return fail(r, _("more than %u levels of nesting"), MAX_DEPTH), NULL;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return g_steal_pointer(&n);
    }
    for (;;) {
        g_autofree char *name = NULL;
        ApmJsonNode *value;

        skip_space(r);
        if (object) {
            if (r->p >= r->end || *r->p != '"')
                return fail(r, "%s", _("a member name in double quotes is expected")), NULL;
            if (!(name = read_string(r)))
                return NULL;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':')
                return fail(r, "%s", _("':' is expected after a member name")), NULL;
            r->p++;
        }
        if (!(value = read_value(r, depth + 1)))
            return NULL;
        container_add(n, name, value);
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return g_steal_pointer(&n);
        }
        return fail(r, object ? _("',' or '}' is expected") : _("',' or ']' is expected")), NULL;
    }
}

static ApmJsonNode *
read_value(Reader *r, guint depth)
{
    skip_space(r);
    if (r->p >= r->end)
        return fail(r, "%s", _("a value is expected, the text ends")), NULL;
    switch (*r->p) {
    case '{':
    case '[':
        return read_container(r, depth);
    case '"': {
        char *s = read_string(r);

        return s ? string_node(s) : NULL;
    }
    case 't':
    case 'f':
        if (read_word(r, "true") || read_word(r, "false")) {
            ApmJsonNode *n = apm_json_node_new(APM_JSON_NODE_BOOLEAN);

            n->v.b = r->p[-1] == 'e' && r->p[-2] == 'u';
            return n;
        }
        break;
    case 'n':
        if (read_word(r, "null"))
            return apm_json_node_new(APM_JSON_NODE_NULL);
        break;
    default:
        if (*r->p == '-' || g_ascii_isdigit(*r->p))
            return read_number(r);
    }
    return fail(r, "%s", _("a value is expected (an object, array, string, number, true, false or null)")), NULL;
}

struct _ApmJsonParser {
    ApmJsonNode *root;
};

ApmJsonParser *
apm_json_parser_new(void)
{
    return g_new0(ApmJsonParser, 1);
}

void
apm_json_parser_free(ApmJsonParser *parser)
{
    if (!parser)
        return;
    apm_json_node_unref(parser->root);
    g_free(parser);
}

gboolean
apm_json_parser_load_from_data(ApmJsonParser *parser, const char *text, gssize length, GError **error)
{
    gsize len = length < 0 ? strlen(text) : (gsize) length;
    Reader r = { text, text, text + len, error };
    g_autoptr(ApmJsonNode) value = NULL;

    g_clear_pointer(&parser->root, apm_json_node_unref);
    if (!g_utf8_validate_len(text, len, &r.p))
        return fail(&r, "%s", _("the text is not UTF-8"));
    r.p = text;
    if (!(value = read_value(&r, 0)))
        return FALSE;
    skip_space(&r);
    if (r.p < r.end)
        return fail(&r, "%s", _("text after the value"));
    parser->root = g_steal_pointer(&value);
    return TRUE;
}

ApmJsonNode *
apm_json_parser_get_root(ApmJsonParser *parser)
{
    return parser->root;
}

ApmJsonNode *
apm_json_parser_steal_root(ApmJsonParser *parser)
{
    return g_steal_pointer(&parser->root);
}

ApmJsonNode *
apm_json_from_string(const char *text, GError **error)
{
    g_autoptr(ApmJsonParser) parser = apm_json_parser_new();

    if (!apm_json_parser_load_from_data(parser, text, -1, error))
        return NULL;
    return apm_json_parser_steal_root(parser);
}
