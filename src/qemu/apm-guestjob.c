/* apm-guestjob.c: per-guest job locks */
#include "config.h"
#include "apm-guestjob.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

const ApmLockClass apm_class_guests_lock = { "guests lock", 20 };
const ApmLockClass apm_class_guest_job = { "guest job", 30 };
const ApmLockClass apm_class_mdev_state_lock = { "mdev state lock", 40 };

struct ApmGuestJob {
    int fd;
    char *path;
};

ApmGuestJob *
apm_guest_job_begin(const char *root, const char *name, guint timeout_ms, GError **error)
{
    g_autofree char *dir = g_build_filename(root ? root : "/", "run", "apmatrix", "guests", NULL);
    g_autofree char *file = g_strconcat(name, ".lock", NULL);
    g_autofree char *path = g_build_filename(dir, file, NULL);
    gint64 until = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    ApmGuestJob *job;
    int fd;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot make the folder of guest job locks %s"), dir);
        return NULL;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        apm_set_errno_error(error, errno, _("Cannot open guest %s's job lock %s"), name, path);
        return NULL;
    }
    apm_lockdep_acquire(&apm_class_guest_job, g_intern_string(path), path);
    for (guint sleep_us = 1000;; sleep_us = MIN(sleep_us * 2, 50000)) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            break;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            apm_set_errno_error(error, errno, _("Cannot lock guest %s's job lock %s"), name, path);
            goto fail;
        }
        if (g_get_monotonic_time() >= until) {
            g_set_error(error, APM_ERROR, APM_ERROR_LOCK,
                        _("Guest %s is busy: another apmatrix works on it (its job lock %s was not free within %u "
                          "ms)"),
                        name, path, timeout_ms);
            goto fail;
        }
        g_usleep(sleep_us);
    }
    job = g_new0(ApmGuestJob, 1);
    job->fd = fd;
    job->path = g_steal_pointer(&path);
    return job;

fail:
    apm_lockdep_release(g_intern_string(path));
    close(fd);
    return NULL;
}

void
apm_guest_job_end(ApmGuestJob *job)
{
    if (!job)
        return;
    flock(job->fd, LOCK_UN);
    close(job->fd);
    apm_lockdep_release(g_intern_string(job->path));
    g_free(job->path);
    g_free(job);
}
