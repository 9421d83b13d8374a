/* apm-planner.h: turns a request into the ordered sysfs writes that carry it out, after checking every rule
 * the kernel (and ap-check) would apply, so that nothing is written when anything would be refused */
#pragma once

#include <glib.h>

#include "apm-host.h"
#include "apm-mdevctl.h"

/* The matrix an mdev definition leaves, its attributes written in order (apm_matrix_from_attrs). */
gboolean apm_matrix_from_config(const ApmMdevConfig *config, ApmMatrix *matrix, GError **error);

typedef struct {
    char *attr;  /* relative to the mdev's folder, or "create" for the type's create attribute */
    char *value;
    char *undo_attr;  /* the write that takes this one back, or NULL when none can (remove) */
    char *undo_value;
} ApmWrite;

typedef enum {
    APM_PLAN_DEFINE,      /* no writes: a definition lives in the store */
    APM_PLAN_START,       /* create, then the matrix */
    APM_PLAN_UPDATE_LIVE, /* the running mdev's matrix changes in place */
    APM_PLAN_STOP,        /* remove */
} ApmPlanKind;

typedef struct {
    ApmPlanKind kind;
    ApmUuid uuid;
    ApmMatrix matrix;       /* what the mdev will hold */
    ApmMatrix touched;      /* every ID the request names (an unassign too): each within the host's limits */
    ApmMatrix old_matrix;   /* what it holds now (update, stop) */
    ApmMatrix guest_matrix; /* what a guest would get, as the kernel will filter it */
    GPtrArray *writes;      /* ApmWrite, in order */
    GPtrArray *refusals;    /* sentences: why it cannot be done */
    GPtrArray *warnings;    /* sentences: what will not reach a guest, and why */
} ApmPlan;

void apm_plan_free(ApmPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmPlan, apm_plan_free)

/* Plans starting a definition as mdev uuid on host. Always returns a plan; refusals say what the live host refuses
 * (limits, APQNs of other mdevs, APQNs the host's default drivers hold, control domains without a usage domain);
 * for an autostart definition, what only the persistent configuration says against it (another autostart
 * definition with the same queue, persistent masks) is a warning, as ap-check lets the start pass. An error only
 * for a definition that cannot be read at all. */
ApmPlan *apm_plan_start(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error);

/* Plans defining (or modifying the definition of) an mdev: only what a definition itself can violate is
 * refused (limits, control domains without a usage domain, and for autostart definitions overlaps with other
 * autostart definitions, ap-check's rule); what is busy on the host now is for the start to check. No writes:
 * a definition lives in the store. */
ApmPlan *apm_plan_define(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error);

/* Plans changing the matrix of the active mdev uuid in place to what config asks for (a live update: the
 * guest using it sees adapters and domains come and go). The same checks as a start, for the APQNs the mdev
 * gains; one ap_config write where the driver offers it, else unassigns (control domains, domains, adapters)
 * and then assigns (adapters, domains, control domains), each undoable. */
ApmPlan *apm_plan_update_live(const ApmHost *host, const ApmUuid *uuid, const ApmMdevConfig *config,
                              GError **error);

/* Plans removing the active mdev uuid. Refused while a guest uses it (named when known): the kernel's remove would
 * block until the guest lets go. */
ApmPlan *apm_plan_stop(const ApmHost *host, const ApmUuid *uuid);

/* The kernel's filter applied to matrix on host: the guest matrix a guest would get, and a sentence for each
 * adapter or domain it would lack, saying why (not in the host configuration; a queue not bound to vfio_ap, so
 * the whole adapter goes). */
GPtrArray *apm_plan_filter_reasons(const ApmHost *host, const ApmMatrix *matrix, ApmMatrix *guest_matrix);

/* Words for who holds an mdev: "mdev U (used by guest G)" or "mdev U". */
char *apm_plan_describe_owner(const ApmMdevInfo *mdev);

/* The refusals as one error (APM_ERROR_CONFLICT), or TRUE when there are none. */
gboolean apm_plan_check(const ApmPlan *plan, GError **error);
gboolean apm_refusals_check(const GPtrArray *refusals, GError **error);
