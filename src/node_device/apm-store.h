/* apm-store.h: the persistent mdev definitions, where mdevctl keeps them (ROOT/etc/mdevctl.d/matrix/<uuid>, in
 * its format), so that mdevctl and libvirt see what apmatrix defines and the reverse */
#pragma once

#include <glib.h>

#include "apm-mdevctl.h"
#include "apm-uuid.h"

#define APM_STORE_DIR "/etc/mdevctl.d/matrix"

typedef struct {
    ApmUuid uuid;
    ApmMdevConfig *config;
} ApmStoredDef;

void apm_stored_def_free(ApmStoredDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmStoredDef, apm_stored_def_free)

/* Every definition, sorted by UUID. A file that cannot be read or parsed, or is not a regular file, is
 * reported in problems ("<path>: <why>") and skipped: it hides nothing else. Files whose names are not UUIDs
 * are ignored, as mdevctl ignores them. A missing folder is an empty store. NULL only when the folder itself
 * cannot be read. */
GPtrArray *apm_store_list(const char *root, GPtrArray **problems, GError **error);

/* One definition; APM_ERROR_NOT_FOUND when there is none. Symbolic links are not followed. */
ApmMdevConfig *apm_store_read(const char *root, const ApmUuid *uuid, GError **error);

/* Writes a definition atomically: a temporary file in the same folder, fsync, rename over the name, fsync of
 * the folder; mode 0644. Creates the folder when needed. Readers see the old file or the new, never a part. */
gboolean apm_store_write(const char *root, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error);

/* Removes a definition; APM_ERROR_NOT_FOUND when there is none. */
gboolean apm_store_remove(const char *root, const ApmUuid *uuid, GError **error);
