/* apm-libxml.c: libxml2 loaded on demand through GModule */
#include "config.h"
#include "apm-libxml.h"

#include <gmodule.h>

#include "apm-error.h"
#include "apm-i18n.h"

static ApmLibxml table;
static char *load_error;

static gpointer
load(gpointer data)
{
    GModule *module = g_module_open("libxml2.so.2", G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);

    (void) data;
    if (!module) {
        load_error = g_strdup(g_module_error());
        return NULL;
    }
#define RESOLVE(name)                                                                                             \
    if (!g_module_symbol(module, "xml" #name, (gpointer *) &table.name)) {                                       \
        load_error = g_strdup(g_module_error());                                                                 \
        return NULL;                                                                                              \
    }
    APM_LIBXML_FUNCTIONS(RESOLVE)
#undef RESOLVE
    if (!g_module_symbol(module, "xmlFree", (gpointer *) &table.Free)) {
        load_error = g_strdup(g_module_error());
        return NULL;
    }
    /* the library stays loaded for the life of the process */
    g_module_make_resident(module);
    return &table;
}

const ApmLibxml *
apm_libxml_load(GError **error)
{
    static GOnce once = G_ONCE_INIT;
    const ApmLibxml *x = g_once(&once, load, NULL);

    if (!x)
        g_set_error(error, APM_ERROR, APM_ERROR_UNSUPPORTED,
                    _("The XML library (libxml2.so.2) cannot be loaded: %s"), load_error);
    return x;
}

const ApmLibxml *
apm_libxml(void)
{
    const ApmLibxml *x = apm_libxml_load(NULL);

    g_assert(x);
    return x;
}
