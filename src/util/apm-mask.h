/* apm-mask.h: 256-bit AP ID masks (adapters, domains, control domains) and their kernel text forms */
#pragma once

#include <glib.h>

#define APM_MASK_BITS 256
#define APM_MASK_HEX_LEN 66 /* "0x" + 64 hex digits */

/* Bit for ID i lives in word i / 64 at position 63 - i % 64, so that the words printed in order give the
 * kernel's left-to-right form (ID 0 is the leftmost bit). */
typedef struct {
    guint64 w[4];
} ApmMask;

void apm_mask_clear_all(ApmMask *mask);
void apm_mask_set_all(ApmMask *mask);
void apm_mask_set(ApmMask *mask, guint id);
void apm_mask_clear(ApmMask *mask, guint id);
gboolean apm_mask_test(const ApmMask *mask, guint id);
void apm_mask_set_range(ApmMask *mask, guint low, guint high);
guint apm_mask_count(const ApmMask *mask);
gboolean apm_mask_is_empty(const ApmMask *mask);
gboolean apm_mask_is_full(const ApmMask *mask);
gboolean apm_mask_equal(const ApmMask *a, const ApmMask *b);
gboolean apm_mask_intersects(const ApmMask *a, const ApmMask *b);
gboolean apm_mask_is_subset(const ApmMask *sub, const ApmMask *super);
/* out may alias a or b. */
void apm_mask_and(ApmMask *out, const ApmMask *a, const ApmMask *b);
void apm_mask_or(ApmMask *out, const ApmMask *a, const ApmMask *b);
void apm_mask_andnot(ApmMask *out, const ApmMask *a, const ApmMask *b);
/* The highest set ID, or -1 when empty. */
int apm_mask_last(const ApmMask *mask);
/* The lowest set ID >= from, or -1. */
int apm_mask_next(const ApmMask *mask, int from);

#define APM_MASK_FOREACH(id, mask) \
    for (int id = apm_mask_next((mask), 0); id >= 0; id = apm_mask_next((mask), id + 1))

/* The kernel's read form: "0x" + 64 lowercase hex digits, no newline. buf must hold APM_MASK_HEX_LEN + 1. */
char *apm_mask_format_hex(const ApmMask *mask, char *buf);
char *apm_mask_to_hex(const ApmMask *mask);

/* The kernel's hex2bitmap(): the mask starts at zero; an optional "0x" or lone "x"; hex digits fill it from
 * the left, 4 bits each, at most 64; one trailing newline; anything else is -EINVAL. An empty string gives
 * the empty mask. Returns 0 or -EINVAL; *out is untouched on error. */
int apm_mask_parse_hex(const char *text, ApmMask *out);

/* The kernel's apmask/aqmask store syntax (ap_parse_bitmap_str): text starting with '+' or '-' is a list
 * of relative terms applied to current ("+0,-6,+0x47,-0xf0", "+4-7"); anything else is the absolute hex
 * form. Returns 0 or -EINVAL; *out is untouched on error. */
int apm_mask_parse_kernel(const char *text, const ApmMask *current, ApmMask *out);

/* Human ID lists: "5,0x47,10-12" (numbers in base 0 as kstrtoul takes them, ranges low-high, spaces around
 * terms allowed). Every ID must be <= max_id. what names the list in messages ("adapter", "domain"). */
gboolean apm_mask_parse_list(const char *text, guint max_id, const char *what, ApmMask *out, GError **error);

typedef enum {
    APM_LIST_DECIMAL, /* 5,71,10-12 */
    APM_LIST_HEX,     /* 0x05,0x47,0x0a-0x0c */
} ApmListBase;

/* The IDs of ids as terms of the kernel's relative form, each with sign ('+' or '-'): "+0x05,+0x47"; "" when
 * empty. No newline. */
char *apm_mask_format_relative(const ApmMask *ids, char sign);

/* The inverse of apm_mask_parse_list: ascending, runs of three or more as ranges; "" when empty. */
char *apm_mask_format_list(const ApmMask *mask, ApmListBase base);
