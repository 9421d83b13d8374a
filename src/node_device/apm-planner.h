/* apm-planner.h: turns a request into the ordered sysfs writes that carry it out, after checking every rule
 * the kernel (and ap-check) would apply, so that nothing is written when anything would be refused */
#pragma once

#include <glib.h>

#include "apm-host.h"
#include "apm-mdevctl.h"

/* The matrix an mdev definition asks for: assign_adapter/assign_domain/assign_control_domain values (numbers
 * in base 0, comma lists as ap-check reads them) and ap_config (which replaces everything). */
gboolean apm_matrix_from_config(const ApmMdevConfig *config, ApmMatrix *matrix, GError **error);

typedef struct {
    char *attr;  /* relative to the mdev's folder, or "create" for the type's create attribute */
    char *value;
} ApmWrite;

typedef struct {
    ApmUuid uuid;
    ApmMatrix matrix;       /* what the mdev will hold */
    ApmMatrix guest_matrix; /* what a guest would get, as the kernel will filter it */
    GPtrArray *writes;      /* ApmWrite, in order */
    GPtrArray *refusals;    /* sentences: why it cannot be done */
    GPtrArray *warnings;    /* sentences: what will not reach a guest, and why */
} ApmPlan;

void apm_plan_free(ApmPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmPlan, apm_plan_free)

/* Plans starting a definition as mdev uuid on host. Always returns a plan; refusals say what is wrong (limits,
 * APQNs of other mdevs, APQNs the host's default drivers hold, control domains without a usage domain, and for
 * autostart definitions overlaps with other autostart definitions). An error only for a definition that
 * cannot be read at all. */
ApmPlan *apm_plan_start(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error);

/* Plans defining (or modifying the definition of) an mdev: only what a definition itself can violate is
 * refused (limits, control domains without a usage domain, and for autostart definitions overlaps with other
 * autostart definitions, ap-check's rule); what is busy on the host now is for the start to check. No writes:
 * a definition lives in the store. */
ApmPlan *apm_plan_define(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error);

/* The refusals as one error (APM_ERROR_CONFLICT), or TRUE when there are none. */
gboolean apm_plan_check(const ApmPlan *plan, GError **error);
