/* apm-hostmask.h: the AP bus masks (apmask, aqmask), active and persistent: what they give the host and what
 * vfio_ap, and changing them the way chzdev does, checked first so that the kernel never answers EBUSY */
#pragma once

#include <glib.h>

#include "apm-exec.h"
#include "apm-host.h"
#include "apm-progress.h"

/* The path of the persistent rule, as chzdev --type ap writes it (under the root) */
#define APM_HOSTMASK_RULES "/etc/udev/rules.d/41-ap.rules"

typedef struct {
    ApmMask apmask, aqmask;               /* active, now */
    ApmMask new_apmask, new_aqmask;       /* active, after */
    gboolean persistent;                  /* the rule changes too */
    ApmMask persistent_apmask, persistent_aqmask;         /* what the host boots with now */
    ApmMask new_persistent_apmask, new_persistent_aqmask; /* and after */
    guint to_host;                        /* queues that move to the host's default drivers */
    guint to_vfio;                        /* queues that move to vfio_ap */
    GPtrArray *refusals;                  /* sentences: why it cannot be done (nothing is written then) */
} ApmMaskPlan;

void apm_mask_plan_free(ApmMaskPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmMaskPlan, apm_mask_plan_free)

/* The APQNs the host's default drivers own under two masks: (adapter, domain) with both bits set. */
gboolean apm_hostmask_owns(const ApmMask *apmask, const ApmMask *aqmask, ApmApqn apqn);

/* Plans a change of the masks: spec in the kernel's syntax (absolute "0x..." or relative "+1,-0x20-0x2f"),
 * NULL to keep a mask. A spec the kernel would refuse is an APM_ERROR_INVALID error. The plan refuses to give
 * back to the host an APQN that an mdev holds (as the kernel's in_use check would, naming the mdev and its
 * guest), and with persistent, one that an autostart definition holds (as chzdev does). */
ApmMaskPlan *apm_hostmask_plan(const ApmHost *host, const char *apmask_spec, const char *aqmask_spec,
                               gboolean persistent, GError **error);

/* Carries out a plan made on host (a snapshot read under the host config lock, which the caller still holds):
 * the active masks (the bits that change, as relative writes), then a wait until the AP bus has bound every
 * queue that changed hands (reported to progress), then the persistent rule. A failed step takes back the
 * earlier ones. */
gboolean apm_hostmask_apply_locked(const ApmHost *host, const ApmMaskPlan *plan, ApmProgress *progress,
                                   GError **error);

/* Waits until every queue of the snapshot host whose owner changes under the masks apmask and aqmask is bound
 * as they say (to the host's default drivers, or to vfio_ap), up to timeout_ms; reported to progress. An
 * APM_ERROR_TIMEOUT names the first queue still waiting. */
gboolean apm_hostmask_wait_bound(const ApmHost *host, const ApmMask *apmask, const ApmMask *aqmask,
                                 guint timeout_ms, ApmProgress *progress, GError **error);

/* The text of a 41-ap.rules file setting the two masks at boot, in chzdev's layout */
char *apm_hostmask_format_rules(const ApmMask *apmask, const ApmMask *aqmask);
