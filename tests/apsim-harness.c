/* apsim-harness.c: a real apsim per test, always stopped */
#include "config.h"
#include "apm-test-paths.h"
#include "apsim-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apm-mask.h"
#include "apm-test.h"

#define MAX_SIMS 16
static char *running_roots[MAX_SIMS];

const char *
sim_program(void)
{
    const char *env = g_getenv("APSIM");

    return env ? env : APM_BUILD_DIR "/tools/apsim";
}

static void
run_stop(const char *root)
{
    pid_t pid = fork();

    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 1);
        execl(sim_program(), "apsim", "stop", root, (char *) NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

static void
stop_all(void)
{
    for (int i = 0; i < MAX_SIMS; i++) {
        if (running_roots[i]) {
            run_stop(running_roots[i]);
            running_roots[i] = NULL;
        }
    }
}

static void
on_abort(int sig)
{
    stop_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

void
sim_init(void)
{
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    atexit(stop_all);
    signal(SIGABRT, on_abort);
    signal(SIGSEGV, on_abort);
    signal(SIGTRAP, on_abort); /* g_error() */
    signal(SIGBUS, on_abort);
    signal(SIGTERM, on_abort);
}

static Sim *
start(const char *topology)
{
    Sim *sim = g_new0(Sim, 1);
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = { sim_program(), "start", NULL, "--topology", topology, NULL };
    int status;

    sim->root = apm_test_tmpdir_new();
    sim->sys = g_build_filename(sim->root, "sys", NULL);
    argv[2] = sim->root;
    g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("apsim start failed: %s%s", out, err);
    for (int i = 0; i < MAX_SIMS; i++) {
        if (!running_roots[i]) {
            running_roots[i] = sim->root;
            break;
        }
    }
    return sim;
}

Sim *
sim_start(const char *topology)
{
    return start(topology);
}

Sim *
sim_start_text(const char *text)
{
    g_autofree char *dir = apm_test_tmpdir_new();
    g_autofree char *file = g_build_filename(dir, "custom.topo", NULL);
    Sim *sim;

    g_assert_true(g_file_set_contents(file, text, -1, NULL));
    sim = start(file);
    apm_test_tmpdir_free(g_steal_pointer(&dir));
    return sim;
}

void
sim_stop(Sim *sim)
{
    g_autofree char *log = g_build_filename(sim->root, "var/log/apsim.log", NULL);
    g_autofree char *text = NULL;

    run_stop(sim->root);
    for (int i = 0; i < MAX_SIMS; i++)
        if (running_roots[i] == sim->root)
            running_roots[i] = NULL;
    if (g_file_get_contents(log, &text, NULL, NULL) &&
        (strstr(text, "Sanitizer") || strstr(text, "lock-order violation") || strstr(text, "runtime error"))) {
        g_test_message("apsim log:\n%s", text);
        g_test_fail_printf("apsim reported a problem in its log (see above)");
    }
    g_assert_false(sim_exists(sim, "bus")); /* unmounted */
    apm_test_tmpdir_free(sim->root);
    g_free(sim->sys);
    g_free(sim);
}

int
sim_write(Sim *sim, const char *path, const char *value)
{
    g_autofree char *full = g_build_filename(sim->sys, path, NULL);
    int fd = open(full, O_WRONLY);
    ssize_t n;
    int err;

    if (fd < 0)
        return errno;
    n = write(fd, value, strlen(value));
    err = n < 0 ? errno : 0;
    close(fd);
    return err;
}

int
sim_read_errno(Sim *sim, const char *path)
{
    g_autofree char *full = g_build_filename(sim->sys, path, NULL);
    char buf[65536];
    int fd = open(full, O_RDONLY);
    int err = 0;

    if (fd < 0)
        return errno;
    if (read(fd, buf, sizeof(buf)) < 0)
        err = errno;
    close(fd);
    return err;
}

char *
sim_read(Sim *sim, const char *path)
{
    g_autofree char *full = g_build_filename(sim->sys, path, NULL);
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    g_file_get_contents(full, &text, NULL, &error);
    g_assert_no_error(error);
    return text;
}

gboolean
sim_exists(Sim *sim, const char *path)
{
    g_autofree char *full = g_build_filename(sim->sys, path, NULL);

    return g_file_test(full, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK);
}

char *
sim_readlink(Sim *sim, const char *path)
{
    g_autofree char *full = g_build_filename(sim->sys, path, NULL);
    g_autoptr(GError) error = NULL;
    char *target = g_file_read_link(full, &error);

    g_assert_no_error(error);
    return target;
}

char *
sim_ls(Sim *sim, const char *path)
{
    g_autofree char *full = g_build_filename(sim->sys, path, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = g_dir_open(full, 0, NULL);
    const char *name;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, (GCompareFunc) apm_test_strcmp_ptr);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(" ", (char **) names->pdata);
}

static gboolean
ctl(Sim *sim, char **reply, const char *line)
{
    const char *argv[64] = { sim_program(), "ctl", sim->root };
    g_auto(GStrv) words = g_strsplit(line, " ", 60);
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status, n = 3;

    for (guint i = 0; words[i]; i++)
        argv[n++] = words[i];
    argv[n] = NULL;
    g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, reply, &err, &status, &error);
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL)) {
        g_free(*reply);
        *reply = g_steal_pointer(&err);
        return FALSE;
    }
    return TRUE;
}

static char *G_GNUC_PRINTF(2, 0)
ctl_checked(Sim *sim, const char *format, va_list ap)
{
    g_autofree char *line = g_strdup_vprintf(format, ap);
    char *reply = NULL;

    if (!ctl(sim, &reply, line))
        g_error("apsim ctl %s failed: %s", line, reply);
    return reply;
}

char *
sim_ctl_out(Sim *sim, const char *format, ...)
{
    char *reply;
    va_list ap;

    va_start(ap, format);
    reply = ctl_checked(sim, format, ap);
    va_end(ap);
    return reply;
}

void
sim_ctl(Sim *sim, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    g_free(ctl_checked(sim, format, ap));
    va_end(ap);
}

gboolean
sim_ctl_try(Sim *sim, char **reply, const char *format, ...)
{
    g_autofree char *line = NULL;
    va_list ap;

    va_start(ap, format);
    line = g_strdup_vprintf(format, ap);
    va_end(ap);
    return ctl(sim, reply, line);
}

static void
assign_list(Sim *sim, const char *mdev, const char *attr, const char *list)
{
    ApmMask mask;

    if (!list)
        return;
    g_assert_true(apm_mask_parse_list(list, 255, attr, &mask, NULL));
    APM_MASK_FOREACH(id, &mask) {
        g_autofree char *path = g_strdup_printf("%s/%s", mdev, attr);
        g_autofree char *value = g_strdup_printf("%d\n", id);

        g_assert_cmpint(sim_write(sim, path, value), ==, 0);
    }
}

void
sim_mdev(Sim *sim, const char *uuid, const char *adapters, const char *domains, const char *cdoms)
{
    g_autofree char *path = g_strdup_printf("devices/vfio_ap/matrix/%s", uuid);
    g_autofree char *value = g_strdup_printf("%s\n", uuid);

    g_assert_cmpint(sim_write(sim, "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", value),
                    ==, 0);
    assign_list(sim, path, "assign_adapter", adapters);
    assign_list(sim, path, "assign_domain", domains);
    assign_list(sim, path, "assign_control_domain", cdoms);
}

gboolean
sim_ctl_fast(Sim *sim, char **reply, const char *line)
{
    g_autofree char *path = g_build_filename(sim->root, "run/apsim/control", NULL);
    g_autofree char *request = g_strconcat(line, "\n", NULL);
    g_autoptr(GString) out = g_string_new(NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char buf[4096];
    ssize_t n;
    int fd;
    char *nl;
    gboolean ok;

    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(connect(fd, (struct sockaddr *) &addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(write(fd, request, strlen(request)), ==, (gssize) strlen(request));
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        g_string_append_len(out, buf, n);
    close(fd);
    nl = strchr(out->str, '\n');
    g_assert_nonnull(nl);
    *nl = '\0';
    ok = g_str_equal(out->str, "ok");
    if (reply)
        *reply = g_strdup(nl + 1);
    return ok;
}
