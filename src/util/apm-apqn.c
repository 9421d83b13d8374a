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

char *
apm_apqn_format_ranges(const guint *indexes, guint count)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < count;) {
        guint first = indexes[i], last = first;
        char a[APM_APQN_TEXT_LEN + 1], b[APM_APQN_TEXT_LEN + 1];

        while (i + 1 < count && indexes[i + 1] == last + 1 && (last & 0xff) != 0xff)
            last = indexes[++i];
        i++;
        apm_apqn_format((ApmApqn) { first >> 8, first & 0xff }, a);
        if (last == first)
            g_string_append_printf(s, "%s%s", s->len ? ", " : "", a);
        else
            g_string_append_printf(s, "%s%s-%s", s->len ? ", " : "", a,
                                   apm_apqn_format((ApmApqn) { last >> 8, last & 0xff }, b));
    }
    return g_string_free(s, FALSE);
}
