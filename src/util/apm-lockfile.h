/* apm-lockfile.h: the s390-tools PID lock file (link(2) protocol), as ap-check and chzdev take it */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "apm-lock.h"

#define APM_HOST_CONFIG_LOCK "/run/lock/s390apconfig.lock"
#define APM_LOCKFILE_STALE_SECONDS 120

typedef struct {
    /* Give up after this long; 0 means one attempt (plus stale-lock removal). */
    guint timeout_ms;
    /* Pause between attempts: retry_delay_ms plus up to retry_jitter_ms at random. */
    guint retry_delay_ms;
    guint retry_jitter_ms;
    /* At most this many attempts; 0 means no limit beyond the timeout. */
    guint max_retries;
    /* Succeed at once, without taking anything, when the lock is already held by owner (ap-check's
     * re-entrancy for get-attributes between pre and post). The handle then releases nothing. */
    gboolean reuse_if_owner;
    /* Register the lock with the lock-order checker under this class (NULL: not checked). */
    const ApmLockClass *lockdep_class;
} ApmLockfileOptions;

/* s390-tools' timing: 30 ms + up to 3 ms, 3000 tries (about 100 s). */
void apm_lockfile_options_init(ApmLockfileOptions *options);

typedef struct ApmLockfile ApmLockfile;

/* <root>/run/lock/s390apconfig.lock */
char *apm_lockfile_host_config_path(const char *root);

/* Takes the lock at path for owner (getpid(), or getppid() when acting for mdevctl). A lock whose owner
 * PID is dead, or that holds no PID and is older than 120 s, is stale and removed. A symbolic link or any
 * non-regular file at path is never followed or removed: it is an error. Errors: APM_ERROR_TIMEOUT (still
 * held by a live owner, named in the message), APM_ERROR_LOCK (cannot be taken at all). */
ApmLockfile *apm_lockfile_acquire(const char *path, pid_t owner, const ApmLockfileOptions *options,
                                  GError **error);

/* Releases the lock if it still holds the owner's PID, and frees the handle. Returns FALSE with an error
 * when the file was gone or taken over (the handle is freed all the same). */
gboolean apm_lockfile_release(ApmLockfile *lock, GError **error);

/* Releases the lock at path on behalf of owner, for a process other than the one that took it (mdevctl's
 * post callout). Refuses when the file holds another PID. */
gboolean apm_lockfile_release_for(const char *path, pid_t owner, GError **error);

/* The PID in the lock file: TRUE with *owner set; TRUE with *owner = 0 when the file holds no PID; FALSE
 * with no error when there is no lock file; FALSE with an error when it cannot be read or is not a
 * regular file. *age_seconds (optional) is the file's age. */
gboolean apm_lockfile_peek_owner(const char *path, pid_t *owner, gint64 *age_seconds, GError **error);

/* TRUE when the owner recorded in the file is gone, or there is none and the file is older than 120 s. */
gboolean apm_lockfile_owner_is_stale(pid_t owner, gint64 age_seconds);

void apm_lockfile_free(ApmLockfile *lock);

/* Whether the inotify records in buf (as read(2) gives them: a struct inotify_event in this machine's byte order,
 * then its len bytes of NUL-padded name, record after record) name base. A cut record ends the scan. */
gboolean apm_inotify_records_name(const char *buf, gsize length, const char *base);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmLockfile, apm_lockfile_free)
