/* apm-lockfile.c: the s390apconfig PID lock file protocol (s390-tools util_lockfile) */
#include "config.h"
#include "apm-lockfile.h"

#include <errno.h>
#include <poll.h>
#include <sys/inotify.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-sysfs.h"

struct ApmLockfile {
    char *path;
    pid_t owner;
    gboolean borrowed; /* already held by owner; nothing to release */
    const ApmLockClass *lockdep_class;
};

void
apm_lockfile_options_init(ApmLockfileOptions *options)
{
    memset(options, 0, sizeof(*options));
    options->timeout_ms = 100 * 1000;
    options->retry_delay_ms = 30;
    options->retry_jitter_ms = 3;
    options->max_retries = 3000;
}

char *
apm_lockfile_host_config_path(const char *root)
{
    return apm_root_path(root, APM_HOST_CONFIG_LOCK);
}

void
apm_lockfile_free(ApmLockfile *lock)
{
    if (!lock)
        return;
    g_free(lock->path);
    g_free(lock);
}

/* Removes what is at path when it cannot be a lock: a file, link, FIFO or anything else owned by a user other
 * than root and other than this process's user. Only such a process writes the lock; /run/lock is world-writable,
 * and what another user put there is not followed, only unlinked (ino, when given: only the file inspected).
 * Returns TRUE when something was removed. */
static gboolean
take_over_foreign(const char *path, const ino_t *ino, uid_t *uid)
{
    struct stat st;

    if (lstat(path, &st) < 0 || st.st_uid == 0 || st.st_uid == geteuid())
        return FALSE;
    if (ino && st.st_ino != *ino)
        return FALSE;
    *uid = st.st_uid;
    return unlink(path) == 0;
}

/* When the process pid started, in seconds since the epoch (its /proc/PID/stat start time after boot, and the
 * boot time of /proc/stat), or -1. */
static gint64
process_start_time(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int) pid);
    g_autofree char *stat = NULL, *sys = NULL;
    g_auto(GStrv) fields = NULL;
    const char *after, *btime;
    long ticks = sysconf(_SC_CLK_TCK);

    if (ticks <= 0 || !g_file_get_contents(path, &stat, NULL, NULL) || !(after = strrchr(stat, ')')) ||
        !g_file_get_contents("/proc/stat", &sys, NULL, NULL) || !(btime = strstr(sys, "\nbtime ")))
        return -1;
    /* after the command's closing parenthesis: field 3 (state) onwards; the start time is field 22 */
    fields = g_strsplit(after + 2, " ", 21);
    if (g_strv_length(fields) < 20)
        return -1;
    return g_ascii_strtoll(btime + 7, NULL, 10) + g_ascii_strtoll(fields[19], NULL, 10) / ticks;
}

/* Reads the lock file without following a link: its inode, age and PID (0 when none). Returns 0, or the
 * errno (ENOENT when absent, ELOOP/EINVAL when it is not a regular file). */
static int
inspect(const char *path, ino_t *ino, gint64 *age_seconds, pid_t *pid)
{
    char buf[32] = { 0 };
    struct stat st;
    ssize_t n;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return errno;
    if (fstat(fd, &st) < 0) {
        int saved = errno;

        close(fd);
        return saved;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return EINVAL;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    *ino = st.st_ino;
    *age_seconds = MAX(0, (gint64) time(NULL) - (gint64) st.st_mtime);
    *pid = 0;
    if (n > 0) {
        char *end;
        long value = strtol(buf, &end, 10);

        if (end != buf && (*end == '\n' || *end == '\0') && value > 0 && value <= G_MAXINT32)
            *pid = (pid_t) value;
    }
    return 0;
}

gboolean
apm_lockfile_owner_is_stale(pid_t owner, gint64 age_seconds)
{
    if (owner > 0) {
        gint64 started;

        if (kill(owner, 0) < 0 && errno == ESRCH)
            return TRUE;
        /* a process that started after the lock was written cannot have written it: its PID was reused (two
         * seconds' grace for the clocks' rounding) */
        started = process_start_time(owner);
        return started >= 0 && started > (gint64) time(NULL) - age_seconds + 2;
    }
    return age_seconds > APM_LOCKFILE_STALE_SECONDS;
}

static void
set_not_regular_error(GError **error, const char *path, int err)
{
    if (err == ELOOP || err == EINVAL)
        g_set_error(error, APM_ERROR, APM_ERROR_LOCK,
                    _("%s is not a regular lock file (a symbolic link or something else was put there); "
                      "refusing to follow or remove it"), path);
    else
        g_set_error(error, APM_ERROR, APM_ERROR_LOCK, _("Cannot read the lock file %s: %s"), path,
                    g_strerror(err));
}

gboolean
apm_lockfile_peek_owner(const char *path, pid_t *owner, gint64 *age_seconds, GError **error)
{
    gint64 age = 0;
    ino_t ino = 0;
    pid_t pid = 0;
    int err = inspect(path, &ino, &age, &pid);

    if (err == ENOENT)
        return FALSE;
    if (err) {
        set_not_regular_error(error, path, err);
        return FALSE;
    }
    *owner = pid;
    if (age_seconds)
        *age_seconds = age;
    return TRUE;
}

/* Unlinks path only if it is still the file inspected (same inode and PID). The window between the check and
 * the unlink is the protocol's own; it is kept as small as it can be. */
static void
remove_stale(const char *path, ino_t ino, pid_t pid)
{
    ino_t now_ino;
    gint64 age;
    pid_t now_pid;

    if (inspect(path, &now_ino, &age, &now_pid) == 0 && now_ino == ino && now_pid == pid)
        unlink(path);
}

/* One try: create a unique temporary file holding the PID, link it to path, remove the temporary.
 * Returns 0 on success, EEXIST when held, or another errno. */
static int
try_link(const char *path, pid_t owner)
{
    g_autofree char *content = g_strdup_printf("%d\n", (int) owner);
    int rc, saved, fd = -1;
    char *tmp = NULL;

    for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
        g_free(tmp);
        tmp = g_strdup_printf("%s.%d.%c%08x", path, (int) owner, 'a' + (int) (time(NULL) % 26),
                              g_random_int());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) {
            saved = errno;
            g_free(tmp);
            return saved;
        }
    }
    if (fd < 0) {
        g_free(tmp);
        return EAGAIN;
    }
    if (write(fd, content, strlen(content)) != (ssize_t) strlen(content)) {
        saved = errno ? errno : EIO;
        close(fd);
        unlink(tmp);
        g_free(tmp);
        return saved;
    }
    close(fd);
    rc = link(tmp, path);
    saved = errno;
    unlink(tmp);
    g_free(tmp);
    return rc == 0 ? 0 : saved;
}

/* Waits up to delay_ms for the lock file at path to be removed (its holder releasing it), watching its folder
 * with inotify: a release wakes the waiter at once instead of after its whole retry delay. Other files of the
 * folder (the temporary files of other contenders) do not wake it. *watch is created on first use (-1 when
 * inotify is not there: then this is a plain sleep). */
static void
wait_for_release(const char *path, guint delay_ms, int *watch)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    gint64 until = g_get_monotonic_time() + (gint64) delay_ms * 1000;

    if (*watch == -2) {
        *watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (*watch >= 0 && inotify_add_watch(*watch, dir, IN_DELETE | IN_MOVED_FROM) < 0) {
            close(*watch);
            *watch = -1;
        }
    }
    if (*watch < 0) {
        g_usleep(1000 * delay_ms);
        return;
    }
    for (;;) {
        gint64 left = until - g_get_monotonic_time();
        struct pollfd pfd = { *watch, POLLIN, 0 };
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int) ((left + 999) / 1000)) <= 0)
            return;
        while ((n = read(*watch, buf, sizeof(buf))) > 0)
            if (apm_inotify_records_name(buf, (gsize) n, base))
                return;
    }
}

gboolean
apm_inotify_records_name(const char *buf, gsize length, const char *base)
{
    gsize at = 0;

    while (at + sizeof(struct inotify_event) <= length) {
        struct inotify_event ev;
        const char *name = buf + at + sizeof(ev);

        memcpy(&ev, buf + at, sizeof(ev)); /* the header in this machine's byte order, as the kernel writes it */
        if (ev.len > length - at - sizeof(ev))
            return FALSE; /* a cut record */
        /* the name is NUL-padded to len bytes */
        if (ev.len && strnlen(name, ev.len) < ev.len && g_str_equal(name, base))
            return TRUE;
        at += sizeof(ev) + ev.len;
    }
    return FALSE;
}

ApmLockfile *
apm_lockfile_acquire(const char *path, pid_t owner, const ApmLockfileOptions *options, GError **error)
{
    ApmLockfileOptions defaults;
    gint64 deadline;
    guint attempts = 0;
    pid_t holder = 0;
    int watch = -2; /* inotify on the lock's folder, made when the lock is first found taken */
    uid_t uid = 0;
    ApmLockfile *lock;

    if (!options) {
        apm_lockfile_options_init(&defaults);
        options = &defaults;
    }
    deadline = g_get_monotonic_time() + (gint64) options->timeout_ms * 1000;
    if (options->lockdep_class)
        apm_lockdep_acquire(options->lockdep_class, g_intern_string(path), path);

    for (;;) {
        gint64 age;
        ino_t ino;
        int err = try_link(path, owner);

        attempts++;
        if (err == 0)
            break;
        if (err != EEXIST) {
            g_set_error(error, APM_ERROR, APM_ERROR_LOCK, _("Cannot create the lock file %s: %s"), path,
                        g_strerror(err));
            goto fail;
        }
        err = inspect(path, &ino, &age, &holder);
        if (err == ENOENT)
            continue; /* released between our link and our look: try again at once */
        if (err && take_over_foreign(path, NULL, &uid)) {
            g_printerr(_("%s: %s was not a lock file but something user %u put there; removed it\n"),
                       g_get_prgname() ? g_get_prgname() : "apmatrix", path, (unsigned) uid);
            continue;
        }
        if (err) {
            set_not_regular_error(error, path, err);
            goto fail;
        }
        if (take_over_foreign(path, &ino, &uid)) {
            /* only root writes the AP configuration lock: a file of another user naming a live process would let
             * anyone stop every AP change */
            g_printerr(_("%s: %s belonged to user %u, not to root: it is not a lock, and was removed\n"),
                       g_get_prgname() ? g_get_prgname() : "apmatrix", path, (unsigned) uid);
            continue;
        }
        if (holder == owner && options->reuse_if_owner) {
            lock = g_new0(ApmLockfile, 1);
            lock->path = g_strdup(path);
            lock->owner = owner;
            lock->borrowed = TRUE;
            lock->lockdep_class = options->lockdep_class;
            if (watch >= 0)
                close(watch);
            return lock;
        }
        if (apm_lockfile_owner_is_stale(holder, age)) {
            g_debug("removing stale lock %s (owner %d, %" G_GINT64_FORMAT " s old)", path, (int) holder, age);
            remove_stale(path, ino, holder);
            continue;
        }
        if ((options->max_retries && attempts >= options->max_retries) || g_get_monotonic_time() >= deadline) {
            if (holder)
                g_set_error(error, APM_ERROR, APM_ERROR_TIMEOUT,
                            _("The AP configuration lock %s is held by process %d; gave up after %u attempts"),
                            path, (int) holder, attempts);
            else
                g_set_error(error, APM_ERROR, APM_ERROR_TIMEOUT,
                            _("The AP configuration lock %s is held (no owner recorded); gave up after %u attempts"),
                            path, attempts);
            goto fail;
        }
        wait_for_release(path,
                         options->retry_delay_ms +
                             (options->retry_jitter_ms ? g_random_int_range(0, options->retry_jitter_ms + 1) : 0),
                         &watch);
    }

    if (watch >= 0)
        close(watch);
    lock = g_new0(ApmLockfile, 1);
    lock->path = g_strdup(path);
    lock->owner = owner;
    lock->lockdep_class = options->lockdep_class;
    return lock;

fail:
    if (watch >= 0)
        close(watch);
    if (options->lockdep_class)
        apm_lockdep_release(g_intern_string(path));
    return NULL;
}

gboolean
apm_lockfile_release_for(const char *path, pid_t owner, GError **error)
{
    gint64 age;
    ino_t ino;
    pid_t holder;
    int err = inspect(path, &ino, &age, &holder);

    if (err == ENOENT) {
        g_set_error(error, APM_ERROR, APM_ERROR_LOCK, _("The lock %s is not held"), path);
        return FALSE;
    }
    if (err) {
        set_not_regular_error(error, path, err);
        return FALSE;
    }
    if (holder != owner) {
        g_set_error(error, APM_ERROR, APM_ERROR_LOCK,
                    _("The lock %s is held by process %d, not by %d; leaving it alone"), path, (int) holder,
                    (int) owner);
        return FALSE;
    }
    if (unlink(path) < 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_LOCK, _("Cannot remove the lock file %s: %s"), path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

gboolean
apm_lockfile_release(ApmLockfile *lock, GError **error)
{
    gboolean ok = TRUE;

    if (!lock)
        return TRUE;
    if (!lock->borrowed)
        ok = apm_lockfile_release_for(lock->path, lock->owner, error);
    if (lock->lockdep_class)
        apm_lockdep_release(g_intern_string(lock->path));
    apm_lockfile_free(lock);
    return ok;
}
