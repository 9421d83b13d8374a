/* apsim-qemu-socket.c: the socket through which apsim-qemu, the emulator that libvirt's QEMU driver starts, runs
 * its guest in apsim and relays libvirt's monitor to the guest's front.
 *
 * One JSON request per connection, on its first line:
 *   {"execute": "apsim-qemu-start", "arguments": {"name": N, "machine": M, "paused": B, "no-shutdown": B,
 *    "vcpu-threads": [TID...], "chardevs": [{"label": L, "filename": F}...],
 *    "devices": [{"driver": "vfio-ap", "id": ID, "sysfsdev": PATH}...]}}
 *     starts the front of guest N (a probe front without a guest when N is absent and M is "none"), with its
 *     cold-plugged devices. The reply is {"return": {}} or {"error": {"class", "desc", "device"}}, "device"
 *     being the index of the device that failed. The connection then stands for the QEMU process: when it
 *     closes (the process exited or was killed) the guest's device closes and the guest goes, as the kernel
 *     closes a dead QEMU's vfio file descriptors. {"execute": "apsim-qemu-exit", "arguments": {"signal": S}}
 *     on it is a QEMU that exits on a signal: SHUTDOWN is sent first. apsim closes it when the guest ends
 *     otherwise (quit, a shutdown without -no-shutdown, apsim ctl guest-stop).
 *   {"execute": "apsim-qemu-monitor"}
 *     makes the connection a QMP monitor of the front that the same process started (SO_PEERCRED): the
 *     greeting follows at once.
 */
#include "config.h"
#include "apsim-qmp-private.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-error.h"

typedef struct {
    JsonParser *parser;
    const char *execute;
    JsonObject *args;
} Request;

static gboolean
request_parse(Request *r, const char *line)
{
    JsonObject *o;
    JsonNode *n;

    r->parser = json_parser_new();
    r->execute = NULL;
    r->args = NULL;
    if (!json_parser_load_from_data(r->parser, line, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(r->parser)))
        return FALSE;
    o = json_node_get_object(json_parser_get_root(r->parser));
    r->execute = apsim_json_string(o, "execute");
    n = json_object_get_member(o, "arguments");
    if (n && JSON_NODE_HOLDS_OBJECT(n))
        r->args = json_node_get_object(n);
    return r->execute != NULL;
}

static void
request_clear(Request *r)
{
    g_clear_object(&r->parser);
}

static gboolean
member_bool(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

static JsonArray *
member_array(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;

    return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
}

static void
reply_failure(ApsimClient *c, const char *desc, gint device)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "class");
    json_builder_add_string_value(b, "GenericError");
    json_builder_set_member_name(b, "desc");
    json_builder_add_string_value(b, desc);
    if (device >= 0) {
        json_builder_set_member_name(b, "device");
        json_builder_add_int_value(b, device);
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    apsim_client_send(c, root);
    c->closed = TRUE;
}

static void
start_front(ApsimClient *c, JsonObject *args)
{
    ApsimQmp *qmp = c->qmp;
    const char *name = apsim_json_string(args, "name");
    const char *machine = apsim_qmp_machine_canonical(apsim_json_string(args, "machine"));
    JsonArray *threads = member_array(args, "vcpu-threads");
    JsonArray *chardevs = member_array(args, "chardevs");
    JsonArray *devices = member_array(args, "devices");
    g_autoptr(GError) error = NULL;
    ApsimFront *f;

    if (c->pid <= 0 || g_hash_table_contains(qmp->owned, &c->pid)) {
        reply_failure(c, "this process has started a front already", -1);
        return;
    }
    if (!machine) {
        g_autofree char *desc = g_strdup_printf("unsupported machine type '%s': apsim's QEMU front runs "
                                                "s390-ccw-virtio-7.2 (alias s390-ccw-virtio) and none",
                                                apsim_json_string(args, "machine") ? apsim_json_string(args, "machine") : "");

        reply_failure(c, desc, -1);
        return;
    }
    if (!name != g_str_equal(machine, "none")) {
        reply_failure(c, name ? "machine 'none' runs no guest" : "a guest needs a name", -1);
        return;
    }
    if (name && g_hash_table_contains(qmp->fronts, name)) {
        g_autofree char *desc = g_strdup_printf("guest %s is running already", name);

        reply_failure(c, desc, -1);
        return;
    }
    f = apsim_front_new(qmp, name, FALSE, &error);
    if (!f) {
        reply_failure(c, error->message, -1);
        return;
    }
    f->machine = machine;
    f->no_shutdown = member_bool(args, "no-shutdown");
    f->state = member_bool(args, "paused") ? APSIM_RUN_PRELAUNCH : APSIM_RUN_RUNNING;
    for (guint i = 0; threads && i < json_array_get_length(threads); i++) {
        gint64 tid = json_array_get_int_element(threads, i);

        g_array_append_val(f->vcpu_threads, tid);
    }
    for (guint i = 0; chardevs && i < json_array_get_length(chardevs); i++) {
        JsonNode *n = json_array_get_element(chardevs, i);
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;

        g_ptr_array_add(f->chardevs, g_strdup(apsim_json_string(o, "label") ? apsim_json_string(o, "label") : ""));
        g_ptr_array_add(f->chardevs, g_strdup(apsim_json_string(o, "filename") ? apsim_json_string(o, "filename") : ""));
    }
    for (guint i = 0; devices && i < json_array_get_length(devices); i++) {
        JsonNode *n = json_array_get_element(devices, i);
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;

        if (!apsim_front_device_add(f, apsim_json_string(o, "driver"), apsim_json_string(o, "sysfsdev"),
                                    apsim_json_string(o, "id"), &error)) {
            reply_failure(c, error->message, (gint) i);
            apsim_front_end(f);
            return;
        }
    }
    f->owner = c;
    f->owner_pid = c->pid;
    c->role = APSIM_CLIENT_OWNER;
    c->front = f;
    g_hash_table_insert(qmp->owned, &f->owner_pid, f);
    if (f->name)
        g_hash_table_insert(qmp->fronts, f->name, f);
    apsim_client_reply(c, NULL, NULL);
}

void
apsim_qemu_socket_request(ApsimClient *c, const char *line)
{
    Request r;

    c->qmp->pending = g_list_remove(c->qmp->pending, c);
    if (!request_parse(&r, line)) {
        reply_failure(c, "expected a JSON request with 'execute'", -1);
    } else if (g_str_equal(r.execute, "apsim-qemu-start")) {
        start_front(c, r.args);
    } else if (g_str_equal(r.execute, "apsim-qemu-monitor")) {
        ApsimFront *f = g_hash_table_lookup(c->qmp->owned, &c->pid);

        if (!f) {
            reply_failure(c, "this process has no QEMU front", -1);
        } else {
            c->role = APSIM_CLIENT_MONITOR;
            c->front = f;
            f->clients = g_list_prepend(f->clients, c);
            apsim_client_send_greeting(c);
        }
    } else {
        g_autofree char *desc = g_strdup_printf("unknown request '%s'", r.execute);

        reply_failure(c, desc, -1);
    }
    request_clear(&r);
}

void
apsim_qemu_socket_owner_line(ApsimClient *c, const char *line)
{
    ApsimFront *f = c->front;
    Request r;

    if (request_parse(&r, line) && g_str_equal(r.execute, "apsim-qemu-exit")) {
        /* QEMU's handler of SIGTERM, SIGINT and SIGHUP: SHUTDOWN, then the process goes, and with it its vfio
         * device: closed before the reply, so that whoever waits for the process finds the mdev free */
        apsim_front_event_shutdown(f, FALSE, "host-signal");
        apsim_front_device_close(f, FALSE);
        apsim_client_reply(c, NULL, NULL);
        apsim_front_end(f);
    } else {
        apsim_client_error(c, NULL, "GenericError", "an owner may only say apsim-qemu-exit");
    }
    request_clear(&r);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
    ApsimQmp *qmp = data;
    ApsimClient *c = apsim_client_new(qmp, conn, APSIM_CLIENT_PENDING);

    (void) service;
    (void) source;
    qmp->pending = g_list_prepend(qmp->pending, c);
    apsim_client_start(c);
    return TRUE;
}

gboolean
apsim_qemu_socket_listen(ApsimQmp *qmp, const char *path, GError **error)
{
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path);
    g_autoptr(GError) local = NULL;

    unlink(path);
    qmp->qemu_service = g_socket_service_new();
    g_socket_listener_set_backlog(G_SOCKET_LISTENER(qmp->qemu_service), 128);
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(qmp->qemu_service), addr, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &local) ||
        chmod(path, 0666) < 0) {
        if (local)
            g_set_error(error, APM_ERROR, APM_ERROR_IO, "%s", local->message);
        else
            apm_set_errno_error(error, errno, "%s", path);
        apsim_qemu_socket_close(qmp);
        return FALSE;
    }
    qmp->qemu_path = g_strdup(path);
    g_signal_connect(qmp->qemu_service, "incoming", G_CALLBACK(on_incoming), qmp);
    g_socket_service_start(qmp->qemu_service);
    return TRUE;
}

void
apsim_qemu_socket_close(ApsimQmp *qmp)
{
    if (!qmp->qemu_service)
        return;
    g_socket_service_stop(qmp->qemu_service);
    g_socket_listener_close(G_SOCKET_LISTENER(qmp->qemu_service));
    g_clear_object(&qmp->qemu_service);
    if (qmp->qemu_path)
        unlink(qmp->qemu_path);
}
