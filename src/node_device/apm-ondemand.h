/* apm-ondemand.h: mdevs started on demand for a guest (attach-device of a defined mdev, the libvirt hook).
 * ROOT/run/apmatrix/on-demand/<uuid> names the guest, and says "starting" from before the first write of the start
 * until it is done: a start killed half way leaves a record that the next command holding the host config lock
 * sees and repairs, and a finished one is stopped when its guest lets it go. */
#pragma once

#include <glib.h>

#include "apm-uuid.h"

typedef struct {
    ApmUuid uuid;
    char *guest;
    gboolean starting; /* the start that wrote it has not finished (or was killed) */
} ApmOnDemand;

void apm_ondemand_free(ApmOnDemand *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmOnDemand, apm_ondemand_free)

/* Writes the record, atomically: "starting" (before a start's first write) or started (once it is done) */
gboolean apm_ondemand_write(const char *root, const ApmUuid *uuid, const char *guest, gboolean starting,
                            GError **error);
/* The record of uuid, or NULL when there is none (or none that can be read) */
ApmOnDemand *apm_ondemand_read(const char *root, const ApmUuid *uuid);
void apm_ondemand_remove(const char *root, const ApmUuid *uuid);
/* Every record, by UUID */
GPtrArray *apm_ondemand_list(const char *root);

/* With the host config lock held: every start a killed command left "starting" is taken back (its mdev, when there
 * is one, removed) or, when a guest uses that mdev by now, finished (its definition's matrix applied live), and the
 * record dropped or marked started. A sentence for each goes to repaired (may be NULL). */
void apm_ondemand_repair(const char *root, GPtrArray *repaired);
