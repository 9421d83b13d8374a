/* apm-kstrto.h: integer parsing exactly as the kernel's kstrtoul() and simple_strtoul() do it */
#pragma once

#include <glib.h>

/* The kernel's kstrtoul(s, base, &res): an optional '+', digits in base (base 0: "0x" hex, leading-zero
 * octal, else decimal), one optional trailing newline, nothing else. Returns 0, -EINVAL (garbage or no
 * digits) or -ERANGE (does not fit in 64 bits). */
int apm_kstrtoul(const char *s, unsigned int base, guint64 *res);

/* The kernel's simple_strtoul(cp, &endp, base): parses as many digits as it can, never fails; *endp
 * points after the last digit (at cp when there was none). Overflow wraps, as in the kernel. */
guint64 apm_simple_strtoul(const char *cp, const char **endp, unsigned int base);
