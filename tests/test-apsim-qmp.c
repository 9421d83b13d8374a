/* test-apsim-qmp.c: the simulated guests' QEMU monitors, spoken to over their UNIX sockets */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

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
qmp_connect(const char *path)
{
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GError) error = NULL;
    Qmp *q = g_new0(Qmp, 1);

    q->conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, &error);
    g_assert_no_error(error);
    q->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(q->conn)));
    g_data_input_stream_set_newline_type(q->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
    q->out = g_io_stream_get_output_stream(G_IO_STREAM(q->conn));
    return q;
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

/* The reply to a command, past the events that come before it */
static char *
qmp_cmd_reply(Qmp *q, const char *json)
{
    char *line = qmp_cmd(q, json);

    while (g_str_has_prefix(line, "{\"event\"")) {
        g_free(line);
        line = next_line(q);
    }
    return line;
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

/* Every command query-commands lists is answered (none says CommandNotFound), and an unlisted one is not */
static void
test_listed_commands_answered(void)
{
    Sim *sim = start_with_mdevs();
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autofree char *reply = NULL;
    JsonArray *list;
    Qmp *q;

    sim_ctl(sim, "guest-start g1");
    q = qmp_open(sim, "g1");
    assert_qmp(q, "{\"execute\":\"qmp_capabilities\"}", "{\"return\":{}}");
    reply = qmp_cmd(q, "{\"execute\":\"query-commands\"}");
    g_assert_true(json_parser_load_from_data(parser, reply, -1, NULL));
    list = json_object_get_array_member(json_node_get_object(json_parser_get_root(parser)), "return");
    g_assert_cmpuint(json_array_get_length(list), >=, 20);
    for (guint i = 0; i < json_array_get_length(list); i++) {
        const char *name = json_object_get_string_member(json_array_get_object_element(list, i), "name");
        g_autofree char *cmd = NULL, *r = NULL;

        if (g_str_equal(name, "quit") || g_str_equal(name, "system_powerdown") || g_str_equal(name, "device_del"))
            continue; /* they end or change the guest; tested on their own */
        if (g_str_equal(name, "qmp_capabilities"))
            continue; /* QEMU's own answer once negotiated is CommandNotFound (tested above) */
        cmd = g_strdup_printf("{\"execute\":\"%s\"}", name);
        r = qmp_cmd_reply(q, cmd);
        if (strstr(r, "CommandNotFound"))
            g_error("%s is listed but not answered: %s", name, r);
    }
    {
        g_autofree char *r = qmp_cmd_reply(q, "{\"execute\":\"query-hotpluggable-cpus\"}");

        g_assert_cmpstr(r, ==, "{\"error\":{\"class\":\"CommandNotFound\",\"desc\":\"The command "
                               "query-hotpluggable-cpus has not been found\"}}");
    }
    qmp_close(q);
    sim_stop(sim);
}

static char *
qemu_socket(Sim *sim)
{
    return g_strdup_printf("%s/run/apsim/qemu.sock", sim->root);
}

/* A front apsim-qemu starts lives as long as its connection: paused, cold-plugged, its monitor a fresh QMP
 * session; when the connection closes (the process died) the device closes and the guest goes */
static void
test_qemu_socket_front_lives_with_owner(void)
{
    Sim *sim = start_with_mdevs();
    g_autofree char *path = qemu_socket(sim);
    g_autofree char *greeting = NULL, *event = NULL, *dump = NULL, *status = NULL;
    Qmp *owner = qmp_connect(path), *mon;

    assert_qmp(owner, "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"name\":\"lv1\",\"machine\":"
                      "\"s390-ccw-virtio\",\"paused\":true,\"no-shutdown\":true,\"vcpu-threads\":[4242],"
                      "\"chardevs\":[{\"label\":\"charmonitor\",\"filename\":\"unix:/x,server=on\"}],"
                      "\"devices\":[{\"driver\":\"vfio-ap\",\"id\":\"hostdev0\",\"sysfsdev\":"
                      "\"/sys/bus/mdev/devices/" U1 "\"}]}}",
               "{\"return\":{}}");
    status = sim_read(sim, "devices/ap/card01/01.0002/status");
    g_assert_cmpstr(status, ==, "in use\n");
    mon = qmp_connect(path);
    greeting = qmp_cmd(mon, "{\"execute\":\"apsim-qemu-monitor\"}");
    g_assert_true(g_str_has_prefix(greeting, "{\"QMP\":{\"version\":{\"qemu\":{\"micro\":0,\"minor\":2,\"major\":7}"));
    assert_qmp(mon, "{\"execute\":\"qmp_capabilities\",\"id\":\"libvirt-1\"}", "{\"return\":{},\"id\":\"libvirt-1\"}");
    assert_qmp(mon, "{\"execute\":\"query-status\"}",
               "{\"return\":{\"status\":\"prelaunch\",\"singlestep\":false,\"running\":false}}");
    assert_qmp(mon, "{\"execute\":\"query-cpus-fast\"}",
               "{\"return\":[{\"cpu-index\":0,\"qom-path\":\"/machine/unattached/device[0]\",\"thread-id\":4242,"
               "\"props\":{\"core-id\":0},\"target\":\"s390x\",\"cpu-state\":\"operating\"}]}");
    assert_qmp(mon, "{\"execute\":\"query-chardev\"}",
               "{\"return\":[{\"frontend-open\":true,\"filename\":\"unix:/x,server=on\",\"label\":\"charmonitor\"}]}");
    assert_qmp(mon, "{\"execute\":\"cont\"}", "{\"return\":{}}");
    event = next_line(mon);
    g_assert_true(g_str_has_prefix(event, "{\"event\":\"RESUME\",\"data\":{}"));
    assert_qmp(mon, "{\"execute\":\"query-status\"}",
               "{\"return\":{\"status\":\"running\",\"singlestep\":false,\"running\":true}}");
    assert_qmp(mon, "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}",
               "{\"return\":[{\"name\":\"hostdev0\",\"type\":\"child<vfio-ap>\"}]}");
    dump = sim_ctl_out(sim, "guest-apcb lv1");
    g_assert_cmpstr(dump, ==, "adapters=1\ndomains=2\ncontrol_domains=\ncfg_changes=0\n");
    /* the process dies: its connection closes */
    qmp_close(owner);
    for (int i = 0; i < 100; i++) {
        g_autofree char *st = sim_read(sim, "devices/ap/card01/01.0002/status");

        if (g_str_equal(st, "assigned\n"))
            break;
        g_usleep(20 * 1000);
    }
    g_clear_pointer(&status, g_free);
    status = sim_read(sim, "devices/ap/card01/01.0002/status");
    g_assert_cmpstr(status, ==, "assigned\n");
    {
        g_autofree char *gone = NULL;

        g_assert_false(sim_ctl_try(sim, &gone, "guest-apcb lv1"));
    }
    g_assert_null(g_data_input_stream_read_line(mon->in, NULL, NULL, NULL)); /* the monitor went with it */
    qmp_close(mon);
    sim_stop(sim);
}

/* A signal to apsim-qemu: SHUTDOWN (host-signal) on the monitor, the device closed, before the reply */
static void
test_qemu_socket_exit_on_signal(void)
{
    Sim *sim = start_with_mdevs();
    g_autofree char *path = qemu_socket(sim);
    g_autofree char *shutdown = NULL, *reply = NULL, *status = NULL;
    Qmp *owner = qmp_connect(path), *mon;

    assert_qmp(owner, "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"name\":\"lv1\",\"machine\":"
                      "\"s390-ccw-virtio-7.2\",\"devices\":[{\"driver\":\"vfio-ap\",\"id\":\"hostdev0\","
                      "\"sysfsdev\":\"/sys/bus/mdev/devices/" U1 "\"}]}}",
               "{\"return\":{}}");
    mon = qmp_connect(path);
    g_free(qmp_cmd(mon, "{\"execute\":\"apsim-qemu-monitor\"}"));
    assert_qmp(mon, "{\"execute\":\"qmp_capabilities\"}", "{\"return\":{}}");
    reply = qmp_cmd(owner, "{\"execute\":\"apsim-qemu-exit\",\"arguments\":{\"signal\":15}}");
    g_assert_cmpstr(reply, ==, "{\"return\":{}}");
    status = sim_read(sim, "devices/ap/card01/01.0002/status");
    g_assert_cmpstr(status, ==, "assigned\n");
    shutdown = next_line(mon);
    g_assert_true(g_str_has_prefix(shutdown, "{\"event\":\"SHUTDOWN\",\"data\":{\"guest\":false,\"reason\":\"host-signal\"}"));
    g_assert_null(g_data_input_stream_read_line(owner->in, NULL, NULL, NULL));
    qmp_close(mon);
    qmp_close(owner);
    sim_stop(sim);
}

/* What the QEMU-front socket refuses, each with the reason, leaving nothing behind */
static void
test_qemu_socket_refusals(void)
{
    Sim *sim = start_with_mdevs();
    g_autofree char *path = qemu_socket(sim);
    g_autofree char *before = sim_ctl_out(sim, "dump"), *after = NULL;
    static const struct {
        const char *request;
        const char *reply;
    } cases[] = {
        { "{\"execute\":\"apsim-qemu-monitor\"}",
          "{\"error\":{\"class\":\"GenericError\",\"desc\":\"this process has no QEMU front\"}}" },
        { "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"name\":\"x\",\"machine\":\"pc-q35\"}}",
          "{\"error\":{\"class\":\"GenericError\",\"desc\":\"unsupported machine type 'pc-q35': apsim's QEMU "
          "front runs s390-ccw-virtio-7.2 (alias s390-ccw-virtio) and none\"}}" },
        { "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"name\":\"x\",\"machine\":\"none\"}}",
          "{\"error\":{\"class\":\"GenericError\",\"desc\":\"machine 'none' runs no guest\"}}" },
        { "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"name\":\"x\",\"machine\":\"s390-ccw-virtio\","
          "\"devices\":[{\"driver\":\"vfio-ap\",\"id\":\"hostdev0\",\"sysfsdev\":\"/sys/bus/mdev/devices/"
          "99999999-1111-4111-8111-111111111111\"}]}}",
          "{\"error\":{\"class\":\"GenericError\",\"desc\":\"vfio /sys/bus/mdev/devices/"
          "99999999-1111-4111-8111-111111111111: no such host device: No such file or directory\",\"device\":0}}" },
        { "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"name\":\"x\",\"machine\":\"s390-ccw-virtio\","
          "\"devices\":[{\"driver\":\"virtio-rng-ccw\"}]}}",
          "{\"error\":{\"class\":\"GenericError\",\"desc\":\"'virtio-rng-ccw' is not a valid device model "
          "name\",\"device\":0}}" },
        { "nonsense", "{\"error\":{\"class\":\"GenericError\",\"desc\":\"expected a JSON request with 'execute'\"}}" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        Qmp *q = qmp_connect(path);

        assert_qmp(q, cases[i].request, cases[i].reply);
        g_assert_null(g_data_input_stream_read_line(q->in, NULL, NULL, NULL)); /* and it hangs up */
        qmp_close(q);
    }
    {
        /* one front per process; a guest of the control interface keeps its name */
        Qmp *q = qmp_connect(path), *second = qmp_connect(path);
        g_autofree char *r = NULL;

        sim_ctl(sim, "guest-start g1");
        assert_qmp(q, "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"machine\":\"none\"}}", "{\"return\":{}}");
        assert_qmp(second, "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"machine\":\"none\"}}",
                   "{\"error\":{\"class\":\"GenericError\",\"desc\":\"this process has started a front already\"}}");
        qmp_close(second);
        qmp_close(q);
        /* apsim hears of the close in its own time: until then this process still has a front */
        for (int i = 0; i < 200; i++) {
            Qmp *third = qmp_connect(path);

            g_free(r);
            r = qmp_cmd(third, "{\"execute\":\"apsim-qemu-start\",\"arguments\":{\"name\":\"g1\",\"machine\":"
                               "\"s390-ccw-virtio\"}}");
            qmp_close(third);
            if (!strstr(r, "started a front already"))
                break;
            g_usleep(10 * 1000);
        }
        g_assert_cmpstr(r, ==, "{\"error\":{\"class\":\"GenericError\",\"desc\":\"guest g1 is running already\"}}");
        sim_ctl(sim, "guest-stop g1");
    }
    after = sim_ctl_out(sim, "dump");
    g_assert_cmpstr(before, ==, after);
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
    g_test_add_func("/apsim/qmp/every-listed-command-is-answered", test_listed_commands_answered);
    g_test_add_func("/apsim/qemu-socket/front-lives-as-long-as-its-owner", test_qemu_socket_front_lives_with_owner);
    g_test_add_func("/apsim/qemu-socket/exit-on-signal-says-shutdown-first", test_qemu_socket_exit_on_signal);
    g_test_add_func("/apsim/qemu-socket/refusals-leave-nothing", test_qemu_socket_refusals);
    return g_test_run();
}
