/* apm-xmldoc.c: XML through libxml2 and XPath, as libvirt's conf code reads it */
#include "config.h"
#include "apm-xmldoc.h"

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xpathInternals.h>
#include <string.h>

#include "apm-error.h"
#include "apm-i18n.h"

/* libxml2's own limit without XML_PARSE_HUGE: deeper documents are refused, not recursed into */
#define MAX_DEPTH 256

static void
init_once(void)
{
    static gsize done = 0;

    if (g_once_init_enter(&done)) {
        xmlInitParser();
        g_once_init_leave(&done, 1);
    }
}

/* ---- reading ------------------------------------------------------------------------------------------- */

typedef struct {
    gboolean seen;
    int code, line;
    char *message;
} FirstError;

/* The first error is the one that says what is wrong; later ones follow from it */
static void
on_parse_error(void *data, xmlErrorPtr e)
{
    xmlParserCtxtPtr ctxt = data;
    FirstError *first = ctxt->_private;

    if (first->seen || e->level < XML_ERR_ERROR)
        return;
    first->seen = TRUE;
    first->code = e->code;
    first->line = e->line;
    first->message = g_strchomp(g_strdup(e->message ? e->message : ""));
}

/* What libxml2 found, in apmatrix's words where they say more; libxml2's own sentence otherwise */
static char *
parse_reason(const FirstError *first)
{
    switch (first->code) {
    case XML_ERR_DOCUMENT_EMPTY:
        return g_strdup(_("there is no element"));
    case XML_ERR_DOCUMENT_END:
        return g_strdup(_("there is more after the root element"));
    case XML_ERR_INVALID_CHAR:
    case XML_ERR_INVALID_ENCODING:
        return g_strdup(_("it is not text in its encoding (UTF-8 unless it declares another)"));
    case XML_ERR_UNDECLARED_ENTITY:
        return g_strdup(_("it names an entity XML does not define (XML has &amp; &lt; &gt; &apos; &quot; and "
                          "character references)"));
    case XML_ERR_ATTRIBUTE_REDEFINED:
        return g_strdup(_("an attribute is given twice"));
    case XML_ERR_TAG_NAME_MISMATCH:
        return g_strdup_printf(_("an end tag does not match the element it closes (%s)"), first->message);
    case XML_ERR_TAG_NOT_FINISHED:
        return g_strdup(_("the text ends inside an element"));
    case XML_ERR_INTERNAL_ERROR:
        if (strstr(first->message, "depth"))
            return g_strdup_printf(_("more than %u levels of elements"), MAX_DEPTH);
        break;
    default:
        break;
    }
    return g_strdup(first->message);
}

static ApmXmlDoc *
refused(GError **error, const char *what, const char *source, int line, const char *why)
{
    if (source)
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s, line %d: the %s is not well-formed XML: %s"), source,
                    line, what, why);
    else
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is not well-formed XML: line %d: %s"), what, line,
                    why);
    return NULL;
}

ApmXmlDoc *
apm_xmldoc_read(const char *xml, gsize length, gsize max_length, const char *what, const char *source,
                GError **error)
{
    xmlParserCtxtPtr ctxt;
    FirstError first = { 0 };
    ApmXmlDoc *doc;
    xmlDocPtr d;

    init_once();
    if (length == 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is empty"), what);
        return NULL;
    }
    if (length > max_length) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is %lu bytes long; at most %lu are accepted"), what,
                    (unsigned long) length, (unsigned long) max_length);
        return NULL;
    }
    if (memchr(xml, '\0', length))
        return refused(error, what, source, 1, _("it contains a NUL byte"));
    if (!(ctxt = xmlNewParserCtxt())) {
        g_set_error(error, APM_ERROR, APM_ERROR_INTERNAL, _("Cannot read the %s: out of memory"), what);
        return NULL;
    }
    ctxt->_private = &first;
    ctxt->sax->serror = on_parse_error;
    /* no network, no DTD loaded, no entity substituted; libxml2's depth and size limits stay (no XML_PARSE_HUGE) */
    d = xmlCtxtReadMemory(ctxt, xml, (int) length, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    xmlFreeParserCtxt(ctxt);
    if (!d || first.seen) {
        g_autofree char *why = first.seen ? parse_reason(&first) : g_strdup(_("libxml2 could not read it"));
        int line = first.seen && first.line > 0 ? first.line : 1;

        g_free(first.message);
        if (d)
            xmlFreeDoc(d);
        return refused(error, what, source, line, why);
    }
    if (d->intSubset || d->extSubset) {
        xmlFreeDoc(d);
        if (source)
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s: the %s may not carry a DTD or entities"), source,
                        what);
        else
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s may not carry a DTD or entities"), what);
        return NULL;
    }
    if (!xmlDocGetRootElement(d)) {
        xmlFreeDoc(d);
        return refused(error, what, source, 1, _("there is no element"));
    }
    doc = g_new0(ApmXmlDoc, 1);
    doc->doc = d;
    doc->ctxt = xmlXPathNewContext(d);
    if (!doc->ctxt) {
        apm_xmldoc_free(doc);
        g_set_error(error, APM_ERROR, APM_ERROR_INTERNAL, _("Cannot read the %s: out of memory"), what);
        return NULL;
    }
    doc->ctxt->node = xmlDocGetRootElement(d);
    return doc;
}

void
apm_xmldoc_free(ApmXmlDoc *doc)
{
    if (!doc)
        return;
    if (doc->ctxt)
        xmlXPathFreeContext(doc->ctxt);
    if (doc->doc)
        xmlFreeDoc(doc->doc);
    g_free(doc);
}

gboolean
apm_xmldoc_root_is(const ApmXmlDoc *doc, const char *name)
{
    return apm_xml_is(xmlDocGetRootElement(doc->doc), name);
}

/* ---- XPath and the tree -------------------------------------------------------------------------------- */

static xmlXPathObjectPtr
eval(ApmXmlDoc *doc, xmlNodePtr node, const char *expr)
{
    xmlNodePtr saved = doc->ctxt->node;
    xmlXPathObjectPtr obj;

    if (node)
        doc->ctxt->node = node;
    obj = xmlXPathEval(BAD_CAST expr, doc->ctxt);
    doc->ctxt->node = saved;
    return obj;
}

char *
apm_xpath_string(ApmXmlDoc *doc, xmlNodePtr node, const char *expr)
{
    xmlXPathObjectPtr obj = eval(doc, node, expr);
    char *text = NULL;

    if (obj && obj->type == XPATH_STRING && obj->stringval && obj->stringval[0]) {
        text = g_strstrip(g_strdup((const char *) obj->stringval));
        if (!*text)
            g_clear_pointer(&text, g_free);
    }
    xmlXPathFreeObject(obj);
    return text;
}

GPtrArray *
apm_xpath_nodes(ApmXmlDoc *doc, xmlNodePtr node, const char *expr)
{
    xmlXPathObjectPtr obj = eval(doc, node, expr);
    GPtrArray *nodes = g_ptr_array_new();

    if (obj && obj->type == XPATH_NODESET && obj->nodesetval)
        for (int i = 0; i < obj->nodesetval->nodeNr; i++)
            if (obj->nodesetval->nodeTab[i]->type == XML_ELEMENT_NODE)
                g_ptr_array_add(nodes, obj->nodesetval->nodeTab[i]);
    xmlXPathFreeObject(obj);
    return nodes;
}

guint
apm_xpath_count(ApmXmlDoc *doc, xmlNodePtr node, const char *expr)
{
    g_autoptr(GPtrArray) nodes = apm_xpath_nodes(doc, node, expr);

    return nodes->len;
}

char *
apm_xml_prop(xmlNodePtr node, const char *name)
{
    xmlChar *value = xmlGetNoNsProp(node, BAD_CAST name);
    char *copy;

    if (!value)
        return NULL;
    copy = g_strdup((const char *) value);
    xmlFree(value);
    return copy;
}

gboolean
apm_xml_is(xmlNodePtr node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && !node->ns && xmlStrEqual(node->name, BAD_CAST name);
}

/* ---- RelaxNG ------------------------------------------------------------------------------------------- */

const char *
apm_xml_schema_dir(void)
{
    const char *dir = g_getenv("APMATRIX_SCHEMA_DIR");

    return dir && *dir ? dir : LIBVIRT_SCHEMA_DIR;
}

/* The schema's complaints, one a line: "line N: <element>: what" */
static void
on_schema_error(void *data, xmlErrorPtr e)
{
    GString *out = data;
    xmlNodePtr node = e->node;
    g_autofree char *message = g_strchomp(g_strdup(e->message ? e->message : ""));

    if (out->len)
        g_string_append(out, "\n");
    if (node && node->type == XML_ELEMENT_NODE)
        g_string_append_printf(out, _("line %d: <%s>: %s"), e->line, (const char *) node->name, message);
    else
        g_string_append_printf(out, _("line %d: %s"), e->line, message);
}

static void G_GNUC_PRINTF(2, 3)
ignore_generic_error(void *context, const char *format, ...)
{
    (void) context;
    (void) format;
}

gboolean
apm_xmldoc_validate(ApmXmlDoc *doc, const char *schema, const char *start, GError **error)
{
    g_autofree char *path = g_build_filename(apm_xml_schema_dir(), schema, NULL);
    g_autoptr(GString) complaints = g_string_new(NULL);
    g_autofree char *grammar = NULL;
    xmlRelaxNGParserCtxtPtr pctxt;
    xmlRelaxNGPtr rng;
    xmlRelaxNGValidCtxtPtr vctxt;
    xmlGenericErrorFunc saved_handler;
    void *saved_context;
    int rc;

    init_once();
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, APM_ERROR, APM_ERROR_UNSUPPORTED,
                    _("libvirt's schema %s is not installed, so the document cannot be validated"), path);
        return FALSE;
    }
    if (start) {
        /* the schema, its start replaced by the define asked for (RelaxNG's include with a start of its own) */
        g_autofree char *uri = g_filename_to_uri(path, NULL, NULL);
        g_autoptr(GString) escaped = g_string_new(NULL);

        apm_xml_append_escaped(escaped, uri ? uri : path);
        grammar = g_strdup_printf("<grammar xmlns='http://relaxng.org/ns/structure/1.0' "
                                  "datatypeLibrary='http://www.w3.org/2001/XMLSchema-datatypes'>"
                                  "<include href='%s'><start><ref name='%s'/></start></include></grammar>",
                                  escaped->str, start);
        pctxt = xmlRelaxNGNewMemParserCtxt(grammar, (int) strlen(grammar));
    } else {
        pctxt = xmlRelaxNGNewParserCtxt(path);
    }
    /* what libxml2 would print of the schema's own files goes to the complaints, not to standard error */
    saved_handler = xmlGenericError;
    saved_context = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, ignore_generic_error);
    xmlRelaxNGSetParserStructuredErrors(pctxt, on_schema_error, complaints);
    rng = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    if (!rng) {
        xmlSetGenericErrorFunc(saved_context, saved_handler);
        g_set_error(error, APM_ERROR, APM_ERROR_IO, _("libvirt's schema %s cannot be read: %s"), path,
                    complaints->len ? complaints->str : _("unknown error"));
        return FALSE;
    }
    vctxt = xmlRelaxNGNewValidCtxt(rng);
    xmlRelaxNGSetValidStructuredErrors(vctxt, on_schema_error, complaints);
    rc = xmlRelaxNGValidateDoc(vctxt, doc->doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlRelaxNGFree(rng);
    xmlSetGenericErrorFunc(saved_context, saved_handler);
    if (rc != 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The document does not validate against %s:\n%s"), path,
                    complaints->len ? complaints->str : _("no reason given"));
        return FALSE;
    }
    return TRUE;
}

/* ---- writing ------------------------------------------------------------------------------------------- */

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
