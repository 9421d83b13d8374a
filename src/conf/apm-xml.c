/* apm-xml.c: shared XML helpers */
#include "config.h"
#include "apm-xml.h"

#include <libxml/parser.h>

#include "apm-error.h"
#include "apm-i18n.h"

xmlDoc *
apm_xml_read(const char *xml, gsize length, gsize max_length, const char *what, GError **error)
{
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
    doc = xmlReadMemory(xml, (int) length, "input.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        g_autofree char *why = g_strstrip(g_strdup(e && e->message ? e->message : _("unknown error")));

        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s is not well-formed XML: %s"), what, why);
        return NULL;
    }
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s may not carry a DTD or entities"), what);
        return NULL;
    }
    return doc;
}

char *
apm_xml_node_text(xmlNode *node)
{
    xmlChar *content = xmlNodeGetContent(node);
    char *text = g_strstrip(g_strdup((const char *) content));

    xmlFree(content);
    return text;
}

char *
apm_xml_prop(xmlNode *node, const char *name)
{
    xmlChar *value = xmlGetProp(node, (const xmlChar *) name);
    char *text = value ? g_strdup((const char *) value) : NULL;

    xmlFree(value);
    return text;
}

gboolean
apm_xml_is(xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, (const xmlChar *) name);
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
