/* test-apsim-qmp.c: the simulated guests' QEMU monitors, spoken to over their UNIX sockets */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "apm-test.h"
#include "apsim-harness.h"

#define U1 "11111111-1111-4111-8111-111111111111"
#define U2 "22222222-2222-4222-8222-222222222222"

typedef struct {
    GSocketConnection *conn;
    GDataInputStream *in;
    GOutputStream *out;
} Qmp;

static char *
next_line(Qmp *q)
{
    g_autoptr(GError) error = NULL;
    char *line = g_data_input_stream_read_line(q->in, NULL, NULL, &error);

    g_assert_no_error(error);
    g_assert_nonnull(line);
    g_strchomp(line);
    return line;
}

static Qmp *
qmp_open(Sim *sim, const char *guest)
{
    g_autofree char *path = g_strdup_printf("%s/run/apsim/qmp/%s.sock", sim->root, guest);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GError) error = NULL;
    g_autofree char *greeting = NULL;
    Qmp *q = g_new0(Qmp, 1);

    q->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
    g_assert_no_error(error);
    q->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(q->conn)));
    g_data_input_stream_set_newline_type(q->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
    q->out = g_io_stream_get_output_stream(G_IO_STREAM(q->conn));
    greeting = next_line(q);
    g_assert_true(g_str_has_prefix(greeting, "{\"QMP\":{\"version\":{\"qemu\":"));
    g_assert_nonnull(strstr(greeting, "\"capabilities\":[\"oob\"]"));
    return q;
}

static void
qmp_close(Qmp *q)
{
    g_io_stream_close(G_IO_STREAM(q->conn), NULL, NULL);
    g_object_unref(q->in);
    g_object_unref(q->conn);
    g_free(q);
}

static char *
qmp_cmd(Qmp *q, const char *json)
{
    g_autofree char *line = g_strconcat(json, "\n", NULL);

    g_assert_true(g_output_stream_write_all(q->out, line, strlen(line), NULL, NULL, NULL));
    return next_line(q);
}

#define assert_qmp(q, json, expected)                                                                            \
    do {                                                                                                         \
        g_autofree char *_r = qmp_cmd((q), (json));                                                              \
        g_assert_cmpstr(_r, ==, (expected));                                                                     \
    } while (0)

static Sim *
start_with_mdevs(void)
{
    Sim *sim = sim_start("tiny");

    g_assert_cmpint(sim_write(sim, "bus/ap/apmask", "-1"), ==, 0);
    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "-2,-3"), ==, 0);
    sim_mdev(sim, U1, "1", "2", NULL);
    sim_mdev(sim, U2, "1", "3", NULL);
    return sim;
}

static void
test_negotiation(void)
{
    Sim *sim = start_with_mdevs();
    Qmp *q;

    sim_ctl(sim, "guest-start g1");
    q = qmp_open(sim, "g1");
    assert_qmp(q, "{\"execute\":\"query-status\"}",
               "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"Expecting capabilities negotiation with "
               "'qmp_capabilities'\"}}");
    assert_qmp(q, "{\"execute\":\"qmp_capabilities\",\"id\":1}", "{\"return\":{},\"id\":1}");
    assert_qmp(q, "{\"execute\":\"query-status\",\"id\":\"a\"}",
               "{\"return\":{\"status\":\"running\",\"singlestep\":false,\"running\":true},\"id\":\"a\"}");
    assert_qmp(q, "{\"execute\":\"no-such\"}",
               "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command no-such has not been found\"}}");
    assert_qmp(q, "not json", "{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error, expecting value\"}}");
    qmp_close(q);
    sim_stop(sim);
}

static void
test_device_add_del(void)
{
    Sim *sim = start_with_mdevs();
    g_autofree char *event = NULL, *reply = NULL;
    Qmp *q;

    sim_ctl(sim, "guest-start g1");
    q = qmp_open(sim, "g1");
    assert_qmp(q, "{\"execute\":\"qmp_capabilities\"}", "{\"return\":{}}");
    assert_qmp(q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"vfio-ap\",\"sysfsdev\":"
                  "\"/sys/bus/mdev/devices/99999999-1111-4111-8111-111111111111\",\"id\":\"hostdev0\"}}",
               "{\"error\":{\"class\":\"GenericError\",\"desc\":\"vfio /sys/bus/mdev/devices/"
               "99999999-1111-4111-8111-111111111111: no such host device: No such file or directory\"}}");
    assert_qmp(q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"vfio-ap\",\"sysfsdev\":"
                  "\"/sys/bus/mdev/devices/" U1 "\",\"id\":\"hostdev0\"}}", "{\"return\":{}}");
    {
        g_autofree char *status = sim_read(sim, "devices/ap/card01/01.0002/status");

        g_assert_cmpstr(status, ==, "in use\n");
    }
    assert_qmp(q, "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}",
               "{\"return\":[{\"name\":\"hostdev0\",\"type\":\"child<vfio-ap>\"}]}");
    /* one vfio-ap per guest: QEMU's ap-bus is full */
    assert_qmp(q, "{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"vfio-ap\",\"sysfsdev\":"
                  "\"/sys/bus/mdev/devices/" U2 "\",\"id\":\"hostdev1\"}}",
               "{\"error\":{\"class\":\"GenericError\",\"desc\":\"No 'ap-bus' bus found for device 'vfio-ap'\"}}");
    assert_qmp(q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"nope\"}}",
               "{\"error\":{\"class\":\"DeviceNotFound\",\"desc\":\"Device 'nope' not found\"}}");
    assert_qmp(q, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"hostdev0\"}}", "{\"return\":{}}");
    event = next_line(q);
    g_assert_true(g_str_has_prefix(event, "{\"event\":\"DEVICE_DELETED\",\"data\":{\"device\":\"hostdev0\","
                                          "\"path\":\"/machine/peripheral/hostdev0\"},\"timestamp\":"));
    reply = sim_read(sim, "devices/ap/card01/01.0002/status");
    g_assert_cmpstr(reply, ==, "assigned\n");
    qmp_close(q);
    sim_stop(sim);
}

static void
test_request_irq_unplugs_with_event(void)
{
    Sim *sim = start_with_mdevs();
    g_autofree char *event = NULL;
    Qmp *q;

    sim_ctl(sim, "guest-start g1 mdev=" U1); /* cold-plugged as hostdev0 */
    q = qmp_open(sim, "g1");
    assert_qmp(q, "{\"execute\":\"qmp_capabilities\"}", "{\"return\":{}}");
    g_assert_cmpint(sim_write(sim, "devices/vfio_ap/matrix/" U1 "/remove", "1"), ==, 0);
    event = next_line(q);
    g_assert_true(g_str_has_prefix(event, "{\"event\":\"DEVICE_DELETED\",\"data\":{\"device\":\"hostdev0\""));
    assert_qmp(q, "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}", "{\"return\":[]}");
    qmp_close(q);
    sim_stop(sim);
}

static void
test_quit_stops_guest(void)
{
    Sim *sim = start_with_mdevs();
    g_autofree char *shutdown = NULL, *dump = NULL;
    Qmp *q;

    sim_ctl(sim, "guest-start g1 mdev=" U1);
    q = qmp_open(sim, "g1");
    assert_qmp(q, "{\"execute\":\"qmp_capabilities\"}", "{\"return\":{}}");
    assert_qmp(q, "{\"execute\":\"quit\"}", "{\"return\":{}}");
    /* a QEMU that quits closes its devices without unplugging them: no DEVICE_DELETED */
    shutdown = next_line(q);
    g_assert_true(g_str_has_prefix(shutdown, "{\"event\":\"SHUTDOWN\",\"data\":{\"guest\":false,\"reason\":\"host-qmp-quit\"}"));
    dump = sim_ctl_out(sim, "dump");
    g_assert_true(g_regex_match_simple("\"name\" : \"g1\",\\s*\"running\" : false,\\s*\"mdev\" : null", dump, 0, 0));
    qmp_close(q);
    sim_stop(sim);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    sim_init();
    g_test_add_func("/apsim/qmp/greeting-and-negotiation", test_negotiation);
    g_test_add_func("/apsim/qmp/device-add-del-with-qemu-errors", test_device_add_del);
    g_test_add_func("/apsim/qmp/request-irq-unplugs-with-device-deleted", test_request_irq_unplugs_with_event);
    g_test_add_func("/apsim/qmp/quit-stops-the-guest", test_quit_stops_guest);
    return g_test_run();
}
