/* apm-mdevctl.h: mdevctl's device config (the files of /etc/mdevctl.d/<parent>/<uuid>), read with mdevctl's
 * own rules and written in its layout */
#pragma once

#include <glib.h>

#include "apm-nodedev.h"

typedef struct {
    char *mdev_type;
    gboolean autostart; /* "start": "auto" or "manual" */
    GPtrArray *attrs;   /* ApmMdevAttr, in order */
} ApmMdevConfig;

ApmMdevConfig *apm_mdev_config_new(const char *mdev_type, gboolean autostart);
void apm_mdev_config_free(ApmMdevConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmMdevConfig, apm_mdev_config_free)

void apm_mdev_config_add_attr(ApmMdevConfig *config, const char *name, const char *value);

/* mdevctl's load rules: an object with string "mdev_type" and "start" (auto|manual), and optionally "attrs",
 * an array of objects with exactly one key and a string value each. Anything else is refused, naming it. */
ApmMdevConfig *apm_mdev_config_parse(const char *json, gssize length, GError **error);

/* mdevctl's layout: pretty JSON with two-space indentation and a final newline. */
char *apm_mdev_config_format(const ApmMdevConfig *config);

/* Between the two forms: an mdev definition (its type, autostart and attributes) and a config. */
ApmMdevConfig *apm_mdev_config_from_nodedev(const ApmNodeDevDef *def, gboolean autostart);
