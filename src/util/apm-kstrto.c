/* apm-kstrto.c: kstrtoul() and simple_strtoul() with the kernel's rules (lib/kstrtox.c, lib/vsprintf.c) */
#include "apm-kstrto.h"

#include <errno.h>

#define PARSE_OVERFLOW (1u << 31)

/* base 0 becomes 8, 10 or 16 from the prefix; a "0x" prefix is skipped only when a hex digit follows. */
static const char *
fixup_radix(const char *s, unsigned int *base)
{
    if (*base == 0) {
        if (s[0] == '0') {
            if (g_ascii_tolower(s[1]) == 'x' && g_ascii_isxdigit(s[2]))
                *base = 16;
            else
                *base = 8;
        } else {
            *base = 10;
        }
    }
    if (*base == 16 && s[0] == '0' && g_ascii_tolower(s[1]) == 'x')
        s += 2;
    return s;
}

/* Returns the number of digits consumed, with PARSE_OVERFLOW or'ed in when the value did not fit. */
static unsigned int
parse_digits(const char *s, unsigned int base, guint64 *res)
{
    guint64 value = 0;
    unsigned int consumed = 0;

    for (;; s++) {
        char c = g_ascii_tolower(*s);
        unsigned int digit;

        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else
            break;
        if (digit >= base)
            break;
        if ((value & (G_MAXUINT64 << 60)) && value > (G_MAXUINT64 - digit) / base)
            consumed |= PARSE_OVERFLOW;
        value = value * base + digit;
        consumed++;
    }
    *res = value;
    return consumed;
}

int
apm_kstrtoul(const char *s, unsigned int base, guint64 *res)
{
    guint64 value;
    unsigned int rv;

    if (s[0] == '+')
        s++;
    s = fixup_radix(s, &base);
    rv = parse_digits(s, base, &value);
    if (rv & PARSE_OVERFLOW)
        return -ERANGE;
    if (rv == 0)
        return -EINVAL;
    s += rv;
    if (*s == '\n')
        s++;
    if (*s)
        return -EINVAL;
    *res = value;
    return 0;
}

guint64
apm_simple_strtoul(const char *cp, const char **endp, unsigned int base)
{
    guint64 value;
    unsigned int rv;

    cp = fixup_radix(cp, &base);
    rv = parse_digits(cp, base, &value);
    cp += rv & ~PARSE_OVERFLOW;
    if (endp)
        *endp = cp;
    return value;
}
