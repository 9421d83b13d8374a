/* apm-i18n.c: gettext set-up */
#include "apm-i18n.h"

#include <locale.h>

void
apm_i18n_init(void)
{
    const char *localedir = g_getenv("APMATRIX_LOCALEDIR");

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}
