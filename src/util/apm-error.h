/* apm-error.h: the project's GError domains and failure kinds */
#pragma once

#include <glib.h>

/* Failures understood by apmatrix itself. */
#define APM_ERROR (apm_error_quark())

typedef enum {
    APM_ERROR_INVALID,      /* malformed or out-of-range input */
    APM_ERROR_NOT_FOUND,    /* a named object does not exist */
    APM_ERROR_CONFLICT,     /* the request conflicts with the current state */
    APM_ERROR_UNSUPPORTED,  /* the host or a peer lacks a needed feature */
    APM_ERROR_LOCK,         /* a lock could not be taken or released */
    APM_ERROR_TIMEOUT,      /* waited too long */
    APM_ERROR_IO,           /* a file could not be read or written */
    APM_ERROR_PEER,         /* an external program or protocol peer failed */
    APM_ERROR_INTERNAL,     /* a bug: an invariant did not hold */
    APM_ERROR_PEER_TIMEOUT, /* a protocol peer (a QEMU monitor) did not answer in time */
} ApmErrorCode;

GQuark apm_error_quark(void);

/* System-call failures: the error code IS the errno value, kept so that callers which know what the call
 * meant can turn it into words (EADDRINUSE on assign_domain -> "APQN ... is already assigned to ..."). */
#define APM_ERRNO_ERROR (apm_errno_error_quark())

GQuark apm_errno_error_quark(void);

/* Sets an APM_ERRNO_ERROR with code errnum and the message "<formatted>: <strerror(errnum)>". */
void apm_set_errno_error(GError **error, int errnum, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* The errno kept in error, or 0 when error is not an APM_ERRNO_ERROR. */
int apm_error_errno(const GError *error);
