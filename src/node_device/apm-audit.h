/* apm-audit.h: a whole-host audit for `apmatrix check`: what is wrong, and the command that puts it right */
#pragma once

#include <glib.h>

#include "apm-host.h"

typedef enum {
    APM_FINDING_ERROR,   /* something fails now or at the next boot */
    APM_FINDING_WARNING, /* wasted or fragile, but nothing fails yet */
} ApmSeverity;

typedef struct {
    const char *kind;    /* stable name for scripts: "autostart-overlap", "persistent-mask-blocks", "guest-lacks-apqns",
                          * "unassigned-vfio-queues", "definition-not-configured", "stale-lock",
                          * "corrupt-definition", "mdev-differs-from-definition", "start-interrupted",
                          * "on-demand-unheld", "pool-drift", "corrupt-pool" */
    ApmSeverity severity;
    char *subject;       /* what it is about: an mdev UUID, a lock path, a file */
    char *message;
    char *fix;           /* the command (or step) that fixes it */
} ApmFinding;

void apm_finding_free(ApmFinding *finding);

/* The findings on host (a snapshot that the caller may have annotated with guests), in a stable order. */
GPtrArray *apm_audit(const ApmHost *host);
