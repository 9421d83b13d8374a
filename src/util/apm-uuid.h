/* apm-uuid.h: UUIDs as mdevs are named by them */
#pragma once

#include <glib.h>

#define APM_UUID_TEXT_LEN 36

typedef struct {
    guint8 bytes[16];
} ApmUuid;

/* Exactly 36 characters, hex digits of either case, dashes at positions 8, 13, 18 and 23 (as the kernel's
 * guid_parse and mdevctl take them). */
gboolean apm_uuid_parse(const char *text, ApmUuid *out);
gboolean apm_uuid_is_valid(const char *text);

/* Same, reporting "'<text>' is not a UUID" as APM_ERROR_INVALID. */
gboolean apm_uuid_parse_checked(const char *text, ApmUuid *out, GError **error);

/* Lowercase canonical form. buf holds APM_UUID_TEXT_LEN + 1. */
char *apm_uuid_format(const ApmUuid *uuid, char *buf);
char *apm_uuid_to_string(const ApmUuid *uuid);

/* A random (version 4, RFC 4122 variant) UUID. */
void apm_uuid_generate(ApmUuid *uuid);

gboolean apm_uuid_equal(const ApmUuid *a, const ApmUuid *b);
