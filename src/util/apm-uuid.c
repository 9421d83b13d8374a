/* apm-uuid.c: UUID parse, format and generation */
#include "config.h"
#include "apm-uuid.h"

#include <sys/random.h>

#include "apm-error.h"
#include "apm-i18n.h"

static const guint8 dash_positions[] = { 8, 13, 18, 23 };

gboolean
apm_uuid_parse(const char *text, ApmUuid *out)
{
    ApmUuid uuid;
    guint byte = 0;

    if (!text || strlen(text) != APM_UUID_TEXT_LEN)
        return FALSE;
    for (guint i = 0; i < APM_UUID_TEXT_LEN;) {
        gboolean dash_here = FALSE;

        for (guint k = 0; k < G_N_ELEMENTS(dash_positions); k++)
            dash_here |= dash_positions[k] == i;
        if (dash_here) {
            if (text[i] != '-')
                return FALSE;
            i++;
            continue;
        }
        if (!g_ascii_isxdigit(text[i]) || !g_ascii_isxdigit(text[i + 1]))
            return FALSE;
        uuid.bytes[byte++] = g_ascii_xdigit_value(text[i]) << 4 | g_ascii_xdigit_value(text[i + 1]);
        i += 2;
    }
    if (out)
        *out = uuid;
    return TRUE;
}

gboolean
apm_uuid_is_valid(const char *text)
{
    return apm_uuid_parse(text, NULL);
}

gboolean
apm_uuid_parse_checked(const char *text, ApmUuid *out, GError **error)
{
    if (apm_uuid_parse(text, out))
        return TRUE;
    g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                _("'%s' is not a UUID: expected 36 characters like 8f5e2a3c-0b1d-4c6e-9a7f-2d4b6c8e0f13"),
                text ? text : "");
    return FALSE;
}

char *
apm_uuid_format(const ApmUuid *uuid, char *buf)
{
    const guint8 *b = uuid->bytes;

    g_snprintf(buf, APM_UUID_TEXT_LEN + 1,
               "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
               b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return buf;
}

char *
apm_uuid_to_string(const ApmUuid *uuid)
{
    return apm_uuid_format(uuid, g_malloc(APM_UUID_TEXT_LEN + 1));
}

void
apm_uuid_generate(ApmUuid *uuid)
{
    gsize got = 0;

    while (got < sizeof(uuid->bytes)) {
        ssize_t n = getrandom(uuid->bytes + got, sizeof(uuid->bytes) - got, 0);

        if (n > 0) {
            got += n;
            continue;
        }
        /* getrandom() cannot fail for 16 bytes once the pool is ready; fall back to GLib's generator. */
        for (; got < sizeof(uuid->bytes); got++)
            uuid->bytes[got] = g_random_int_range(0, 256);
    }
    uuid->bytes[6] = (uuid->bytes[6] & 0x0f) | 0x40;
    uuid->bytes[8] = (uuid->bytes[8] & 0x3f) | 0x80;
}

gboolean
apm_uuid_equal(const ApmUuid *a, const ApmUuid *b)
{
    return memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}
