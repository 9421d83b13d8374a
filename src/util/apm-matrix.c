/* apm-matrix.c: AP matrices and the vfio_ap attribute text forms */
#include "config.h"
#include "apm-matrix.h"

#include <errno.h>

#include "apm-error.h"
#include "apm-i18n.h"

void
apm_matrix_clear(ApmMatrix *matrix)
{
    memset(matrix, 0, sizeof(*matrix));
}

gboolean
apm_matrix_equal(const ApmMatrix *a, const ApmMatrix *b)
{
    return apm_mask_equal(&a->adapters, &b->adapters) && apm_mask_equal(&a->domains, &b->domains) &&
           apm_mask_equal(&a->control_domains, &b->control_domains);
}

guint
apm_matrix_apqn_count(const ApmMatrix *matrix)
{
    return apm_mask_count(&matrix->adapters) * apm_mask_count(&matrix->domains);
}

gboolean
apm_matrix_has_apqn(const ApmMatrix *matrix, ApmApqn apqn)
{
    return apm_mask_test(&matrix->adapters, apqn.adapter) && apm_mask_test(&matrix->domains, apqn.domain);
}

void
apm_apqn_iter_init(ApmApqnIter *iter, const ApmMask *adapters, const ApmMask *domains)
{
    iter->adapters = adapters;
    iter->domains = domains;
    iter->adapter = apm_mask_next(adapters, 0);
    iter->domain = -1;
}

gboolean
apm_apqn_iter_next(ApmApqnIter *iter, ApmApqn *apqn)
{
    while (iter->adapter >= 0) {
        iter->domain = apm_mask_next(iter->domains, iter->domain + 1);
        if (iter->domain >= 0) {
            apqn->adapter = iter->adapter;
            apqn->domain = iter->domain;
            return TRUE;
        }
        iter->adapter = apm_mask_next(iter->adapters, iter->adapter + 1);
    }
    return FALSE;
}

void
apm_matrix_common_apqns(const ApmMatrix *a, const ApmMatrix *b, ApmMask *adapters, ApmMask *domains)
{
    apm_mask_and(adapters, &a->adapters, &b->adapters);
    apm_mask_and(domains, &a->domains, &b->domains);
    if (apm_mask_is_empty(adapters) || apm_mask_is_empty(domains)) {
        apm_mask_clear_all(adapters);
        apm_mask_clear_all(domains);
    }
}

char *
apm_matrix_format_apqns(const ApmMatrix *matrix)
{
    GString *out = g_string_new(NULL);
    gboolean have_adapters = !apm_mask_is_empty(&matrix->adapters);
    gboolean have_domains = !apm_mask_is_empty(&matrix->domains);

    if (have_adapters && have_domains) {
        ApmApqnIter iter;
        ApmApqn apqn;

        apm_apqn_iter_init(&iter, &matrix->adapters, &matrix->domains);
        while (apm_apqn_iter_next(&iter, &apqn))
            g_string_append_printf(out, "%02x.%04x\n", apqn.adapter, apqn.domain);
    } else if (have_adapters) {
        APM_MASK_FOREACH(a, &matrix->adapters)
            g_string_append_printf(out, "%02x.\n", a);
    } else if (have_domains) {
        APM_MASK_FOREACH(d, &matrix->domains)
            g_string_append_printf(out, ".%04x\n", d);
    }
    return g_string_free(out, FALSE);
}

/* Up to max_digits hex digits, value at most 255. */
static gboolean
parse_hex_field(const char *s, gsize len, gsize max_digits, guint *out)
{
    guint value = 0;

    if (len == 0 || len > max_digits)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isxdigit(s[i]))
            return FALSE;
        value = value * 16 + g_ascii_xdigit_value(s[i]);
    }
    if (value > 0xff)
        return FALSE;
    *out = value;
    return TRUE;
}

gboolean
apm_matrix_parse_apqns(const char *text, ApmMatrix *out, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    ApmMatrix matrix;
    gboolean saw_apqn = FALSE, saw_adapter_only = FALSE, saw_domain_only = FALSE;

    apm_matrix_clear(&matrix);
    for (guint i = 0; lines[i]; i++) {
        const char *line = lines[i];
        const char *dot = strchr(line, '.');
        gsize alen, dlen;
        guint a, d;

        if (!*line)
            continue;
        if (!dot)
            goto bad_line;
        alen = dot - line;
        dlen = strlen(dot + 1);
        if (alen && dlen) {
            if (!parse_hex_field(line, alen, 2, &a) || !parse_hex_field(dot + 1, dlen, 4, &d))
                goto bad_line;
            apm_mask_set(&matrix.adapters, a);
            apm_mask_set(&matrix.domains, d);
            saw_apqn = TRUE;
        } else if (alen) {
            if (!parse_hex_field(line, alen, 2, &a))
                goto bad_line;
            apm_mask_set(&matrix.adapters, a);
            saw_adapter_only = TRUE;
        } else if (dlen) {
            if (!parse_hex_field(dot + 1, dlen, 4, &d))
                goto bad_line;
            apm_mask_set(&matrix.domains, d);
            saw_domain_only = TRUE;
        } else {
            goto bad_line;
        }
        continue;

    bad_line:
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("Line %u of the matrix is not an APQN (05.0047), an adapter (05.) or a domain (.0047): '%s'"),
                    i + 1, line);
        return FALSE;
    }
    if ((saw_apqn && (saw_adapter_only || saw_domain_only)) || (saw_adapter_only && saw_domain_only)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("The matrix mixes APQN lines with adapter-only or domain-only lines"));
        return FALSE;
    }
    *out = matrix;
    return TRUE;
}

char *
apm_matrix_format_control_domains(const ApmMask *control_domains)
{
    GString *out = g_string_new(NULL);

    APM_MASK_FOREACH(d, control_domains)
        g_string_append_printf(out, "%04x\n", d);
    return g_string_free(out, FALSE);
}

gboolean
apm_matrix_parse_control_domains(const char *text, ApmMask *out, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    ApmMask mask = { { 0 } };

    for (guint i = 0; lines[i]; i++) {
        guint d;

        if (!*lines[i])
            continue;
        if (!parse_hex_field(lines[i], strlen(lines[i]), 4, &d)) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("Line %u of the control domains is not a domain number (00ab): '%s'"), i + 1, lines[i]);
            return FALSE;
        }
        apm_mask_set(&mask, d);
    }
    *out = mask;
    return TRUE;
}

char *
apm_matrix_format_ap_config(const ApmMatrix *matrix)
{
    char a[APM_MASK_HEX_LEN + 1], d[APM_MASK_HEX_LEN + 1], c[APM_MASK_HEX_LEN + 1];

    return g_strdup_printf("%s,%s,%s\n", apm_mask_format_hex(&matrix->adapters, a),
                           apm_mask_format_hex(&matrix->domains, d),
                           apm_mask_format_hex(&matrix->control_domains, c));
}

/* strsep(&rest, ",\n") followed by hex2bitmap, as parse_bitmap() in vfio_ap_ops.c. */
static int
parse_field(char **rest, ApmMask *mask)
{
    char *field;

    if (!*rest)
        return -EINVAL;
    field = *rest;
    *rest = strpbrk(field, ",\n");
    if (*rest) {
        **rest = '\0';
        (*rest)++;
    }
    return apm_mask_parse_hex(field, mask);
}

int
apm_matrix_parse_ap_config(const char *text, ApmMatrix *out)
{
    g_autofree char *buf = g_strndup(text, APM_AP_CONFIG_MAX_INPUT);
    char *rest = buf;
    ApmMatrix matrix;
    int rc;

    if ((rc = parse_field(&rest, &matrix.adapters)) < 0 || (rc = parse_field(&rest, &matrix.domains)) < 0 ||
        (rc = parse_field(&rest, &matrix.control_domains)) < 0)
        return rc;
    *out = matrix;
    return 0;
}

char *
apm_matrix_format_apqns_line(const ApmMatrix *matrix)
{
    char *apqns = apm_matrix_format_apqns(matrix);

    g_strdelimit(g_strchomp(apqns), "\n", ' ');
    return apqns;
}
