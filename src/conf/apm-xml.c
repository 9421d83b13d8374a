/* apm-xml.c: shared XML helpers */
#include "config.h"
#include "apm-xml.h"

#include "apm-libxml.h"

#include "apm-error.h"
#include "apm-i18n.h"

xmlDoc *
apm_xml_read(const char *xml, gsize length, gsize max_length, const char *what, GError **error)
{
    const ApmLibxml *x;
    xmlDoc *doc;

    if (length == 0 || !xml || !*xml) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is empty"), what);
        return NULL;
    }
    if (length > max_length) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is %lu bytes long; at most %lu are accepted"), what,
                    (unsigned long) length, (unsigned long) max_length);
        return NULL;
    }
    if (!(x = apm_libxml_load(error)))
        return NULL;
    doc = x->ReadMemory(xml, (int) length, "input.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = x->GetLastError();
        g_autofree char *why = g_strstrip(g_strdup(e && e->message ? e->message : _("unknown error")));

        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is not well-formed XML: %s"), what, why);
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        x->FreeDoc(doc);
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s may not carry a DTD or entities"), what);
        return NULL;
    }
    return doc;
}

char *
apm_xml_node_text(xmlNode *node)
{
    xmlChar *content = apm_libxml()->NodeGetContent(node);
    char *text = g_strstrip(g_strdup((const char *) content));

    (*apm_libxml()->Free)(content);
    return text;
}

char *
apm_xml_prop(xmlNode *node, const char *name)
{
    xmlChar *value = apm_libxml()->GetProp(node, (const xmlChar *) name);
    char *text = value ? g_strdup((const char *) value) : NULL;

    if (value)
        (*apm_libxml()->Free)(value);
    return text;
}

gboolean
apm_xml_is(xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && apm_libxml()->StrEqual(node->name, (const xmlChar *) name);
}

xmlNode *
apm_xml_root(xmlDoc *doc)
{
    return apm_libxml()->DocGetRootElement(doc);
}

void
apm_xml_free(xmlDoc *doc)
{
    if (doc)
        apm_libxml()->FreeDoc(doc);
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
