/* test-lockfile.c: the s390apconfig lock file protocol (spec/userspace.md §2.4), between real processes */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "apm-error.h"
#include "apm-lockfile.h"
#include "apm-test.h"

typedef struct {
    char *root;
    char *path;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    (void) data;
    f->root = apm_test_tmpdir_new();
    f->path = apm_lockfile_host_config_path(f->root);
    g_assert_true(g_str_has_suffix(f->path, "/run/lock/s390apconfig.lock"));
    apm_test_write_file(f->root, "run/lock/.keep", "");
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    (void) data;
    apm_test_tmpdir_free(f->root);
    g_free(f->path);
}

static ApmLockfileOptions
quick_options(guint timeout_ms)
{
    ApmLockfileOptions o;

    apm_lockfile_options_init(&o);
    o.timeout_ms = timeout_ms;
    o.retry_delay_ms = 5;
    o.retry_jitter_ms = 1;
    o.max_retries = 0;
    return o;
}

static char *
read_lock(const char *path)
{
    char *contents = NULL;

    if (!g_file_get_contents(path, &contents, NULL, NULL))
        return NULL;
    return contents;
}

static void
test_acquire_writes_pid_and_release_removes(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(100);
    g_autoptr(GError) error = NULL;
    g_autofree char *expected = g_strdup_printf("%d\n", (int) getpid());
    g_autofree char *contents = NULL;
    g_autoptr(GDir) dir = NULL;
    g_autofree char *lockdir = g_path_get_dirname(f->path);
    ApmLockfile *lock;
    pid_t owner = 0;
    guint entries = 0;

    (void) data;
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    g_assert_nonnull(lock);
    contents = read_lock(f->path);
    g_assert_cmpstr(contents, ==, expected); /* "PID\n", as s390-tools writes and reads it */
    g_assert_true(apm_lockfile_peek_owner(f->path, &owner, NULL, &error));
    g_assert_cmpint(owner, ==, getpid());
    /* no temporary file is left next to the lock */
    dir = g_dir_open(lockdir, 0, NULL);
    while (g_dir_read_name(dir))
        entries++;
    g_assert_cmpuint(entries, ==, 2); /* .keep and the lock */
    g_assert_true(apm_lockfile_release(lock, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
    g_assert_false(apm_lockfile_peek_owner(f->path, &owner, NULL, &error));
    g_assert_no_error(error);
}

/* A child takes the lock and holds it until told through a pipe. */
static pid_t
spawn_holder(const char *path, int *release_fd)
{
    int ready[2], release[2];
    char c;
    pid_t pid;

    g_assert_cmpint(pipe(ready), ==, 0);
    g_assert_cmpint(pipe(release), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        ApmLockfileOptions o = quick_options(5000);
        ApmLockfile *lock = apm_lockfile_acquire(path, getpid(), &o, NULL);

        if (!lock)
            _exit(2);
        if (write(ready[1], "r", 1) != 1)
            _exit(3);
        if (read(release[0], &c, 1) < 0)
            _exit(4);
        _exit(apm_lockfile_release(lock, NULL) ? 0 : 5);
    }
    close(ready[1]);
    close(release[0]);
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    close(ready[0]);
    *release_fd = release[1];
    return pid;
}

static int
wait_exit(pid_t pid)
{
    int status;

    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void
test_second_process_waits_then_times_out(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(150);
    g_autoptr(GError) error = NULL;
    g_autofree char *holder_text = NULL;
    int release_fd;
    pid_t holder = spawn_holder(f->path, &release_fd);
    gint64 start = g_get_monotonic_time();
    ApmLockfile *lock;

    (void) data;
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_null(lock);
    g_assert_error(error, APM_ERROR, APM_ERROR_TIMEOUT);
    holder_text = g_strdup_printf("%d", (int) holder);
    g_assert_nonnull(strstr(error->message, holder_text)); /* names who holds it */
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 150 * 1000);
    g_clear_error(&error);

    /* once the holder lets go, a waiting acquirer gets it */
    g_assert_cmpint(write(release_fd, "x", 1), ==, 1);
    close(release_fd);
    o = quick_options(5000);
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    g_assert_nonnull(lock);
    g_assert_cmpint(wait_exit(holder), ==, 0);
    g_assert_true(apm_lockfile_release(lock, NULL));
}

/* Several processes increment a counter file under the lock; a lost update would show mutual exclusion
 * failed. */
static void
test_mutual_exclusion_between_processes(Fixture *f, gconstpointer data)
{
    enum { PROCS = 6, ROUNDS = 40 };
    g_autofree char *counter = g_build_filename(f->root, "counter", NULL);
    g_autofree char *final = NULL;
    pid_t pids[PROCS];

    (void) data;
    g_assert_true(g_file_set_contents(counter, "0", -1, NULL));
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        g_assert_cmpint(pids[p], >=, 0);
        if (pids[p] == 0) {
            for (int r = 0; r < ROUNDS; r++) {
                ApmLockfileOptions o = quick_options(30000);
                ApmLockfile *lock;
                char *text = NULL, num[32];

                o.retry_delay_ms = 1;
                lock = apm_lockfile_acquire(f->path, getpid(), &o, NULL);
                if (!lock)
                    _exit(2);
                if (!g_file_get_contents(counter, &text, NULL, NULL))
                    _exit(3);
                g_snprintf(num, sizeof(num), "%d", atoi(text) + 1);
                g_free(text);
                g_usleep(200); /* widen the window a lost update would need */
                if (!g_file_set_contents(counter, num, -1, NULL))
                    _exit(4);
                if (!apm_lockfile_release(lock, NULL))
                    _exit(5);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < PROCS; p++)
        g_assert_cmpint(wait_exit(pids[p]), ==, 0);
    g_assert_true(g_file_get_contents(counter, &final, NULL, NULL));
    g_assert_cmpint(atoi(final), ==, PROCS * ROUNDS);
}

static pid_t
dead_pid(void)
{
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(0);
    g_assert_cmpint(wait_exit(pid), ==, 0);
    return pid; /* reaped: kill(pid, 0) gives ESRCH until the number is reused */
}

static void
test_stale_lock_of_dead_owner_is_taken(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(0); /* no waiting: only stale removal can make this succeed */
    g_autofree char *stale = g_strdup_printf("%d\n", (int) dead_pid());
    g_autoptr(GError) error = NULL;
    ApmLockfile *lock;
    pid_t owner;

    (void) data;
    g_assert_true(g_file_set_contents(f->path, stale, -1, NULL));
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    g_assert_nonnull(lock);
    g_assert_true(apm_lockfile_peek_owner(f->path, &owner, NULL, NULL));
    g_assert_cmpint(owner, ==, getpid());
    g_assert_true(apm_lockfile_release(lock, NULL));
}

static void
test_pidless_lock_stale_only_after_120s(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(50);
    g_autoptr(GError) error = NULL;
    struct utimbuf old = { time(NULL) - 200, time(NULL) - 200 };
    ApmLockfile *lock;

    (void) data;
    /* fresh and empty: held by someone who has not written a PID yet */
    g_assert_true(g_file_set_contents(f->path, "", -1, NULL));
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_null(lock);
    g_assert_error(error, APM_ERROR, APM_ERROR_TIMEOUT);
    g_clear_error(&error);
    /* 200 s old and empty: stale */
    g_assert_cmpint(utime(f->path, &old), ==, 0);
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    g_assert_true(apm_lockfile_release(lock, NULL));
}

static void
test_live_owner_is_not_stale(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(50);
    g_autoptr(GError) error = NULL;

    (void) data;
    /* PID 1 is alive, and started before the lock was written */
    g_assert_true(g_file_set_contents(f->path, "1\n", -1, NULL));
    g_assert_null(apm_lockfile_acquire(f->path, getpid(), &o, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_TIMEOUT);
    g_assert_nonnull(strstr(error->message, "process 1"));
}

static void
test_release_by_non_owner_refused(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *contents = NULL;

    (void) data;
    g_assert_true(g_file_set_contents(f->path, "1\n", -1, NULL));
    g_assert_false(apm_lockfile_release_for(f->path, getpid(), &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_LOCK);
    contents = read_lock(f->path);
    g_assert_cmpstr(contents, ==, "1\n"); /* untouched */
    g_clear_error(&error);
    g_assert_true(apm_lockfile_release_for(f->path, 1, &error));
    g_assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
    g_assert_false(apm_lockfile_release_for(f->path, 1, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_LOCK);
}

static void
test_planted_symlink_never_followed(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(50);
    g_autofree char *victim = g_build_filename(f->root, "victim", NULL);
    g_autofree char *dangling = g_build_filename(f->root, "does-not-exist", NULL);
    g_autofree char *contents = NULL;
    g_autoptr(GError) error = NULL;
    pid_t owner;
    struct stat st;

    (void) data;
    /* a link to a file that names a dead PID: following it would make the lock look stale and remove it */
    g_assert_true(g_file_set_contents(victim, "999999999\n", -1, NULL));
    g_assert_cmpint(symlink(victim, f->path), ==, 0);
    g_assert_null(apm_lockfile_acquire(f->path, getpid(), &o, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_LOCK);
    g_assert_nonnull(strstr(error->message, "symbolic link"));
    g_clear_error(&error);
    g_assert_false(apm_lockfile_peek_owner(f->path, &owner, NULL, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_LOCK);
    g_clear_error(&error);
    g_assert_false(apm_lockfile_release_for(f->path, 999999999, &error));
    g_clear_error(&error);
    g_assert_cmpint(lstat(f->path, &st), ==, 0);
    g_assert_true(S_ISLNK(st.st_mode)); /* left in place */
    contents = read_lock(victim);
    g_assert_cmpstr(contents, ==, "999999999\n"); /* target untouched */
    g_assert_cmpint(unlink(f->path), ==, 0);

    /* a dangling link: link(2) must not create the target through it */
    g_assert_cmpint(symlink(dangling, f->path), ==, 0);
    g_assert_null(apm_lockfile_acquire(f->path, getpid(), &o, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_LOCK);
    g_assert_false(g_file_test(dangling, G_FILE_TEST_EXISTS));
}

/* What a user other than root can put at the lock's path in the world-writable /run/lock: a file naming a live
 * process, a link, a FIFO. None of it is a lock; each is removed (never followed) and the lock taken at once. */
static void
test_foreign_files_are_not_locks(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(2000);
    g_autofree char *victim = g_build_filename(f->root, "victim", NULL);
    g_autofree char *contents = NULL;
    g_autofree char *mine = g_strdup_printf("%d\n", (int) getpid());
    g_autoptr(GError) error = NULL;
    ApmLockfile *lock;
    struct stat st;

    (void) data;
    if (geteuid() != 0) {
        g_test_skip("needs root to give files to another user");
        return;
    }
    /* a live PID written by nobody */
    g_assert_true(g_file_set_contents(f->path, "1\n", -1, NULL));
    g_assert_cmpint(chown(f->path, 65534, 65534), ==, 0);
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    contents = read_lock(f->path);
    g_assert_cmpstr(contents, ==, mine);
    g_assert_true(apm_lockfile_release(lock, &error));
    g_clear_pointer(&contents, g_free);

    /* nobody's link to root's file: the link goes, the file is untouched */
    g_assert_true(g_file_set_contents(victim, "999999999\n", -1, NULL));
    g_assert_cmpint(symlink(victim, f->path), ==, 0);
    g_assert_cmpint(lchown(f->path, 65534, 65534), ==, 0);
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    g_assert_cmpint(lstat(f->path, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    contents = read_lock(victim);
    g_assert_cmpstr(contents, ==, "999999999\n");
    g_assert_true(apm_lockfile_release(lock, &error));

    /* nobody's FIFO: not waited on */
    g_assert_cmpint(mkfifo(f->path, 0666), ==, 0);
    g_assert_cmpint(chown(f->path, 65534, 65534), ==, 0);
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    g_assert_true(apm_lockfile_release(lock, &error));
}

/* A root-owned lock naming a live process that started after the lock was written: the PID was reused. */
static void
test_reused_pid_is_stale(Fixture *f, gconstpointer data)
{
    ApmLockfileOptions o = quick_options(300);
    g_autoptr(GError) error = NULL;
    struct utimbuf old = { time(NULL) - 60, time(NULL) - 60 };
    g_autofree char *text = NULL;
    ApmLockfile *lock;
    pid_t child = fork();

    (void) data;
    if (child == 0) {
        pause();
        _exit(0);
    }
    text = g_strdup_printf("%d\n", (int) child);
    /* written a minute before the child started */
    g_assert_true(g_file_set_contents(f->path, text, -1, NULL));
    g_assert_cmpint(utime(f->path, &old), ==, 0);
    lock = apm_lockfile_acquire(f->path, getpid(), &o, &error);
    g_assert_no_error(error);
    g_assert_true(apm_lockfile_release(lock, &error));
    /* written now, after the child started: the child may hold it */
    g_assert_true(g_file_set_contents(f->path, text, -1, NULL));
    g_assert_null(apm_lockfile_acquire(f->path, getpid(), &o, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_TIMEOUT);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
}

static void
test_acquire_on_behalf_of_parent(Fixture *f, gconstpointer data)
{
    pid_t child;
    pid_t owner = 0;

    (void) data;
    /* the child plays ap-check's pre callout: it takes the lock for its parent (mdevctl) and exits */
    child = fork();
    g_assert_cmpint(child, >=, 0);
    if (child == 0) {
        ApmLockfileOptions o = quick_options(1000);
        ApmLockfile *lock = apm_lockfile_acquire(f->path, getppid(), &o, NULL);

        if (!lock)
            _exit(2);
        apm_lockfile_free(lock); /* keep the lock for the parent */
        _exit(0);
    }
    g_assert_cmpint(wait_exit(child), ==, 0);
    /* the lock outlives the child and belongs to us, who are alive */
    g_assert_true(apm_lockfile_peek_owner(f->path, &owner, NULL, NULL));
    g_assert_cmpint(owner, ==, getpid());
    /* a second callout for the same parent may proceed without waiting (re-entrancy of get-attributes) */
    child = fork();
    if (child == 0) {
        ApmLockfileOptions o = quick_options(0);
        ApmLockfile *lock;

        o.reuse_if_owner = TRUE;
        lock = apm_lockfile_acquire(f->path, getppid(), &o, NULL);
        if (!lock)
            _exit(2);
        _exit(apm_lockfile_release(lock, NULL) ? 0 : 3); /* borrowed: releases nothing */
    }
    g_assert_cmpint(wait_exit(child), ==, 0);
    g_assert_true(g_file_test(f->path, G_FILE_TEST_EXISTS));
    /* the post callout, another process, releases it for the parent */
    child = fork();
    if (child == 0)
        _exit(apm_lockfile_release_for(f->path, getppid(), NULL) ? 0 : 2);
    g_assert_cmpint(wait_exit(child), ==, 0);
    g_assert_false(g_file_test(f->path, G_FILE_TEST_EXISTS));
}

static void
test_missing_lock_folder_is_an_error(void)
{
    ApmLockfileOptions o = quick_options(50);
    g_autoptr(GError) error = NULL;

    g_assert_null(apm_lockfile_acquire("/nonexistent-apmatrix-dir/s390apconfig.lock", getpid(), &o, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_LOCK);
}

#define ADD(name, fn) g_test_add(name, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    ADD("/lockfile/acquire-writes-pid-release-removes", test_acquire_writes_pid_and_release_removes);
    ADD("/lockfile/second-process-waits-then-times-out-naming-holder", test_second_process_waits_then_times_out);
    ADD("/lockfile/mutual-exclusion-between-processes", test_mutual_exclusion_between_processes);
    ADD("/lockfile/stale-lock-of-dead-owner-is-taken", test_stale_lock_of_dead_owner_is_taken);
    ADD("/lockfile/pidless-lock-stale-only-after-120s", test_pidless_lock_stale_only_after_120s);
    ADD("/lockfile/live-owner-started-before-the-lock-is-not-stale", test_live_owner_is_not_stale);
    ADD("/lockfile/files-of-other-users-are-not-locks", test_foreign_files_are_not_locks);
    ADD("/lockfile/reused-pid-is-stale", test_reused_pid_is_stale);
    ADD("/lockfile/release-by-non-owner-refused", test_release_by_non_owner_refused);
    ADD("/lockfile/planted-symlink-never-followed-or-removed", test_planted_symlink_never_followed);
    ADD("/lockfile/acquire-on-behalf-of-parent", test_acquire_on_behalf_of_parent);
    g_test_add_func("/lockfile/missing-lock-folder-is-an-error", test_missing_lock_folder_is_an_error);
    return g_test_run();
}
