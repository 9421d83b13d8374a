/* apm-matrix.h: an AP matrix (adapters x usage domains, plus control domains) and its kernel text forms */
#pragma once

#include <glib.h>

#include "apm-apqn.h"
#include "apm-mask.h"

typedef struct {
    ApmMask adapters;
    ApmMask domains;
    ApmMask control_domains;
} ApmMatrix;

void apm_matrix_clear(ApmMatrix *matrix);
gboolean apm_matrix_equal(const ApmMatrix *a, const ApmMatrix *b);
/* Number of APQNs in the cross product adapters x domains. */
guint apm_matrix_apqn_count(const ApmMatrix *matrix);
gboolean apm_matrix_has_apqn(const ApmMatrix *matrix, ApmApqn apqn);

/* Iterates the cross product of two masks, adapter-major, ascending (the kernel's matrix order). */
typedef struct {
    const ApmMask *adapters;
    const ApmMask *domains;
    int adapter;
    int domain;
} ApmApqnIter;

void apm_apqn_iter_init(ApmApqnIter *iter, const ApmMask *adapters, const ApmMask *domains);
gboolean apm_apqn_iter_next(ApmApqnIter *iter, ApmApqn *apqn);

/* The APQNs present in both cross products. */
void apm_matrix_common_apqns(const ApmMatrix *a, const ApmMatrix *b, ApmMask *adapters, ApmMask *domains);

/* The mdev `matrix` / `guest_matrix` read form: one "05.0047" line per APQN; "05." lines when only
 * adapters are set; ".0047" lines when only domains are; "" when neither. Control domains are ignored. */
char *apm_matrix_format_apqns(const ApmMatrix *matrix);
/* The same on one line, the APQNs separated by spaces ("00.0002 01.0002"; "" when none) */
char *apm_matrix_format_apqns_line(const ApmMatrix *matrix);

/* Parses that form back (each line one of the three shapes, either case). Only adapters and domains are
 * filled; control_domains is cleared. */
gboolean apm_matrix_parse_apqns(const char *text, ApmMatrix *out, GError **error);

/* The `control_domains` read form: one "00ab" line per control domain. */
char *apm_matrix_format_control_domains(const ApmMask *control_domains);
gboolean apm_matrix_parse_control_domains(const char *text, ApmMask *out, GError **error);

/* The `ap_config` read form: "0x<64>,0x<64>,0x<64>\n" (adapters, domains, control domains). */
char *apm_matrix_format_ap_config(const ApmMatrix *matrix);

#define APM_AP_CONFIG_MAX_INPUT 201 /* AP_CONFIG_STRLEN: the kernel reads no more than this */

/* The `ap_config` store parser (ap_config_store, parse_bitmap): at most 201 bytes are looked at; three
 * fields split at ',' or '\n', each in hex2bitmap form; an empty field is an empty mask; text after the
 * third field is ignored. Returns 0 or -EINVAL. */
int apm_matrix_parse_ap_config(const char *text, ApmMatrix *out);
