/* apm-i18n.c: gettext set-up */
#include "apm-i18n.h"

#include <locale.h>

void
apm_i18n_init(void)
{
    const char *localedir = g_getenv("APMATRIX_LOCALEDIR");

    /* the user's language and character set only: numbers, times and sorting stay as the C locale has them,
     * because what apmatrix prints is also read by programs (XML, JSON, SVG with "%.1f" coordinates) */
    setlocale(LC_CTYPE, "");
    setlocale(LC_MESSAGES, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}
