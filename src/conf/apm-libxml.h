/* apm-libxml.h: libxml2, loaded when the first document is read rather than at every start of a tool: with ICU,
 * which Debian's libxml2 links, it costs more to load than most apmatrix commands take to run, and most of them
 * read no XML at all */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#define APM_LIBXML_FUNCTIONS(X)                                                                                 \
    X(ReadMemory) X(GetLastError) X(FreeDoc) X(NodeGetContent) X(GetProp) X(StrEqual) X(DocGetRootElement)      \
    X(XPathNewContext) X(XPathEvalExpression) X(XPathFreeObject) X(XPathFreeContext)

typedef struct {
#define APM_LIBXML_DECLARE(name) __typeof__(&xml##name) name;
    APM_LIBXML_FUNCTIONS(APM_LIBXML_DECLARE)
#undef APM_LIBXML_DECLARE
    xmlFreeFunc *Free; /* libxml2's deallocator (a variable of the library) */
} ApmLibxml;

/* libxml2's functions, loaded on first use (thread-safe); NULL with an APM_ERROR_UNSUPPORTED error when the
 * library cannot be loaded */
const ApmLibxml *apm_libxml_load(GError **error);
/* The same, for code that runs only once a document was read (the library is loaded then) */
const ApmLibxml *apm_libxml(void);
