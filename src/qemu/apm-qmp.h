/* apm-qmp.h: a QMP client (QEMU's monitor protocol over a UNIX socket), plain socket calls with a deadline on each wait: the
 * greeting and capability negotiation, commands matched to replies by id, events queued for waiters, timeouts,
 * and QEMU's error class and description turned into a clear message */
#pragma once

#include <glib.h>
#include "apm-jsonio.h"

typedef struct ApmQmp ApmQmp;

/* Connects, reads the greeting and leaves negotiation mode (qmp_capabilities); each step within timeout_ms.
 * APM_ERROR_NOT_FOUND when nothing listens there (no socket, or a QEMU that is gone), APM_ERROR_PEER when the
 * peer does not speak QMP, APM_ERROR_TIMEOUT when it is silent. */
ApmQmp *apm_qmp_connect(const char *socket_path, guint timeout_ms, GError **error);
void apm_qmp_free(ApmQmp *qmp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmQmp, apm_qmp_free)

/* QEMU's version from the greeting, "8.2.0"; "" when it did not say. */
const char *apm_qmp_version(const ApmQmp *qmp);

/* Every wait from now on ends within timeout_ms of now, whatever its own timeout: a conversation of many exchanges
 * (listing a guest's devices) gets one budget, not one per exchange. 0 lifts it. */
void apm_qmp_set_deadline(ApmQmp *qmp, guint timeout_ms);

/* Runs a command (arguments: a JSON object or NULL, not taken) and returns its "return" value. A QMP error
 * becomes APM_ERROR_PEER "QEMU refused COMMAND: description (class)"; DeviceNotFound becomes APM_ERROR_NOT_FOUND.
 * Events that arrive meanwhile are kept for apm_qmp_wait_event. */
JsonNode *apm_qmp_execute(ApmQmp *qmp, const char *command, JsonNode *arguments, guint timeout_ms, GError **error);

/* Waits for an event by name whose data member key equals value (key NULL: any); an event that came earlier
 * and was not yet taken counts. Returns its data (owned). APM_ERROR_TIMEOUT when none comes in time. */
JsonNode *apm_qmp_wait_event(ApmQmp *qmp, const char *event, const char *key, const char *value, guint timeout_ms,
                             GError **error);
