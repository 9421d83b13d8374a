/* apm-apqn.h: an AP queue number, adapter and domain, in its "05.0047" text form */
#pragma once

#include <glib.h>

typedef struct {
    guint8 adapter;
    guint8 domain;
} ApmApqn;

#define APM_APQN_TEXT_LEN 7 /* "05.0047" */

/* "05.0047": 2 and 4 lowercase hex digits, as the kernel names queue devices. buf holds 8 bytes. */
char *apm_apqn_format(ApmApqn apqn, char *buf);

/* Accepts the kernel form and shorter hex forms ("5.47"), either case; both IDs at most 255. */
gboolean apm_apqn_parse(const char *text, ApmApqn *out, GError **error);

static inline guint
apm_apqn_index(ApmApqn apqn)
{
    return (guint) apqn.adapter << 8 | apqn.domain;
}

/* "05.0046-05.0048, 06.0046": APQNs given as ascending indexes (apm_apqn_index), runs of domains of one
 * adapter as ranges */
char *apm_apqn_format_ranges(const guint *indexes, guint count);
