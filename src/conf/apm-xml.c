/* apm-xml.c: shared XML helpers */
#include "config.h"
#include "apm-xml.h"

#include <stdarg.h>
#include <string.h>

#include "apm-error.h"
#include "apm-i18n.h"

struct _ApmXmlDoc {
    ApmXmlNode *root;
};

#define MAX_DEPTH 256 /* libxml2's limit too: deeper documents are refused, not recursed into */

/* The callbacks never set GLib's error (found by fuzz-nodedev: after an error from a passthrough callback inside
 * an element, GLib's parser goes on and sets its own error over it): they note why the document is refused, stop
 * building, and the reader says why once the parser is done. */
typedef enum {
    REFUSED_NOT,
    REFUSED_DTD,
    REFUSED_ENCODING,
    REFUSED_OTHER, /* why says it */
} Refused;

typedef struct {
    ApmXmlDoc *doc;
    ApmXmlNode *current; /* the element being read */
    guint depth;
    Refused refused;
    char *why;
} Reader;

static void G_GNUC_PRINTF(2, 3)
refuse(Reader *r, const char *format, ...)
{
    va_list ap;

    if (r->refused)
        return;
    r->refused = REFUSED_OTHER;
    va_start(ap, format);
    r->why = g_strdup_vprintf(format, ap);
    va_end(ap);
}

static void
node_free(ApmXmlNode *node)
{
    while (node) {
        ApmXmlNode *next = node->next;

        node_free(node->children);
        g_free(node->name);
        g_strfreev(node->attr_names);
        g_strfreev(node->attr_values);
        g_free(node->text);
        g_free(node);
        node = next;
    }
}

static void
append_child(ApmXmlNode *parent, ApmXmlNode *child)
{
    child->parent = parent;
    if (parent->last)
        parent->last->next = child;
    else
        parent->children = child;
    parent->last = child;
}

static void
on_start(GMarkupParseContext *context, const char *name, const char **attr_names, const char **attr_values,
         gpointer data, GError **error)
{
    Reader *r = data;
    ApmXmlNode *n;

    r->depth++;
    if (r->refused)
        return;
    for (guint i = 0; attr_names[i]; i++)
        for (guint k = 0; k < i; k++)
            if (g_str_equal(attr_names[i], attr_names[k])) {
                refuse(r, _("attribute '%s' of <%s> is given twice"), attr_names[i], name);
                return;
            }
    if (r->depth > MAX_DEPTH) {
        refuse(r, _("more than %u levels of elements"), MAX_DEPTH);
        return;
    }
    n = g_new0(ApmXmlNode, 1);
    n->type = APM_XML_ELEMENT;
    n->name = g_strdup(name);
    n->attr_names = g_strdupv((char **) attr_names);
    n->attr_values = g_strdupv((char **) attr_values);
    if (r->current) {
        append_child(r->current, n);
    } else if (!r->doc->root) {
        r->doc->root = n;
    } else {
        node_free(n);
        refuse(r, "%s", _("a second element after the root element"));
        return;
    }
    r->current = n;
}

static void
on_end(GMarkupParseContext *context, const char *name, gpointer data, GError **error)
{
    Reader *r = data;

    r->depth--;
    if (r->refused)
        return;
    r->current = r->current ? r->current->parent : NULL;
}

static void
on_text(GMarkupParseContext *context, const char *text, gsize len, gpointer data, GError **error)
{
    Reader *r = data;
    ApmXmlNode *n;

    if (r->refused || !r->current || !len)
        return; /* whitespace around the root element */
    if (r->current->last && r->current->last->type == APM_XML_TEXT) {
        char *joined = g_strdup_printf("%s%.*s", r->current->last->text, (int) len, text);

        g_free(r->current->last->text);
        r->current->last->text = joined;
        return;
    }
    n = g_new0(ApmXmlNode, 1);
    n->type = APM_XML_TEXT;
    n->text = g_strndup(text, len);
    append_child(r->current, n);
}

/* Comments and processing instructions pass; a DTD, or a declaration of another encoding than UTF-8, does not */
static void
on_passthrough(GMarkupParseContext *context, const char *text, gsize len, gpointer data, GError **error)
{
    Reader *r = data;
    g_autofree char *head = g_strndup(text, MIN(len, (gsize) 4096));

    if (r->refused)
        return;
    if (g_str_has_prefix(head, "<!DOCTYPE") || g_str_has_prefix(head, "<!ENTITY")) {
        r->refused = REFUSED_DTD;
        return;
    }
    if (g_str_has_prefix(head, "<?xml ") || g_str_has_prefix(head, "<?xml\t")) {
        const char *enc = strstr(head, "encoding");

        if (enc) {
            const char *q = enc + strlen("encoding");

            while (*q == ' ' || *q == '=' || *q == '\t')
                q++;
            if ((*q == '"' || *q == '\'') && g_ascii_strncasecmp(q + 1, "UTF-8", 5) != 0 &&
                g_ascii_strncasecmp(q + 1, "UTF8", 4) != 0)
                r->refused = REFUSED_ENCODING;
        }
    }
}

static const GMarkupParser parser = { on_start, on_end, on_text, on_passthrough, NULL };

ApmXmlDoc *
apm_xml_read(const char *xml, gsize length, gsize max_length, const char *what, GError **error)
{
    g_autoptr(GError) local = NULL;
    GMarkupParseContext *context;
    Reader r = { NULL, NULL, 0, REFUSED_NOT, NULL };
    gboolean ok;

    if (length == 0 || !xml || !*xml) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is empty"), what);
        return NULL;
    }
    if (length > max_length) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is %lu bytes long; at most %lu are accepted"), what,
                    (unsigned long) length, (unsigned long) max_length);
        return NULL;
    }
    if (memchr(xml, '\0', length)) {
        /* XML has no NUL character, and GLib's parser would read past one as if it were text */
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is not well-formed XML: it contains a NUL byte"),
                    what);
        return NULL;
    }
    if (!g_utf8_validate_len(xml, length, NULL)) {
        /* checked first, found by fuzz-nodedev: GLib's parser, finding bad UTF-8 in a comment or declaration,
         * goes on after its error and sets a second one over it */
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is not well-formed XML: it is not UTF-8 text"),
                    what);
        return NULL;
    }
    r.doc = g_new0(ApmXmlDoc, 1);
    context = g_markup_parse_context_new(&parser, G_MARKUP_TREAT_CDATA_AS_TEXT | G_MARKUP_PREFIX_ERROR_POSITION,
                                         &r, NULL);
    /* found by fuzz-domain: GLib can return TRUE from a parse whose callback set an error (a processing
     * instruction in an element name), so the error is looked at, not only the result */
    ok = g_markup_parse_context_parse(context, xml, (gssize) length, &local) && !local;
    if (ok)
        ok = g_markup_parse_context_end_parse(context, &local) && !local;
    g_markup_parse_context_free(context);
    if (ok && !r.doc->root) {
        ok = FALSE;
        g_set_error_literal(&local, G_MARKUP_ERROR, G_MARKUP_ERROR_EMPTY, _("there is no element"));
    }
    if (!ok || r.refused) {
        g_autofree char *why = g_steal_pointer(&r.why);

        apm_xml_free(r.doc);
        if (r.refused == REFUSED_ENCODING)
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("The %s declares an encoding other than UTF-8; apmatrix reads UTF-8 only"), what);
        else if (r.refused == REFUSED_DTD)
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s may not carry a DTD or entities"), what);
        else
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is not well-formed XML: %s"), what,
                        why ? why : local->message);
        return NULL;
    }
    return r.doc;
}

static void
append_text(GString *out, const ApmXmlNode *node)
{
    for (const ApmXmlNode *n = node; n; n = n->next) {
        if (n->type == APM_XML_TEXT)
            g_string_append(out, n->text);
        else
            append_text(out, n->children);
    }
}

char *
apm_xml_node_text(ApmXmlNode *node)
{
    GString *out = g_string_new(NULL);

    if (node->type == APM_XML_TEXT)
        g_string_append(out, node->text);
    else
        append_text(out, node->children);
    return g_strstrip(g_string_free(out, FALSE));
}

char *
apm_xml_prop(ApmXmlNode *node, const char *name)
{
    for (guint i = 0; node->attr_names && node->attr_names[i]; i++)
        if (g_str_equal(node->attr_names[i], name))
            return g_strdup(node->attr_values[i]);
    return NULL;
}

gboolean
apm_xml_is(ApmXmlNode *node, const char *name)
{
    return node->type == APM_XML_ELEMENT && g_str_equal(node->name, name);
}

ApmXmlNode *
apm_xml_root(ApmXmlDoc *doc)
{
    return doc->root;
}

void
apm_xml_free(ApmXmlDoc *doc)
{
    if (!doc)
        return;
    node_free(doc->root);
    g_free(doc);
}

void
apm_xml_append_escaped(GString *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '\'':
            g_string_append(out, "&apos;");
            break;
        case '"':
            g_string_append(out, "&quot;");
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
}
