/* test-qmp-client.c: apmatrix's QMP client against apsim's guests (and a peer that does not speak QMP) */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-qmp.h"
#include "apm-test.h"
#include "apsim-harness.h"

#define U1 "11111111-1111-4111-8111-111111111111"

static char *
socket_of(Sim *sim, const char *guest)
{
    return g_strdup_printf("%s/run/apsim/qmp/%s.sock", sim->root, guest);
}

static JsonNode *
vfio_ap_args(const char *id, const char *uuid)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *sysfsdev = g_strconcat("/sys/bus/mdev/devices/", uuid, NULL);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "driver");
    json_builder_add_string_value(b, "vfio-ap");
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, id);
    json_builder_set_member_name(b, "sysfsdev");
    json_builder_add_string_value(b, sysfsdev);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void
test_commands_events_and_errors(void)
{
    Sim *sim = sim_start("tiny");
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmQmp) qmp = NULL;
    g_autoptr(JsonNode) status = NULL, added = NULL, deleted = NULL, none = NULL, again = NULL;
    g_autoptr(JsonNode) args = vfio_ap_args("hostdev0", U1);
    g_autoptr(JsonNode) del = NULL;

    g_assert_cmpint(sim_write(sim, "bus/ap/apmask", "-1"), ==, 0);
    sim_mdev(sim, U1, "1", "2", NULL);
    sim_ctl(sim, "guest-start g1");
    path = socket_of(sim, "g1");
    qmp = apm_qmp_connect(path, 5000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(apm_qmp_version(qmp), !=, "");

    status = apm_qmp_execute(qmp, "query-status", NULL, 5000, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(apm_json_member_string(json_node_get_object(status), "status"), ==, "running");

    added = apm_qmp_execute(qmp, "device_add", args, 5000, &error);
    g_assert_no_error(error);
    {
        g_autofree char *apcb = sim_ctl_out(sim, "guest-apcb g1");

        g_assert_nonnull(strstr(apcb, "adapters=1"));
    }
    /* QEMU's refusal, in words with its class */
    again = apm_qmp_execute(qmp, "device_add", args, 5000, &error);
    g_assert_null(again);
    g_assert_error(error, APM_ERROR, APM_ERROR_PEER);
    g_assert_nonnull(strstr(error->message, "QEMU refused device_add: "));
    g_assert_nonnull(strstr(error->message, "(GenericError)"));
    g_clear_error(&error);

    /* device_del, then DEVICE_DELETED routed to the waiter */
    {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) id = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, "hostdev0");
        json_builder_end_object(b);
        id = json_builder_get_root(b);
        del = apm_qmp_execute(qmp, "device_del", id, 5000, &error);
        g_assert_no_error(error);
        g_clear_pointer(&del, json_node_unref);
        deleted = apm_qmp_wait_event(qmp, "DEVICE_DELETED", "device", "hostdev0", 5000, &error);
        g_assert_no_error(error);
        /* a device QEMU does not have: DeviceNotFound means not found */
        del = apm_qmp_execute(qmp, "device_del", id, 5000, &error);
        g_assert_null(del);
        g_assert_error(error, APM_ERROR, APM_ERROR_NOT_FOUND);
        g_clear_error(&error);
    }
    /* an event that never comes: a timeout, said as one */
    none = apm_qmp_wait_event(qmp, "DEVICE_DELETED", "device", "hostdev0", 200, &error);
    g_assert_null(none);
    g_assert_error(error, APM_ERROR, APM_ERROR_TIMEOUT);
    g_assert_nonnull(strstr(error->message, "gave no event DEVICE_DELETED within 200 ms"));
    g_clear_error(&error);

    /* QEMU going away while a command waits */
    sim_ctl(sim, "guest-stop g1");
    status = (json_node_unref(status), apm_qmp_execute(qmp, "query-status", NULL, 5000, &error));
    g_assert_null(status);
    g_assert_nonnull(error);
    sim_stop(sim);
}

/* a listener that is not QEMU: a child process that says something that is not QMP, then hangs up */
static pid_t
bogus_peer(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pid_t pid;

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    g_assert_cmpint(bind(fd, (struct sockaddr *) &addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(fd, 1), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        int c = accept(fd, NULL, NULL);

        if (c >= 0 && write(c, "SSH-2.0-OpenSSH_9.2\r\n", 21) == 21)
            close(c);
        _exit(0);
    }
    close(fd);
    return pid;
}

static void
test_peers_that_are_not_qemu(void)
{
    char *dir = apm_test_tmpdir_new();
    g_autofree char *missing = g_build_filename(dir, "nothing.sock", NULL);
    g_autofree char *bogus = g_build_filename(dir, "bogus.sock", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmQmp) qmp = apm_qmp_connect(missing, 1000, &error);
    pid_t pid;

    g_assert_null(qmp);
    g_assert_error(error, APM_ERROR, APM_ERROR_NOT_FOUND); /* nothing listens: no QEMU there */
    g_assert_nonnull(strstr(error->message, "Cannot connect to QEMU's monitor"));
    g_clear_error(&error);

    pid = bogus_peer(bogus);
    qmp = apm_qmp_connect(bogus, 2000, &error);
    g_assert_null(qmp);
    g_assert_error(error, APM_ERROR, APM_ERROR_PEER);
    g_assert_nonnull(strstr(error->message, "does not speak QMP"));
    waitpid(pid, NULL, 0);
    apm_test_tmpdir_free(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    sim_init();
    g_test_add_func("/qmp-client/commands-events-and-errors", test_commands_events_and_errors);
    g_test_add_func("/qmp-client/peers-that-are-not-qemu", test_peers_that_are_not_qemu);
    return g_test_run();
}
