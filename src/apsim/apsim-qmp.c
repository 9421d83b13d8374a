/* apsim-qmp.c: QMP monitors of the simulated guests' QEMUs */
#include "config.h"
#include "apsim-qmp.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include <pthread.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

#define SYSFSDEV_PREFIX "/sys/bus/mdev/devices/"

typedef struct Front Front;

typedef struct {
    Front *front;
    GSocketConnection *conn;
    GDataInputStream *in;
    GOutputStream *out;
    gboolean negotiated;
    gboolean closed;
} Client;

struct Front {
    ApsimQmp *qmp;
    char *name;
    ApsimGuest *guest;
    char *device_id; /* the vfio-ap device, or NULL */
    char *mdev;
    char *path;
    gboolean hang_unplug;   /* device_del is accepted but the guest never lets go (no DEVICE_DELETED) */
    gboolean unplug_pending;
    GSocketService *service;
    GList *clients;
};

typedef struct {
    GSourceFunc func;
    gpointer data;
    gboolean done;
} Call;

struct ApsimQmp {
    ApsimHost *host;
    char *dir;
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
    GHashTable *fronts; /* loop thread only: name -> Front */
    /* hand-offs between threads, in pthread primitives so that ThreadSanitizer sees them */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    GQueue unplugs; /* guest names whose QEMU must act on a request IRQ */
};

/* ---- running things in the loop thread ------------------------------------------------------------------- */

static gboolean
call_in_loop(gpointer data)
{
    Call *call = data;
    ApsimQmp *qmp = ((ApsimQmp **) call->data)[0];

    pthread_mutex_lock(&qmp->mutex);
    call->func(call->data);
    call->done = TRUE;
    pthread_cond_broadcast(&qmp->cond);
    pthread_mutex_unlock(&qmp->mutex);
    return G_SOURCE_REMOVE;
}

/* Runs func(data) in the loop thread and waits for it; data must start with the ApsimQmp pointer. */
static void
run_in_loop(ApsimQmp *qmp, GSourceFunc func, gpointer data)
{
    Call call = { func, data, FALSE };

    pthread_mutex_lock(&qmp->mutex);
    g_main_context_invoke(qmp->context, call_in_loop, &call);
    while (!call.done)
        pthread_cond_wait(&qmp->cond, &qmp->mutex);
    pthread_mutex_unlock(&qmp->mutex);
}

/* ---- sending -------------------------------------------------------------------------------------------- */

static void
send_node(Client *c, JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;
    g_autofree char *line = NULL;

    if (c->closed)
        return;
    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    line = g_strconcat(text, "\r\n", NULL);
    if (!g_output_stream_write_all(c->out, line, strlen(line), NULL, NULL, NULL))
        c->closed = TRUE;
}

static void
send_builder(Client *c, JsonBuilder *b)
{
    g_autoptr(JsonNode) node = json_builder_get_root(b);

    send_node(c, node);
}

static void
add_id(JsonBuilder *b, JsonNode *id)
{
    if (!id)
        return;
    json_builder_set_member_name(b, "id");
    json_builder_add_value(b, json_node_copy(id));
}

static void
reply_return(Client *c, JsonNode *id, JsonNode *value)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "return");
    if (value) {
        json_builder_add_value(b, value);
    } else {
        json_builder_begin_object(b);
        json_builder_end_object(b);
    }
    add_id(b, id);
    json_builder_end_object(b);
    send_builder(c, b);
}

static void
reply_error(Client *c, JsonNode *id, const char *klass, const char *desc)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "error");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "class");
    json_builder_add_string_value(b, klass);
    json_builder_set_member_name(b, "desc");
    json_builder_add_string_value(b, desc);
    json_builder_end_object(b);
    add_id(b, id);
    json_builder_end_object(b);
    send_builder(c, b);
}

static void
broadcast_event(Front *f, const char *event, const char *device)
{
    gint64 now = g_get_real_time();

    for (GList *l = f->clients; l; l = l->next) {
        Client *c = l->data;
        g_autoptr(JsonBuilder) b = json_builder_new();

        if (!c->negotiated)
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "event");
        json_builder_add_string_value(b, event);
        json_builder_set_member_name(b, "data");
        json_builder_begin_object(b);
        if (device) {
            g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", device);

            json_builder_set_member_name(b, "device");
            json_builder_add_string_value(b, device);
            json_builder_set_member_name(b, "path");
            json_builder_add_string_value(b, path);
        } else if (g_str_equal(event, "SHUTDOWN")) {
            json_builder_set_member_name(b, "guest");
            json_builder_add_boolean_value(b, FALSE);
            json_builder_set_member_name(b, "reason");
            json_builder_add_string_value(b, "host-qmp-quit");
        }
        json_builder_end_object(b);
        json_builder_set_member_name(b, "timestamp");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "seconds");
        json_builder_add_int_value(b, now / G_USEC_PER_SEC);
        json_builder_set_member_name(b, "microseconds");
        json_builder_add_int_value(b, now % G_USEC_PER_SEC);
        json_builder_end_object(b);
        json_builder_end_object(b);
        send_builder(c, b);
    }
}

/* ---- the device ------------------------------------------------------------------------------------------ */

/* device_add driver=vfio-ap: QEMU's wording for each refusal. */
static gboolean
front_device_add(Front *f, const char *driver, const char *sysfsdev, const char *id, const char **klass,
                 GError **error)
{
    ApsimHost *host = f->qmp->host;
    g_autoptr(ApsimMdev) mdev = NULL;
    const char *uuid;
    int rc;

    *klass = "GenericError";
    if (!driver) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, "Parameter 'driver' is missing");
        return FALSE;
    }
    if (!g_str_equal(driver, "vfio-ap")) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, "'%s' is not a valid device model name", driver);
        return FALSE;
    }
    if (f->device_id) {
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT, "No 'ap-bus' bus found for device 'vfio-ap'");
        return FALSE;
    }
    if (!sysfsdev) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, "vfio-ap: no sysfsdev property given");
        return FALSE;
    }
    uuid = strrchr(sysfsdev, '/') ? strrchr(sysfsdev, '/') + 1 : sysfsdev;
    if (g_str_has_prefix(sysfsdev, "/sys/") && apm_uuid_is_valid(uuid))
        mdev = apsim_host_lookup_mdev(host, uuid);
    if (!mdev) {
        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, "vfio %s: no such host device: No such file or directory",
                    sysfsdev);
        return FALSE;
    }
    rc = apsim_guest_open_device(host, f->guest, mdev);
    if (rc) {
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                    "vfio %s: error getting device from group %u: %s", uuid, mdev->iommu_group, g_strerror(-rc));
        return FALSE;
    }
    apsim_guest_set_eventfds(host, f->guest, TRUE, TRUE);
    g_free(f->device_id);
    f->device_id = g_strdup(id ? id : "vfio-ap-0");
    g_free(f->mdev);
    f->mdev = g_strdup(uuid);
    return TRUE;
}

/* qdev_simple_device_unplug_cb: immediate, then DEVICE_DELETED */
static void
front_device_del(Front *f)
{
    g_autofree char *id = g_steal_pointer(&f->device_id);

    apsim_guest_close_device(f->qmp->host, f->guest);
    g_clear_pointer(&f->mdev, g_free);
    f->unplug_pending = FALSE;
    if (id)
        broadcast_event(f, "DEVICE_DELETED", id);
}

/* ---- commands -------------------------------------------------------------------------------------------- */

static const char *
get_string(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
                                                                                         : NULL;
}

static void
handle_line(Client *c, const char *line)
{
    Front *f = c->front;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *req, *args = NULL;
    JsonNode *id;
    const char *cmd;

    if (!*g_strstrip((char *) line))
        return;
    if (!json_parser_load_from_data(parser, line, -1, &error) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        reply_error(c, NULL, "GenericError", "JSON parse error, expecting value");
        return;
    }
    req = json_node_get_object(json_parser_get_root(parser));
    id = json_object_get_member(req, "id");
    cmd = get_string(req, "execute");
    if (json_object_has_member(req, "arguments") &&
        JSON_NODE_HOLDS_OBJECT(json_object_get_member(req, "arguments")))
        args = json_object_get_object_member(req, "arguments");
    if (!cmd) {
        reply_error(c, id, "GenericError", "QMP input lacks member 'execute'");
        return;
    }
    if (!c->negotiated) {
        if (g_str_equal(cmd, "qmp_capabilities")) {
            c->negotiated = TRUE;
            reply_return(c, id, NULL);
        } else {
            reply_error(c, id, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        return;
    }
    if (g_str_equal(cmd, "qmp_capabilities")) {
        reply_error(c, id, "CommandNotFound", "Capabilities negotiation is already complete, command ignored");
    } else if (g_str_equal(cmd, "query-status")) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) node = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "status");
        json_builder_add_string_value(b, "running");
        json_builder_set_member_name(b, "singlestep");
        json_builder_add_boolean_value(b, FALSE);
        json_builder_set_member_name(b, "running");
        json_builder_add_boolean_value(b, TRUE);
        json_builder_end_object(b);
        node = json_builder_get_root(b);
        reply_return(c, id, g_steal_pointer(&node));
    } else if (g_str_equal(cmd, "qom-list")) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) node = NULL;
        const char *path = get_string(args, "path");

        if (!path || !g_str_equal(path, "/machine/peripheral")) {
            g_autofree char *desc = g_strdup_printf("Device '%s' not found", path ? path : "");

            reply_error(c, id, "DeviceNotFound", desc);
            return;
        }
        json_builder_begin_array(b);
        if (f->device_id) {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, f->device_id);
            json_builder_set_member_name(b, "type");
            json_builder_add_string_value(b, "child<vfio-ap>");
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        node = json_builder_get_root(b);
        reply_return(c, id, g_steal_pointer(&node));
    } else if (g_str_equal(cmd, "qom-get")) {
        const char *path = get_string(args, "path");
        const char *property = get_string(args, "property");
        g_autofree char *dev_path = f->device_id ? g_strdup_printf("/machine/peripheral/%s", f->device_id) : NULL;

        if (!path || !property) {
            reply_error(c, id, "GenericError", path ? "Parameter 'property' is missing" : "Parameter 'path' is missing");
        } else if (!dev_path || !g_str_equal(path, dev_path)) {
            g_autofree char *desc = g_strdup_printf("Device '%s' not found", path);

            reply_error(c, id, "DeviceNotFound", desc);
        } else if (g_str_equal(property, "sysfsdev") || g_str_equal(property, "type")) {
            g_autofree char *value = g_str_equal(property, "type") ? g_strdup("vfio-ap")
                                                                   : g_strconcat(SYSFSDEV_PREFIX, f->mdev, NULL);

            reply_return(c, id, json_node_init_string(json_node_alloc(), value));
        } else {
            g_autofree char *desc = g_strdup_printf("Property 'vfio-ap.%s' not found", property);

            reply_error(c, id, "GenericError", desc);
        }
    } else if (g_str_equal(cmd, "device_add")) {
        const char *klass;

        if (!front_device_add(f, get_string(args, "driver"), get_string(args, "sysfsdev"), get_string(args, "id"),
                              &klass, &error))
            reply_error(c, id, klass, error->message);
        else
            reply_return(c, id, NULL);
    } else if (g_str_equal(cmd, "device_del")) {
        const char *dev = get_string(args, "id");

        if (!dev) {
            reply_error(c, id, "GenericError", "Parameter 'id' is missing");
        } else if (!f->device_id || !g_str_equal(dev, f->device_id)) {
            g_autofree char *desc = g_strdup_printf("Device '%s' not found", dev);

            reply_error(c, id, "DeviceNotFound", desc);
        } else if (f->unplug_pending) {
            g_autofree char *desc = g_strdup_printf("Device %s is already in the process of unplug", dev);

            reply_error(c, id, "GenericError", desc);
        } else {
            reply_return(c, id, NULL);
            if (f->hang_unplug)
                f->unplug_pending = TRUE; /* the guest never acknowledges: the device stays */
            else
                front_device_del(f);
        }
    } else if (g_str_equal(cmd, "quit")) {
        reply_return(c, id, NULL);
        front_device_del(f);
        broadcast_event(f, "SHUTDOWN", NULL);
        apsim_guest_stop(f->qmp->host, f->guest, FALSE);
    } else {
        g_autofree char *desc = g_strdup_printf("The command %s has not been found", cmd);

        reply_error(c, id, "CommandNotFound", desc);
    }
}

/* ---- connections ----------------------------------------------------------------------------------------- */

static void
client_free(Client *c)
{
    g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    g_object_unref(c->in);
    g_object_unref(c->conn);
    g_free(c);
}

static void on_line(GObject *source, GAsyncResult *res, gpointer data);

static void
read_next(Client *c)
{
    g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, NULL, on_line, c);
}

static void
on_line(GObject *source, GAsyncResult *res, gpointer data)
{
    Client *c = data;
    g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, NULL);

    if (!line || c->closed || !c->front) {
        if (c->front)
            c->front->clients = g_list_remove(c->front->clients, c);
        client_free(c);
        return;
    }
    handle_line(c, line);
    read_next(c);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
    Front *f = data;
    Client *c = g_new0(Client, 1);
    g_autoptr(JsonBuilder) b = json_builder_new();

    (void) service;
    (void) source;
    c->front = f;
    c->conn = g_object_ref(conn);
    c->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    g_data_input_stream_set_newline_type(c->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
    c->out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    f->clients = g_list_prepend(f->clients, c);
    /* the greeting */
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "QMP");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "qemu");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "micro");
    json_builder_add_int_value(b, 0);
    json_builder_set_member_name(b, "minor");
    json_builder_add_int_value(b, 1);
    json_builder_set_member_name(b, "major");
    json_builder_add_int_value(b, 10);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "package");
    json_builder_add_string_value(b, "apsim");
    json_builder_end_object(b);
    json_builder_set_member_name(b, "capabilities");
    json_builder_begin_array(b);
    json_builder_add_string_value(b, "oob");
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    send_builder(c, b);
    read_next(c);
    return TRUE;
}

/* ---- fronts ---------------------------------------------------------------------------------------------- */

static void
front_free(Front *f)
{
    for (GList *l = f->clients; l; l = l->next) {
        Client *c = l->data;

        c->closed = TRUE;
        c->front = NULL;
        g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    }
    g_list_free(f->clients);
    if (f->service) {
        g_socket_service_stop(f->service);
        g_socket_listener_close(G_SOCKET_LISTENER(f->service));
        g_object_unref(f->service);
    }
    unlink(f->path);
    apsim_guest_unref(f->guest);
    g_free(f->device_id);
    g_free(f->mdev);
    g_free(f->path);
    g_free(f->name);
    g_free(f);
}

typedef struct {
    ApsimQmp *qmp;
    const char *name;
    gboolean old_qemu; /* start: the guest ignores the request IRQ */
    gboolean hang;     /* hang_unplug: device_del never completes */
    const char *mdev;
    const char *id;
    GError *error;
    gboolean ok;
} Job;

static gboolean
job_start(gpointer data)
{
    Job *j = data;
    ApsimQmp *qmp = j->qmp;
    g_autoptr(GSocketAddress) addr = NULL;
    Front *f;
    const char *klass;

    if (g_hash_table_contains(qmp->fronts, j->name)) {
        g_set_error(&j->error, APM_ERROR, APM_ERROR_CONFLICT, _("Guest %s is already running"), j->name);
        return G_SOURCE_REMOVE;
    }
    f = g_new0(Front, 1);
    f->qmp = qmp;
    f->name = g_strdup(j->name);
    f->guest = apsim_host_create_guest(qmp->host, j->name, j->old_qemu, &j->error);
    if (!f->guest) {
        g_free(f->name);
        g_free(f);
        return G_SOURCE_REMOVE;
    }
    f->path = g_strdup_printf("%s/%s.sock", qmp->dir, j->name);
    if (j->mdev) {
        g_autofree char *sysfsdev = g_strconcat(SYSFSDEV_PREFIX, j->mdev, NULL);

        if (!front_device_add(f, "vfio-ap", sysfsdev, "hostdev0", &klass, &j->error)) {
            apsim_guest_stop(qmp->host, f->guest, TRUE);
            front_free(f);
            return G_SOURCE_REMOVE;
        }
    }
    unlink(f->path);
    f->service = g_socket_service_new();
    /* many clients may connect at once (each apmatrix lists every guest): QEMU's monitor queues them too */
    g_socket_listener_set_backlog(G_SOCKET_LISTENER(f->service), 128);
    addr = g_unix_socket_address_new(f->path);
    if (!g_socket_listener_add_address(G_SOCKET_LISTENER(f->service), addr, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &j->error)) {
        apsim_guest_stop(qmp->host, f->guest, TRUE);
        front_free(f);
        return G_SOURCE_REMOVE;
    }
    g_signal_connect(f->service, "incoming", G_CALLBACK(on_incoming), f);
    g_socket_service_start(f->service);
    g_hash_table_insert(qmp->fronts, f->name, f);
    j->ok = TRUE;
    return G_SOURCE_REMOVE;
}

static Front *
job_front(Job *j)
{
    Front *f = g_hash_table_lookup(j->qmp->fronts, j->name);

    if (!f)
        g_set_error(&j->error, APM_ERROR, APM_ERROR_NOT_FOUND, _("No guest named %s"), j->name);
    return f;
}

static gboolean
job_stop(gpointer data)
{
    Job *j = data;
    Front *f = job_front(j);

    if (!f)
        return G_SOURCE_REMOVE;
    front_device_del(f);
    broadcast_event(f, "SHUTDOWN", NULL);
    apsim_guest_stop(j->qmp->host, f->guest, TRUE);
    g_hash_table_remove(j->qmp->fronts, j->name);
    j->ok = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
job_device_add(gpointer data)
{
    Job *j = data;
    Front *f = job_front(j);
    g_autofree char *sysfsdev = NULL;
    const char *klass;

    if (!f)
        return G_SOURCE_REMOVE;
    sysfsdev = g_strconcat(SYSFSDEV_PREFIX, j->mdev, NULL);
    j->ok = front_device_add(f, "vfio-ap", sysfsdev, j->id, &klass, &j->error);
    return G_SOURCE_REMOVE;
}

static gboolean
job_device_del(gpointer data)
{
    Job *j = data;
    Front *f = job_front(j);

    if (!f)
        return G_SOURCE_REMOVE;
    front_device_del(f);
    j->ok = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
job_hang_unplug(gpointer data)
{
    Job *j = data;
    Front *f = job_front(j);

    if (!f)
        return G_SOURCE_REMOVE;
    f->hang_unplug = j->hang;
    if (!f->hang_unplug && f->unplug_pending)
        front_device_del(f); /* the guest lets go at last */
    j->ok = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
run_prepared(ApsimQmp *qmp, GSourceFunc func, Job *job, GError **error)
{
    run_in_loop(qmp, func, job);
    if (job->error)
        g_propagate_error(error, job->error);
    return job->ok;
}

static gboolean
run_job(ApsimQmp *qmp, GSourceFunc func, const char *name, gboolean old_qemu, const char *mdev, const char *id,
        GError **error)
{
    Job job = { .qmp = qmp, .name = name, .old_qemu = old_qemu, .mdev = mdev, .id = id };

    return run_prepared(qmp, func, &job, error);
}

gboolean
apsim_qmp_start_guest(ApsimQmp *qmp, const char *name, gboolean old_qemu, const char *cold_mdev, GError **error)
{
    return run_job(qmp, job_start, name, old_qemu, cold_mdev, NULL, error);
}

gboolean
apsim_qmp_stop_guest(ApsimQmp *qmp, const char *name, GError **error)
{
    return run_job(qmp, job_stop, name, FALSE, NULL, NULL, error);
}

gboolean
apsim_qmp_device_add(ApsimQmp *qmp, const char *name, const char *mdev, const char *id, GError **error)
{
    return run_job(qmp, job_device_add, name, FALSE, mdev, id ? id : "hostdev0", error);
}

gboolean
apsim_qmp_device_del(ApsimQmp *qmp, const char *name, GError **error)
{
    return run_job(qmp, job_device_del, name, FALSE, NULL, NULL, error);
}

gboolean
apsim_qmp_hang_unplug(ApsimQmp *qmp, const char *name, gboolean hang, GError **error)
{
    Job job = { .qmp = qmp, .name = name, .hang = hang };

    return run_prepared(qmp, job_hang_unplug, &job, error);
}

/* ---- the request IRQ ------------------------------------------------------------------------------------- */

static gboolean
drain_unplugs(gpointer data)
{
    ApsimQmp *qmp = data;

    for (;;) {
        char *name;
        Front *f;

        pthread_mutex_lock(&qmp->mutex);
        name = g_queue_pop_head(&qmp->unplugs);
        pthread_mutex_unlock(&qmp->mutex);
        if (!name)
            break;
        f = g_hash_table_lookup(qmp->fronts, name);
        if (f && f->device_id) /* vfio_ap_req_notifier_handler -> qdev_unplug */
            front_device_del(f);
        g_free(name);
    }
    return G_SOURCE_REMOVE;
}

static void
on_request(ApsimGuest *guest, ApsimMdev *mdev, guint count, gpointer data)
{
    ApsimQmp *qmp = data;

    (void) mdev;
    if (guest->old_qemu || count > 0)
        return; /* an old QEMU has no request notifier; a current one acts on the first request */
    pthread_mutex_lock(&qmp->mutex);
    g_queue_push_tail(&qmp->unplugs, g_strdup(guest->name));
    pthread_mutex_unlock(&qmp->mutex);
    g_main_context_invoke(qmp->context, drain_unplugs, qmp);
}

/* ---- lifecycle ------------------------------------------------------------------------------------------- */

static gpointer
loop_thread(gpointer data)
{
    ApsimQmp *qmp = data;

    g_main_context_push_thread_default(qmp->context);
    g_main_loop_run(qmp->loop);
    g_main_context_pop_thread_default(qmp->context);
    return NULL;
}

ApsimQmp *
apsim_qmp_new(ApsimHost *host, const char *dir)
{
    ApsimQmp *qmp = g_new0(ApsimQmp, 1);

    qmp->host = host;
    qmp->dir = g_strdup(dir);
    qmp->context = g_main_context_new();
    qmp->loop = g_main_loop_new(qmp->context, FALSE);
    qmp->fronts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) front_free);
    pthread_mutex_init(&qmp->mutex, NULL);
    pthread_cond_init(&qmp->cond, NULL);
    g_queue_init(&qmp->unplugs);
    qmp->thread = g_thread_new("apsim-qmp", loop_thread, qmp);
    apsim_host_set_request_func(host, on_request, qmp);
    return qmp;
}

static gboolean
job_shutdown(gpointer data)
{
    ApsimQmp *qmp = ((ApsimQmp **) data)[0];
    GHashTableIter iter;
    gpointer value;

    /* every QEMU quits: its device closes, its guest stops */
    g_hash_table_iter_init(&iter, qmp->fronts);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        Front *f = value;

        front_device_del(f);
        broadcast_event(f, "SHUTDOWN", NULL);
        apsim_guest_stop(qmp->host, f->guest, TRUE);
    }
    g_hash_table_remove_all(qmp->fronts);
    g_main_loop_quit(qmp->loop);
    return G_SOURCE_REMOVE;
}

void
apsim_qmp_free(ApsimQmp *qmp)
{
    ApsimQmp *arg[1] = { qmp };

    if (!qmp)
        return;
    apsim_host_set_request_func(qmp->host, NULL, NULL);
    run_in_loop(qmp, job_shutdown, arg);
    g_thread_join(qmp->thread);
    g_hash_table_unref(qmp->fronts);
    g_main_loop_unref(qmp->loop);
    g_main_context_unref(qmp->context);
    g_queue_clear_full(&qmp->unplugs, g_free);
    pthread_cond_destroy(&qmp->cond);
    pthread_mutex_destroy(&qmp->mutex);
    g_free(qmp->dir);
    g_free(qmp);
}
