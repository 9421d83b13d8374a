/* apm-xml.h: what the XML formats of src/conf share: a safe reader and small node helpers.
 *
 * The documents apmatrix reads (node-device XML, a hostdev, a domain definition or libvirt's status file) are
 * small, UTF-8, and need no DTD: they are read with GLib's markup parser into a small tree, so that a command
 * that reads one does not load libxml2 (and the ICU it links), which cost more than the command itself. */
#pragma once

#include <glib.h>

typedef enum {
    APM_XML_ELEMENT,
    APM_XML_TEXT, /* character data and CDATA, in name-less nodes */
} ApmXmlKind;

typedef struct _ApmXmlNode ApmXmlNode;
struct _ApmXmlNode {
    ApmXmlKind type;
    char *name;          /* an element's name as written (with its prefix, if any) */
    char **attr_names;   /* an element's attributes, NULL-terminated */
    char **attr_values;
    char *text;          /* a text node's text */
    ApmXmlNode *children, *last, *next, *parent;
};

typedef struct _ApmXmlDoc ApmXmlDoc;

/* Parses a document of at most max_length bytes: UTF-8 (a declaration naming another encoding is refused), one
 * root element, no DTD and so no entities but XML's five and character references; what names the document in
 * messages ("node device document", "domain XML"). NULL with APM_ERROR_INVALID saying why. */
ApmXmlDoc *apm_xml_read(const char *xml, gsize length, gsize max_length, const char *what, GError **error);

/* The root element of a document read by apm_xml_read, and the document freed */
ApmXmlNode *apm_xml_root(ApmXmlDoc *doc);
void apm_xml_free(ApmXmlDoc *doc);
/* An element's text (all the text below it, as libxml2's xmlNodeGetContent has it), whitespace stripped. */
char *apm_xml_node_text(ApmXmlNode *node);
/* An attribute's value, or NULL. */
char *apm_xml_prop(ApmXmlNode *node, const char *name);
/* Whether node is the element name. */
gboolean apm_xml_is(ApmXmlNode *node, const char *name);
/* Appends text with &, <, >, ' and " escaped as libvirt escapes them. */
void apm_xml_append_escaped(GString *out, const char *text);
