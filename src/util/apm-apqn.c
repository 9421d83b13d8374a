/* apm-apqn.c: APQN text form */
#include "config.h"
#include "apm-apqn.h"

#include "apm-error.h"
#include "apm-i18n.h"

char *
apm_apqn_format(ApmApqn apqn, char *buf)
{
    g_snprintf(buf, APM_APQN_TEXT_LEN + 1, "%02x.%04x", apqn.adapter, apqn.domain);
    return buf;
}

static gboolean
parse_hex_id(const char *s, gsize len, gsize max_digits, guint *out)
{
    guint value = 0;

    if (len == 0 || len > max_digits)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
        value = value * 16 + g_ascii_xdigit_value(s[i]);
    }
    *out = value;
    return TRUE;
}

gboolean
apm_apqn_parse(const char *text, ApmApqn *out, GError **error)
{
    const char *dot = strchr(text, '.');
    guint adapter, domain;

    if (!dot || !parse_hex_id(text, dot - text, 2, &adapter) ||
        !parse_hex_id(dot + 1, strlen(dot + 1), 4, &domain) || domain > 0xff) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("'%s' is not an APQN: expected adapter.domain in hex, like 05.0047"), text);
        return FALSE;
    }
    out->adapter = adapter;
    out->domain = domain;
    return TRUE;
}
