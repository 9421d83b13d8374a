/* apm-error.c: the project's GError domains */
#include "apm-error.h"

#include <stdarg.h>

G_DEFINE_QUARK(apm-error-quark, apm_error)
G_DEFINE_QUARK(apm-errno-error-quark, apm_errno_error)

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
