/* apm-xmldoc.h: XML documents read with libxml2 and looked into with XPath, as libvirt's conf code reads its own
 * (node-device, hostdev, domain and libvirt's status XML), checked against libvirt's RelaxNG schemas on request,
 * and the escaping libvirt writes.
 *
 * A document is read from memory with no network, no DTD loading and no entity substitution; one that carries a
 * DTD is refused, so no entity of its own is ever expanded. Messages name the source (a file, or what the text
 * is), the line and what is wrong. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

typedef struct {
    xmlDocPtr doc;
    xmlXPathContextPtr ctxt; /* its node is the root element */
} ApmXmlDoc;

/* Reads a document of at most max_length bytes. what names the kind of document in messages ("node device
 * document"), source where it came from (a file name, or NULL). NULL with APM_ERROR_INVALID saying why. */
ApmXmlDoc *apm_xmldoc_read(const char *xml, gsize length, gsize max_length, const char *what, const char *source,
                           GError **error);
void apm_xmldoc_free(ApmXmlDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmXmlDoc, apm_xmldoc_free)

/* Whether the root element is name. */
gboolean apm_xmldoc_root_is(const ApmXmlDoc *doc, const char *name);

/* The string value of an XPath expression evaluated at node (the context's node when NULL), whitespace stripped:
 * NULL when it is empty, as libvirt's virXPathString has it. */
char *apm_xpath_string(ApmXmlDoc *doc, xmlNodePtr node, const char *expr);
/* The elements an XPath expression selects at node (NULL: the context's node), in document order; an empty array
 * when none. */
GPtrArray *apm_xpath_nodes(ApmXmlDoc *doc, xmlNodePtr node, const char *expr);

/* How many elements an XPath expression selects at node (NULL: the context's node). */
guint apm_xpath_count(ApmXmlDoc *doc, xmlNodePtr node, const char *expr);
/* An attribute of node, or NULL. */
char *apm_xml_prop(xmlNodePtr node, const char *name);
/* Whether node is the element name. */
gboolean apm_xml_is(xmlNodePtr node, const char *name);

/* Checks the document against a RelaxNG schema of libvirt's (schema: a file name in libvirt's schema folder,
 * "nodedev.rng"); start, when not NULL, is a define of that schema's grammar the document must match instead of
 * its start (a <hostdev> alone against "domain.rng"'s "hostdev"). FALSE with APM_ERROR_INVALID quoting the
 * schema's complaints, or APM_ERROR_UNSUPPORTED when the schema is not installed. */
gboolean apm_xmldoc_validate(ApmXmlDoc *doc, const char *schema, const char *start, GError **error);
/* The folder of libvirt's schemas: $APMATRIX_SCHEMA_DIR, else the one of the libvirt built against. */
const char *apm_xml_schema_dir(void);

/* Appends text with &, <, >, ' and " escaped as libvirt escapes them in what it writes. */
void apm_xml_append_escaped(GString *out, const char *text);
