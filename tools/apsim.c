/* apsim: runs the simulated AP host. See docs/apsim.1.rst. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"
#include "apsim-control.h"
#include "apsim-devfs.h"
#include "apsim-fuse.h"
#include "apsim-host.h"
#include "apsim-netlink.h"
#include "apsim-qmp.h"
#include "apsim-topology.h"
#include "apsim-udev.h"

static const char *const host_dirs[] = { "sys", "etc/mdevctl.d/matrix", "etc/mdevctl.d/scripts.d/callouts",
                                         "etc/mdevctl.d/scripts.d/notifiers", "etc/udev/rules.d", "var/log",
                                         "usr/lib/mdevctl/scripts.d/callouts",
                                         "usr/lib/mdevctl/scripts.d/notifiers" };
/* under ROOT/run, a tmpfs as on a real host: emptied by every stop, as /run by every boot */
static const char *const run_dirs[] = { "run/lock", "run/udev/data", "run/apsim/qmp", "run/apmatrix" };

/* start's options (GLib's option parser writes them here) */
static char *opt_topology;
static gboolean opt_foreground;

static void usage(FILE *out);

static char *
path_in(const char *root, const char *rel)
{
    return g_build_filename(root, rel, NULL);
}

static gboolean
is_mountpoint(const char *path)
{
    g_autofree char *parent = g_path_get_dirname(path);
    struct stat a, b;

    if (lstat(path, &a) < 0) /* a dead FUSE mount answers ENOTCONN */
        return errno == ENOTCONN;
    if (stat(parent, &b) < 0)
        return FALSE;
    return a.st_dev != b.st_dev;
}

/* Alive and not a zombie waiting to be reaped by whoever adopted the daemon. */
static gboolean
process_alive(pid_t pid)
{
    g_autofree char *statfile = g_strdup_printf("/proc/%d/stat", (int) pid);
    g_autofree char *stat = NULL;
    const char *paren;

    if (kill(pid, 0) != 0)
        return FALSE;
    if (!g_file_get_contents(statfile, &stat, NULL, NULL))
        return FALSE;
    paren = strrchr(stat, ')');
    return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

/* Whether pid runs an apsim program: apsim stop must not kill another process whose PID a pidfile names */
static gboolean
process_is_apsim(pid_t pid)
{
    g_autofree char *link = g_strdup_printf("/proc/%d/exe", (int) pid);
    g_autofree char *exe = g_file_read_link(link, NULL);
    g_autofree char *base = NULL;

    if (!exe)
        return FALSE;
    if (g_str_has_suffix(exe, " (deleted)")) /* rebuilt while it runs */
        exe[strlen(exe) - strlen(" (deleted)")] = '\0';
    base = g_path_get_basename(exe);
    return g_str_equal(base, "apsim");
}

static pid_t
read_pid(const char *root)
{
    g_autofree char *pidfile = path_in(root, "run/apsim/apsim.pid");
    g_autofree char *text = NULL;
    long pid;

    if (!g_file_get_contents(pidfile, &text, NULL, NULL))
        return 0;
    pid = strtol(text, NULL, 10);
    return pid > 0 && process_alive((pid_t) pid) && process_is_apsim((pid_t) pid) ? (pid_t) pid : 0;
}

/* ---- start ---------------------------------------------------------------------------------------------- */

static ApsimFuse *running_fuse;

static void
stop_from_control(gpointer data)
{
    (void) data;
    kill(getpid(), SIGTERM);
}

/* Runs in the daemon: reports "ok" or an error through report_fd, then serves until told to stop. */
static int
serve(const char *root, ApsimTopology *topology, int report_fd)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *mountpoint = path_in(root, "sys");
    g_autofree char *sock = path_in(root, "run/apsim/control");
    g_autofree char *pidfile = path_in(root, "run/apsim/apsim.pid");
    g_autofree char *pidtext = g_strdup_printf("%d\n", (int) getpid());
    g_autofree char *qmpdir = path_in(root, "run/apsim/qmp");
    g_autofree char *qemusock = path_in(root, "run/apsim/qemu.sock");
    g_autofree char *udevdir = path_in(root, "run/udev/data");
    g_autofree char *devdir = path_in(root, "dev");
    ApsimControl *control;
    ApsimDevfs *devfs = NULL;
    ApsimUdev *udev = NULL;
    ApsimQmp *qmp;
    ApsimHost *host;
    sigset_t block, old;
    int rc;

    /* only the thread running the FUSE loop takes the stop signals */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);

    host = apsim_host_new(topology);
    udev = apsim_udev_new(host, udevdir, &error);
    if (!udev)
        goto fail;
    devfs = apsim_devfs_new(host, devdir, &error);
    if (!devfs)
        goto fail;
    qmp = apsim_qmp_new(host, qmpdir);
    if (!apsim_qmp_listen_qemu(qmp, qemusock, &error)) {
        apsim_qmp_free(qmp);
        goto fail;
    }
    running_fuse = apsim_fuse_mount(host, mountpoint, &error);
    if (!running_fuse) {
        apsim_qmp_free(qmp);
        goto fail;
    }
    control = apsim_control_start(host, qmp, udev, sock, stop_from_control, NULL, &error);
    if (!control) {
        apsim_fuse_unmount(running_fuse);
        apsim_qmp_free(qmp);
        goto fail;
    }
    /* root's, whatever the umask: apsim stop kills the PID it names */
    g_file_set_contents_full(pidfile, pidtext, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, NULL);
    apsim_fuse_handle_signals(running_fuse);
    if (report_fd >= 0) {
        if (write(report_fd, "ok", 2) < 0) {
            /* the parent is gone: serve anyway */
        }
        close(report_fd);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    rc = apsim_fuse_loop(running_fuse); /* nonzero also when a signal ended it */
    pthread_sigmask(SIG_BLOCK, &block, NULL);
    apsim_udev_disconnect_all(udev);
    apsim_control_free(control);
    apsim_qmp_free(qmp); /* guests stop: their devices close before the tree goes */
    apsim_fuse_unmount(running_fuse);
    apsim_devfs_free(devfs);
    apsim_udev_free(udev);
    unlink(pidfile);
    apsim_host_free(host);
    (void) rc;
    return 0;

fail:
    if (report_fd >= 0) {
        if (write(report_fd, error->message, strlen(error->message)) < 0) {
            /* nothing more to tell anyone */
        }
        close(report_fd);
    } else {
        g_printerr("apsim: %s\n", error->message);
    }
    apsim_devfs_free(devfs);
    apsim_udev_free(udev);
    apsim_host_free(host);
    return 1;
}

/* ROOT/run and ROOT/dev are tmpfs mounts, as on a real host: emptied by every stop as by every boot. ROOT/dev
 * holds the device nodes of the simulated vfio core (/dev/vfio), so it allows device nodes. */
static const struct {
    const char *dir;
    unsigned long flags;
} tmpfs_dirs[] = { { "run", MS_NOSUID | MS_NODEV }, { "dev", MS_NOSUID | MS_NOEXEC } };

static gboolean
mount_tmpfs_dirs(const char *root)
{
    for (guint i = 0; i < G_N_ELEMENTS(tmpfs_dirs); i++) {
        g_autofree char *point = path_in(root, tmpfs_dirs[i].dir);

        if (is_mountpoint(point))
            umount2(point, MNT_DETACH); /* left by an apsim that died */
        if (g_mkdir_with_parents(point, 0755) < 0 ||
            mount("tmpfs", point, "tmpfs", tmpfs_dirs[i].flags, "mode=0755") < 0) {
            g_printerr(_("apsim start: cannot mount a tmpfs at %s: %s\n"), point, g_strerror(errno));
            while (i-- > 0) {
                g_autofree char *done = path_in(root, tmpfs_dirs[i].dir);

                umount2(done, MNT_DETACH);
            }
            return FALSE;
        }
    }
    return TRUE;
}

static void
unmount_tmpfs_dirs(const char *root)
{
    for (guint i = 0; i < G_N_ELEMENTS(tmpfs_dirs); i++) {
        g_autofree char *point = path_in(root, tmpfs_dirs[i].dir);

        umount2(point, MNT_DETACH);
    }
}

static int
cmd_start(int argc, char **argv)
{
    const char *topology_name = opt_topology ? opt_topology : "tiny";
    const char *root_arg = argv[0];
    gboolean foreground = opt_foreground;
    g_autoptr(GError) error = NULL;
    g_autoptr(ApsimTopology) topology = NULL;
    g_autofree char *root = NULL, *mountpoint = NULL;
    int pipefd[2];
    pid_t pid;

    (void) argc;
    if (getuid() != 0) {
        g_printerr(_("apsim start: must run as root (it mounts a FUSE file system and serves it to root's tools)\n"));
        return 1;
    }
    root = g_canonicalize_filename(root_arg, NULL);
    topology = apsim_topology_load(topology_name, &error);
    if (!topology) {
        g_printerr("apsim start: %s\n", error->message);
        return 1;
    }
    if (read_pid(root)) {
        g_printerr(_("apsim start: apsim already runs on %s (pid %d); stop it first\n"), root, (int) read_pid(root));
        return 1;
    }
    for (guint i = 0; i < G_N_ELEMENTS(host_dirs); i++) {
        g_autofree char *dir = path_in(root, host_dirs[i]);

        if (g_mkdir_with_parents(dir, 0755) < 0 && errno != ENOTCONN) {
            g_printerr(_("apsim start: cannot create %s: %s\n"), dir, g_strerror(errno));
            return 1;
        }
    }
    mountpoint = path_in(root, "sys");
    if (is_mountpoint(mountpoint))
        umount2(mountpoint, MNT_DETACH); /* a stale mount of an apsim that died */
    if (!mount_tmpfs_dirs(root))
        return 1;
    for (guint i = 0; i < G_N_ELEMENTS(run_dirs); i++) {
        g_autofree char *dir = path_in(root, run_dirs[i]);

        g_mkdir_with_parents(dir, 0755);
        /* as on Debian and Ubuntu, the lock folder is everyone's (sticky): the tools must cope with what users
         * put there */
        if (g_str_equal(run_dirs[i], "run/lock"))
            chmod(dir, 01777);
    }

    if (foreground) {
        int rc = serve(root, topology, -1);

        unmount_tmpfs_dirs(root);
        return rc;
    }

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        g_printerr("apsim start: pipe: %s\n", g_strerror(errno));
        return 1;
    }
    pid = fork();
    if (pid < 0) {
        g_printerr("apsim start: fork: %s\n", g_strerror(errno));
        return 1;
    }
    if (pid == 0) {
        g_autofree char *logfile = path_in(root, "var/log/apsim.log");
        int null = open("/dev/null", O_RDWR);
        int log = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

        close(pipefd[0]);
        setsid();
        dup2(null, STDIN_FILENO);
        dup2(log >= 0 ? log : null, STDOUT_FILENO);
        dup2(log >= 0 ? log : null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
        if (log > STDERR_FILENO)
            close(log);
        /* the daemon returns through main() like any program, so that exit-time checks (LeakSanitizer) run */
        return serve(root, topology, pipefd[1]);
    }
    close(pipefd[1]);
    {
        char buf[1024] = { 0 };
        ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);

        close(pipefd[0]);
        if (n == 2 && memcmp(buf, "ok", 2) == 0) {
            printf(_("apsim: %s (%s) mounted at %s, pid %d\n"), topology->name,
                   topology->description ? topology->description : "", mountpoint, (int) pid);
            return 0;
        }
        g_printerr("apsim start: %s\n", n > 0 ? buf : _("the simulator exited before it was ready"));
        waitpid(pid, NULL, 0);
        unmount_tmpfs_dirs(root);
        return 1;
    }
}

/* ---- stop ----------------------------------------------------------------------------------------------- */

static int
cmd_stop(int argc, char **argv)
{
    g_autofree char *root = NULL, *pidfile = NULL;
    pid_t pid;

    (void) argc;
    root = g_canonicalize_filename(argv[0], NULL);
    pidfile = path_in(root, "run/apsim/apsim.pid");
    pid = read_pid(root);
    if (!pid) {
        /* a pidfile naming no apsim (gone, or a process that is not apsim): the daemon, if one still serves the
         * tree, is asked to stop through its control socket, never found by guessing a PID */
        g_autofree char *sock = path_in(root, "run/apsim/control");
        g_autofree char *sys = path_in(root, "sys");
        g_autofree char *reply = NULL;
        gboolean ok = FALSE;

        if (g_file_test(sock, G_FILE_TEST_EXISTS) && (reply = apsim_control_request(sock, "stop", &ok, NULL)) &&
            ok) {
            for (int i = 0; i < 1000 && is_mountpoint(sys); i++)
                g_usleep(10 * 1000);
            pid = -1;
        }
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        for (int i = 0; i < 1000 && process_alive(pid); i++)
            g_usleep(10 * 1000);
        if (process_alive(pid)) {
            g_printerr(_("apsim stop: pid %d did not stop within 10 s; killing it\n"), (int) pid);
            kill(pid, SIGKILL);
            for (int i = 0; i < 100 && process_alive(pid); i++)
                g_usleep(50 * 1000);
        }
    }
    unlink(pidfile);
    for (guint i = 0; i < 1 + G_N_ELEMENTS(tmpfs_dirs); i++) {
        g_autofree char *point = path_in(root, i == 0 ? "sys" : tmpfs_dirs[i - 1].dir);

        if (is_mountpoint(point) && umount2(point, 0) < 0 && umount2(point, MNT_DETACH) < 0) {
            g_printerr(_("apsim stop: cannot unmount %s: %s\n"), point, g_strerror(errno));
            return 1;
        }
    }
    if (!pid)
        printf(_("apsim: nothing was running on %s\n"), root);
    return 0;
}

/* ---- exec ----------------------------------------------------------------------------------------------- */

/* $APSIM_PRELOAD (the build tree's copy, set by meson devenv and the tests), else the installed one. */
static const char *
preload_library(void)
{
    const char *candidates[] = { g_getenv("APSIM_PRELOAD"), APSIM_PRELOAD_INSTALLED };

    for (guint i = 0; i < G_N_ELEMENTS(candidates); i++)
        if (candidates[i] && g_file_test(candidates[i], G_FILE_TEST_IS_REGULAR))
            return candidates[i];
    return NULL;
}

static gboolean
bind_over(const char *source, const char *target, GError **error)
{
    if (g_mkdir_with_parents(target, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot create %s"), target);
        return FALSE;
    }
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL) < 0) {
        apm_set_errno_error(error, errno, _("Cannot bind %s over %s"), source, target);
        return FALSE;
    }
    return TRUE;
}

/* ---- exec: the command, and what it leaves behind --------------------------------------------------------- */

static volatile sig_atomic_t forward_to;

static void
forward_signal(int sig)
{
    if (forward_to > 0)
        kill(forward_to, sig);
}

/* The processes this one adopted (as subreaper) or started: /proc's ppid */
static GArray *
children(void)
{
    GArray *pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
    g_autoptr(GDir) dir = g_dir_open("/proc", 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = NULL, *stat = NULL;
        const char *paren;
        int ppid;

        if (!g_ascii_isdigit(name[0]))
            continue;
        path = g_strdup_printf("/proc/%s/stat", name);
        if (!g_file_get_contents(path, &stat, NULL, NULL) || !(paren = strrchr(stat, ')')) ||
            sscanf(paren + 2, "%*c %d", &ppid) != 1 || ppid != getpid())
            continue;
        g_array_append_val(pids, (pid_t) { (pid_t) atoi(name) });
    }
    return pids;
}

/* Runs the command in a child and stays as the namespace's subreaper: daemons the command starts (libvirtd,
 * virtlogd, the QEMUs libvirt starts) are reaped when they exit, and those still running when the command ends
 * are stopped (SIGTERM, then SIGKILL after 5 s), so that nothing of the namespace outlives it. Returns the
 * command's exit status (128 + N when a signal N ended it). */
static int
run_reaped(char **command)
{
    struct sigaction sa = { .sa_handler = forward_signal };
    pid_t child;
    int status = 0, rc = 127;

    prctl(PR_SET_CHILD_SUBREAPER, 1);
    child = fork();
    if (child < 0) {
        g_printerr(_("apsim exec: cannot run %s: %s\n"), command[0], g_strerror(errno));
        return 127;
    }
    if (child == 0) {
        execvp(command[0], command);
        g_printerr(_("apsim exec: cannot run %s: %s\n"), command[0], g_strerror(errno));
        _exit(127);
    }
    forward_to = child;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    for (;;) {
        pid_t pid = waitpid(-1, &status, 0);

        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            break;
        if (pid == child) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            break;
        }
    }
    forward_to = 0;
    for (int round = 0; round < 2; round++) {
        g_autoptr(GArray) left = children();
        gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

        if (left->len == 0)
            break;
        for (guint i = 0; i < left->len; i++)
            kill(g_array_index(left, pid_t, i), round == 0 ? SIGTERM : SIGKILL);
        while (g_get_monotonic_time() < until) {
            pid_t pid = waitpid(-1, NULL, WNOHANG);

            if (pid < 0 && errno == ECHILD)
                break;
            if (pid <= 0)
                g_usleep(20 * 1000);
        }
    }
    return rc;
}

/* a path as overlayfs reads it in lowerdir=: its separators escaped */
static void
append_overlay_path(GString *out, const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p == ':' || *p == ',' || *p == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *p);
    }
}

static gboolean
dir_has_entries(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);

    return dir && g_dir_read_name(dir);
}

/* mdevctl's script folders show the callouts and notifiers installed on this machine together with ROOT's own
 * (ROOT's first where both have a name): the simulated host is the machine's hardware and AP state, the
 * software installed on it stays the machine's. The union is read-only; without scripts installed on the machine
 * ROOT's folder is used as it is. Runs in the private mount namespace, before ROOT's /etc/mdevctl.d is bound over
 * the machine's (whose folders it still reads). */
static gboolean
unite_script_dirs(const char *root, GError **error)
{
    static const char *const dirs[] = { "etc/mdevctl.d/scripts.d/callouts", "etc/mdevctl.d/scripts.d/notifiers",
                                        "usr/lib/mdevctl/scripts.d/callouts", "usr/lib/mdevctl/scripts.d/notifiers" };

    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *ours = path_in(root, dirs[i]);
        g_autofree char *machine = g_strconcat("/", dirs[i], NULL);
        /* /etc's union is mounted on ROOT's folder (ROOT's /etc/mdevctl.d is bound over the machine's next),
         * /usr/lib's on the machine's folder, which nothing else covers */
        const char *target = g_str_has_prefix(dirs[i], "etc/") ? ours : machine;
        g_autoptr(GString) opts = g_string_new("lowerdir=");

        if (!dir_has_entries(machine) || !g_file_test(ours, G_FILE_TEST_IS_DIR))
            continue;
        append_overlay_path(opts, ours);
        g_string_append_c(opts, ':');
        append_overlay_path(opts, machine);
        if (mount("overlay", target, "overlay", MS_RDONLY, opts->str) < 0) {
            apm_set_errno_error(error, errno, _("Cannot show this machine's %s together with %s"), machine, ours);
            return FALSE;
        }
    }
    return TRUE;
}

static int
cmd_exec(int argc, char **argv)
{
    g_autofree char *root = NULL;
    g_autoptr(GError) error = NULL;
    const struct {
        const char *inside;
        const char *host;
    } binds[] = { { "sys", "/sys" },
                  { "etc/mdevctl.d", "/etc/mdevctl.d" },
                  { "etc/udev", "/etc/udev" },
                  { "run/lock", "/run/lock" },
                  { "run/udev", "/run/udev" },
                  { "run/apmatrix", "/run/apmatrix" },
                  /* where apsim-qemu, started by libvirt with a cleared environment, finds the simulated host */
                  { "run/apsim", "/run/apsim" },
                  { "dev/vfio", "/dev/vfio" } };
    const char *preload = preload_library();
    int cmd = 1;

    if (argc < 3 || !g_str_equal(argv[1], "--")) {
        g_printerr("%s\n", _("apsim exec: the command follows '--': apsim exec ROOT -- COMMAND [ARG...]"));
        return 2;
    }
    cmd = 2;
    root = g_canonicalize_filename(argv[0], NULL);
    if (!read_pid(root)) {
        g_printerr(_("apsim exec: no apsim runs on %s; start it with: apsim start %s\n"), root, root);
        return 1;
    }
    /* a private mount namespace for the binds, a private network namespace for the udev events */
    if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        g_printerr(_("apsim exec: cannot make private mount and network namespaces: %s\n"), g_strerror(errno));
        return 1;
    }
    {
        g_autofree char *sock = path_in(root, "run/apsim/control");
        pid_t parent = getpid();
        pid_t relay = fork();

        if (relay == 0) {
            /* relays apsim's device events as udev netlink messages until the command is gone */
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (getppid() != parent)
                _exit(0);
            _exit(apsim_netlink_relay(sock) ? 1 : 0);
        }
    }
    if (!unite_script_dirs(root, &error)) {
        g_printerr("apsim exec: %s\n", error->message);
        return 1;
    }
    for (guint i = 0; i < G_N_ELEMENTS(binds); i++) {
        g_autofree char *source = path_in(root, binds[i].inside);

        if (!bind_over(source, binds[i].host, &error)) {
            g_printerr("apsim exec: %s\n", error->message);
            return 1;
        }
    }
    if (preload) {
        const char *old = g_getenv("LD_PRELOAD");
        g_autofree char *value = old && *old ? g_strconcat(preload, ":", old, NULL) : g_strdup(preload);

        g_setenv("LD_PRELOAD", value, TRUE);
    } else {
        g_printerr(_("apsim exec: the statfs shim libapsim-preload.so was not found; libudev-based tools will "
                     "not accept the simulated /sys\n"));
    }
    return run_reaped(argv + cmd);
}

/* ---- ctl ------------------------------------------------------------------------------------------------ */

static int
cmd_ctl(int argc, char **argv)
{
    g_autofree char *root = NULL, *sock = NULL, *line = NULL, *reply = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ok = FALSE;

    root = g_canonicalize_filename(argv[0], NULL);
    sock = path_in(root, "run/apsim/control");
    line = g_strjoinv(" ", argv + 1);
    if (g_str_equal(line, "events")) {
        /* a stream: each device event a line, as it happens, until apsim stops or the reader goes */
        if (!apsim_control_stream(sock, line, STDOUT_FILENO, &error)) {
            g_printerr("apsim ctl: %s\n", error->message);
            return 1;
        }
        return 0;
    }
    reply = apsim_control_request(sock, line, &ok, &error);
    if (!reply) {
        g_printerr("apsim ctl: %s\n", error->message);
        return 1;
    }
    if (ok)
        fputs(reply, stdout);
    else
        g_printerr("apsim ctl: %s", reply);
    return ok ? 0 : 1;
}

static int
cmd_topologies(int argc, char **argv)
{
    const char *names[] = { "tiny", "z16", "noapxa", "max" };

    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ApsimTopology) t = apsim_topology_load(names[i], &error);

        if (t)
            printf("%-8s %s\n", names[i], t->description ? t->description : "");
        else
            printf("%-8s %s\n", names[i], error->message);
    }
    return 0;
}

/* ---- the command table ------------------------------------------------------------------------------- */

static const GOptionEntry start_entries[] = {
    { "topology", 0, 0, G_OPTION_ARG_STRING, &opt_topology,
      N_("the host to simulate: tiny (the default), z16, noapxa, max, or a topology file"), N_("NAME|FILE") },
    { "foreground", 0, 0, G_OPTION_ARG_NONE, &opt_foreground, N_("stay in the foreground"), NULL },
    { NULL },
};

/* Each command, declared once: the usage lines, GLib's option parser and its --help come from here */
static const struct {
    const char *name;
    const char *params;          /* N_(): its arguments and options */
    const char *summary;         /* N_() */
    const GOptionEntry *entries; /* its options */
    guint min_args, max_args;    /* how many arguments */
    gboolean rest_is_command;    /* options stop at the first argument: what follows is a command line */
    int (*run)(int argc, char **argv);
} subcommands[] = {
    { "start", N_("ROOT [--topology NAME|FILE] [--foreground]"),
      N_("Mounts a simulated host at ROOT/sys and runs it in the background."), start_entries, 1, 1, FALSE,
      cmd_start },
    { "stop", N_("ROOT"), N_("Stops the simulator of ROOT and unmounts its tree."), NULL, 1, 1, FALSE, cmd_stop },
    { "exec", N_("ROOT -- COMMAND [ARG...]"),
      N_("Runs a command that sees ROOT's simulated host at /sys, /etc/mdevctl.d, /run/lock and /dev/vfio."), NULL,
      3, G_MAXUINT, TRUE, cmd_exec },
    { "ctl", N_("ROOT REQUEST..."), N_("Sends a request to the simulator of ROOT ('apsim ctl ROOT help' lists them)."),
      NULL, 2, G_MAXUINT, TRUE, cmd_ctl },
    { "topologies", "", N_("Lists the built-in topologies."), NULL, 0, 0, FALSE, cmd_topologies },
};

static void
usage(FILE *out)
{
    fprintf(out, "%s\n", _("Usage:"));
    for (guint i = 0; i < G_N_ELEMENTS(subcommands); i++)
        fprintf(out, "  apsim %s%s%s\n", subcommands[i].name, *subcommands[i].params ? " " : "",
                *subcommands[i].params ? _(subcommands[i].params) : "");
    fprintf(out, "\n%s\n", _("Runs a simulated IBM Z AP host (AP bus, vfio_ap, mdevs, KVM guests) with its /sys tree "
                             "mounted at ROOT/sys. 'apsim COMMAND --help' says more. See apsim(1)."));
}

int
main(int argc, char **argv)
{
    apm_i18n_init();
    if (argc < 2 || g_str_equal(argv[1], "--help") || g_str_equal(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (guint i = 0; i < G_N_ELEMENTS(subcommands); i++) {
        g_autofree char *prgname = NULL;
        g_autoptr(GOptionContext) context = NULL;
        g_autoptr(GError) error = NULL;
        int sub_argc = argc - 1;
        char **sub_argv = argv + 1;
        guint n;

        if (!g_str_equal(argv[1], subcommands[i].name))
            continue;
        prgname = g_strdup_printf("apsim %s", subcommands[i].name);
        g_set_prgname(prgname);
        context = g_option_context_new(*subcommands[i].params ? _(subcommands[i].params) : NULL);
        g_option_context_set_summary(context, _(subcommands[i].summary));
        if (subcommands[i].entries)
            g_option_context_add_main_entries(context, subcommands[i].entries, GETTEXT_PACKAGE);
        g_option_context_set_strict_posix(context, subcommands[i].rest_is_command);
        if (!g_option_context_parse(context, &sub_argc, &sub_argv, &error)) {
            g_printerr(_("%s: %s\nTry '%s --help'.\n"), prgname, error->message, prgname);
            return 2;
        }
        n = (guint) sub_argc - 1;
        if (n < subcommands[i].min_args || n > subcommands[i].max_args) {
            g_printerr(_("%s: takes %s\nTry '%s --help'.\n"), prgname,
                       *subcommands[i].params ? _(subcommands[i].params) : _("no arguments"), prgname);
            return 2;
        }
        return subcommands[i].run(sub_argc - 1, sub_argv + 1);
    }
    g_printerr(_("apsim: unknown command '%s'\n"), argv[1]);
    usage(stderr);
    return 2;
}
