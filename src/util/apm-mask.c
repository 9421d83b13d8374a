/* apm-mask.c: 256-bit AP ID masks and the kernel's text forms (ap_bus.c hex2bitmap, modify_bitmap) */
#include "config.h"
#include "apm-mask.h"

#include <errno.h>

#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-kstrto.h"

#define BIT_OF(id) (G_GUINT64_CONSTANT(1) << (63 - ((id) % 64)))

void
apm_mask_clear_all(ApmMask *mask)
{
    memset(mask, 0, sizeof(*mask));
}

void
apm_mask_set_all(ApmMask *mask)
{
    memset(mask, 0xff, sizeof(*mask));
}

void
apm_mask_set(ApmMask *mask, guint id)
{
    g_return_if_fail(id < APM_MASK_BITS);
    mask->w[id / 64] |= BIT_OF(id);
}

void
apm_mask_clear(ApmMask *mask, guint id)
{
    g_return_if_fail(id < APM_MASK_BITS);
    mask->w[id / 64] &= ~BIT_OF(id);
}

gboolean
apm_mask_test(const ApmMask *mask, guint id)
{
    if (id >= APM_MASK_BITS)
        return FALSE;
    return (mask->w[id / 64] & BIT_OF(id)) != 0;
}

void
apm_mask_set_range(ApmMask *mask, guint low, guint high)
{
    for (guint id = low; id <= high && id < APM_MASK_BITS; id++)
        apm_mask_set(mask, id);
}

guint
apm_mask_count(const ApmMask *mask)
{
    guint n = 0;

    for (int i = 0; i < 4; i++)
        n += __builtin_popcountll(mask->w[i]);
    return n;
}

gboolean
apm_mask_is_empty(const ApmMask *mask)
{
    return !(mask->w[0] | mask->w[1] | mask->w[2] | mask->w[3]);
}

gboolean
apm_mask_is_full(const ApmMask *mask)
{
    return (mask->w[0] & mask->w[1] & mask->w[2] & mask->w[3]) == G_MAXUINT64;
}

gboolean
apm_mask_equal(const ApmMask *a, const ApmMask *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

gboolean
apm_mask_intersects(const ApmMask *a, const ApmMask *b)
{
    for (int i = 0; i < 4; i++)
        if (a->w[i] & b->w[i])
            return TRUE;
    return FALSE;
}

gboolean
apm_mask_is_subset(const ApmMask *sub, const ApmMask *super)
{
    for (int i = 0; i < 4; i++)
        if (sub->w[i] & ~super->w[i])
            return FALSE;
    return TRUE;
}

void
apm_mask_and(ApmMask *out, const ApmMask *a, const ApmMask *b)
{
    for (int i = 0; i < 4; i++)
        out->w[i] = a->w[i] & b->w[i];
}

void
apm_mask_or(ApmMask *out, const ApmMask *a, const ApmMask *b)
{
    for (int i = 0; i < 4; i++)
        out->w[i] = a->w[i] | b->w[i];
}

void
apm_mask_andnot(ApmMask *out, const ApmMask *a, const ApmMask *b)
{
    for (int i = 0; i < 4; i++)
        out->w[i] = a->w[i] & ~b->w[i];
}

int
apm_mask_next(const ApmMask *mask, int from)
{
    if (from < 0)
        from = 0;
    for (int i = from / 64; i < 4; i++) {
        guint64 word = mask->w[i];

        if (i == from / 64 && from % 64)
            word &= G_MAXUINT64 >> (from % 64);
        if (word)
            return i * 64 + __builtin_clzll(word);
    }
    return -1;
}

int
apm_mask_last(const ApmMask *mask)
{
    for (int i = 3; i >= 0; i--)
        if (mask->w[i])
            return i * 64 + 63 - __builtin_ctzll(mask->w[i]);
    return -1;
}

char *
apm_mask_format_hex(const ApmMask *mask, char *buf)
{
    g_snprintf(buf, APM_MASK_HEX_LEN + 1, "0x%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER
               "x%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x",
               mask->w[0], mask->w[1], mask->w[2], mask->w[3]);
    return buf;
}

char *
apm_mask_to_hex(const ApmMask *mask)
{
    char *buf = g_malloc(APM_MASK_HEX_LEN + 1);

    return apm_mask_format_hex(mask, buf);
}

int
apm_mask_parse_hex(const char *str, ApmMask *out)
{
    ApmMask mask = { { 0 } };
    guint i = 0;

    if (str[0] == '0' && str[1] == 'x')
        str++;
    if (*str == 'x')
        str++;
    for (; g_ascii_isxdigit(*str) && i < APM_MASK_BITS; str++, i += 4) {
        int nibble = g_ascii_xdigit_value(*str);

        for (int n = 0; n < 4; n++)
            if (nibble & (0x08 >> n))
                apm_mask_set(&mask, i + n);
    }
    if (*str == '\n')
        str++;
    if (*str)
        return -EINVAL;
    *out = mask;
    return 0;
}

/* modify_bitmap(): "+a", "-a", "+a-z" terms separated by runs of ',' or '\n', applied left to right. */
static int
modify_mask(const char *str, ApmMask *mask)
{
    while (*str) {
        const char *end;
        char sign = *str++;
        guint64 a, z;

        if (sign != '+' && sign != '-')
            return -EINVAL;
        a = z = apm_simple_strtoul(str, &end, 0);
        if (str == end || a >= APM_MASK_BITS)
            return -EINVAL;
        str = end;
        if (*str == '-') {
            str++;
            z = apm_simple_strtoul(str, &end, 0);
            if (str == end || a > z || z >= APM_MASK_BITS)
                return -EINVAL;
            str = end;
        }
        for (guint64 id = a; id <= z; id++) {
            if (sign == '+')
                apm_mask_set(mask, id);
            else
                apm_mask_clear(mask, id);
        }
        while (*str == ',' || *str == '\n')
            str++;
    }
    return 0;
}

int
apm_mask_parse_kernel(const char *text, const ApmMask *current, ApmMask *out)
{
    if (*text == '+' || *text == '-') {
        ApmMask mask = *current;
        int rc = modify_mask(text, &mask);

        if (rc == 0)
            *out = mask;
        return rc;
    }
    return apm_mask_parse_hex(text, out);
}

static gboolean
parse_list_number(const char *text, guint max_id, const char *what, guint *out, GError **error)
{
    g_autofree char *token = g_strstrip(g_strdup(text));
    guint64 value;
    int rc;

    if (!*token) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Empty %s number in the list"), what);
        return FALSE;
    }
    rc = apm_kstrtoul(token, 0, &value);
    if (rc < 0 || token[0] == '+') {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("'%s' is not a valid %s number (use decimal, 0x hex or 0 octal)"), token, what);
        return FALSE;
    }
    if (value > max_id) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("%s %s is out of range: the highest allowed is %u (0x%02x)"), what, token, max_id, max_id);
        return FALSE;
    }
    *out = (guint) value;
    return TRUE;
}

gboolean
apm_mask_parse_list(const char *text, guint max_id, const char *what, ApmMask *out, GError **error)
{
    g_auto(GStrv) terms = NULL;
    ApmMask mask = { { 0 } };

    g_return_val_if_fail(max_id < APM_MASK_BITS, FALSE);
    g_autofree char *trimmed = g_strstrip(g_strdup(text ? text : ""));

    if (!*trimmed) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The %s list is empty"), what);
        return FALSE;
    }
    terms = g_strsplit(trimmed, ",", -1);
    for (guint i = 0; terms[i]; i++) {
        /* A range separator is a '-' after the first character, so that "-5" is reported as garbage. */
        char *dash = terms[i][0] ? strchr(terms[i] + 1, '-') : NULL;
        guint low, high;

        if (dash) {
            *dash = '\0';
            if (!parse_list_number(terms[i], max_id, what, &low, error) ||
                !parse_list_number(dash + 1, max_id, what, &high, error))
                return FALSE;
            if (low > high) {
                g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                            _("The %s range %u-%u runs backwards"), what, low, high);
                return FALSE;
            }
        } else {
            if (!parse_list_number(terms[i], max_id, what, &low, error))
                return FALSE;
            high = low;
        }
        apm_mask_set_range(&mask, low, high);
    }
    *out = mask;
    return TRUE;
}

static void
append_id(GString *out, guint id, ApmListBase base)
{
    if (base == APM_LIST_HEX)
        g_string_append_printf(out, "0x%02x", id);
    else
        g_string_append_printf(out, "%u", id);
}

char *
apm_mask_format_list(const ApmMask *mask, ApmListBase base)
{
    GString *out = g_string_new(NULL);
    int id = apm_mask_next(mask, 0);

    while (id >= 0) {
        int end = id;

        while (end + 1 < APM_MASK_BITS && apm_mask_test(mask, end + 1))
            end++;
        if (out->len)
            g_string_append_c(out, ',');
        append_id(out, id, base);
        if (end - id >= 2) {
            g_string_append_c(out, '-');
            append_id(out, end, base);
        } else if (end - id == 1) {
            g_string_append_c(out, ',');
            append_id(out, end, base);
        }
        id = apm_mask_next(mask, end + 1);
    }
    return g_string_free(out, FALSE);
}

char *
apm_mask_format_relative(const ApmMask *ids, char sign)
{
    GString *s = g_string_new(NULL);

    APM_MASK_FOREACH(id, ids) {
        g_string_append_printf(s, "%s%c0x%02x", s->len ? "," : "", sign, id);
    }
    return g_string_free(s, FALSE);
}
