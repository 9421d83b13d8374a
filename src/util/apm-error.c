/* apm-error.c: the project's GError domains */
#include "apm-error.h"

#include <stdarg.h>

/* As G_DEFINE_QUARK, with the cached value loaded and stored atomically: the guest-listing threads may make the
 * first error of a process at the same time (ThreadSanitizer would see G_DEFINE_QUARK's plain cache race) */
static GQuark
cached_quark(GQuark *cache, const char *name)
{
    GQuark q = __atomic_load_n(cache, __ATOMIC_ACQUIRE);

    if (!q) {
        q = g_quark_from_static_string(name);
        __atomic_store_n(cache, q, __ATOMIC_RELEASE);
    }
    return q;
}

GQuark
apm_error_quark(void)
{
    static GQuark q;

    return cached_quark(&q, "apm-error-quark");
}

GQuark
apm_errno_error_quark(void)
{
    static GQuark q;

    return cached_quark(&q, "apm-errno-error-quark");
}

void
apm_set_errno_error(GError **error, int errnum, const char *format, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    if (!error)
        return;
    va_start(ap, format);
    what = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(error, APM_ERRNO_ERROR, errnum, "%s: %s", what, g_strerror(errnum));
}

int
apm_error_errno(const GError *error)
{
    if (error && error->domain == APM_ERRNO_ERROR)
        return error->code;
    return 0;
}
