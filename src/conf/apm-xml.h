/* apm-xml.h: what the XML formats of src/conf share: a safe reader and small node helpers */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

/* Parses a document of at most max_length bytes with no network, no entity expansion and no DTD; what names the
 * document in messages ("node device document", "domain XML"). NULL with APM_ERROR_INVALID saying why. */
xmlDoc *apm_xml_read(const char *xml, gsize length, gsize max_length, const char *what, GError **error);

/* The root element of a document read by apm_xml_read, and the document freed */
xmlNode *apm_xml_root(xmlDoc *doc);
void apm_xml_free(xmlDoc *doc);
/* An element's text, whitespace stripped. */
char *apm_xml_node_text(xmlNode *node);
/* An attribute's value, or NULL. */
char *apm_xml_prop(xmlNode *node, const char *name);
/* Whether node is the element name. */
gboolean apm_xml_is(xmlNode *node, const char *name);
/* Appends text with &, <, >, ' and " escaped as libvirt escapes them. */
void apm_xml_append_escaped(GString *out, const char *text);
