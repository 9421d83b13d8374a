/* apsim-qmp.c: the simulated guests' QEMU fronts: their monitors, events, the vfio-ap device and the request IRQ */
#include "config.h"
#include "apsim-qmp-private.h"

#include <errno.h>
#include <sys/stat.h>
#include <gio/gunixsocketaddress.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

/* The QEMU a front stands for: the release libvirt 9.0 was made against, with the vfio-ap request notifier (8.1)
 * and the configuration-change notifier (10.1) of later releases */
static const guint front_version[3] = { 7, 2, 0 };

typedef struct {
    GSourceFunc func;
    gpointer data;
    gboolean done;
    ApsimQmp *qmp; /* stored last, with release: what the loop thread reads first, with acquire */
} Call;

/* ---- running things in the loop thread ------------------------------------------------------------------- */

static gboolean
call_in_loop(gpointer data)
{
    Call *call = data;
    /* the call crossed over in GLib's own queue, which ThreadSanitizer cannot see: this load pairs with the
     * caller's store and orders everything the caller wrote before it */
    ApsimQmp *qmp = __atomic_load_n(&call->qmp, __ATOMIC_ACQUIRE);

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
    Call call = { func, data, FALSE, NULL };

    __atomic_store_n(&call.qmp, qmp, __ATOMIC_RELEASE);
    pthread_mutex_lock(&qmp->mutex);
    g_main_context_invoke(qmp->context, call_in_loop, &call);
    while (!call.done)
        pthread_cond_wait(&qmp->cond, &qmp->mutex);
    pthread_mutex_unlock(&qmp->mutex);
}

const char *
apsim_json_string(JsonObject *o, const char *key)
{
    JsonNode *n = o ? json_object_get_member(o, key) : NULL;

    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n)
                                                                                         : NULL;
}

/* ---- sending -------------------------------------------------------------------------------------------- */

void
apsim_client_send(ApsimClient *c, JsonNode *node)
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
send_builder(ApsimClient *c, JsonBuilder *b)
{
    g_autoptr(JsonNode) node = json_builder_get_root(b);

    apsim_client_send(c, node);
}

static void
add_id(JsonBuilder *b, JsonNode *id)
{
    if (!id)
        return;
    json_builder_set_member_name(b, "id");
    json_builder_add_value(b, json_node_copy(id));
}

void
apsim_client_reply(ApsimClient *c, JsonNode *id, JsonNode *value)
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

void
apsim_client_error(ApsimClient *c, JsonNode *id, const char *klass, const char *desc)
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

void
apsim_client_send_greeting(ApsimClient *c)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const guint *v = c->front ? c->front->version : front_version;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "QMP");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "qemu");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "micro");
    json_builder_add_int_value(b, v[2]);
    json_builder_set_member_name(b, "minor");
    json_builder_add_int_value(b, v[1]);
    json_builder_set_member_name(b, "major");
    json_builder_add_int_value(b, v[0]);
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
}

void
apsim_front_event(ApsimFront *f, const char *event, JsonNode *data)
{
    gint64 now = g_get_real_time();
    g_autoptr(JsonNode) owned = data;

    for (GList *l = f->clients; l; l = l->next) {
        ApsimClient *c = l->data;
        g_autoptr(JsonBuilder) b = json_builder_new();

        if (!c->negotiated)
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "event");
        json_builder_add_string_value(b, event);
        json_builder_set_member_name(b, "data");
        if (owned) {
            json_builder_add_value(b, json_node_copy(owned));
        } else {
            json_builder_begin_object(b);
            json_builder_end_object(b);
        }
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

void
apsim_front_event_device(ApsimFront *f, const char *event, const char *device)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", device);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "device");
    json_builder_add_string_value(b, device);
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, path);
    json_builder_end_object(b);
    apsim_front_event(f, event, json_builder_get_root(b));
}

void
apsim_front_event_shutdown(ApsimFront *f, gboolean guest, const char *reason)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "guest");
    json_builder_add_boolean_value(b, guest);
    json_builder_set_member_name(b, "reason");
    json_builder_add_string_value(b, reason);
    json_builder_end_object(b);
    apsim_front_event(f, "SHUTDOWN", json_builder_get_root(b));
}

/* ---- the device ------------------------------------------------------------------------------------------ */

gboolean
apsim_front_device_add(ApsimFront *f, const char *driver, const char *sysfsdev, const char *id, GError **error)
{
    ApsimHost *host = f->qmp->host;
    g_autoptr(ApsimMdev) mdev = NULL;
    const char *uuid;
    int rc;

    if (!driver) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, "Parameter 'driver' is missing");
        return FALSE;
    }
    if (!g_str_equal(driver, "vfio-ap")) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, "'%s' is not a valid device model name", driver);
        return FALSE;
    }
    /* the ap-bus holds one device, and exists only on an s390-ccw-virtio machine */
    if (f->device_id || !f->guest) {
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
        g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT, "vfio %s: error getting device from group %u: %s", uuid,
                    mdev->iommu_group, g_strerror(-rc));
        return FALSE;
    }
    apsim_guest_set_eventfds(host, f->guest, TRUE, TRUE);
    g_free(f->device_id);
    f->device_id = g_strdup(id ? id : "vfio-ap-0");
    g_free(f->mdev);
    f->mdev = g_strdup(uuid);
    return TRUE;
}

void
apsim_front_device_close(ApsimFront *f, gboolean event)
{
    g_autofree char *id = g_steal_pointer(&f->device_id);

    if (f->guest)
        apsim_guest_close_device(f->qmp->host, f->guest);
    g_clear_pointer(&f->mdev, g_free);
    f->unplug_pending = FALSE;
    if (id && event)
        apsim_front_event_device(f, "DEVICE_DELETED", id);
}

/* ---- connections ----------------------------------------------------------------------------------------- */

/* Ends a client from apsim's side: its pending read ends (cancelled), and that frees it */
static void
client_close(ApsimClient *c)
{
    c->closed = TRUE;
    c->front = NULL;
    g_cancellable_cancel(c->cancel);
    g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
}

static void
client_free(ApsimClient *c)
{
    if (!g_io_stream_is_closed(G_IO_STREAM(c->conn)))
        g_io_stream_close(G_IO_STREAM(c->conn), NULL, NULL);
    g_object_unref(c->in);
    g_object_unref(c->conn);
    g_object_unref(c->cancel);
    g_free(c);
}

ApsimClient *
apsim_client_new(ApsimQmp *qmp, GSocketConnection *conn, ApsimClientRole role)
{
    ApsimClient *c = g_new0(ApsimClient, 1);
    g_autoptr(GCredentials) creds = g_socket_get_credentials(g_socket_connection_get_socket(conn), NULL);

    c->qmp = qmp;
    c->role = role;
    c->conn = g_object_ref(conn);
    c->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(conn)));
    g_data_input_stream_set_newline_type(c->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
    c->out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
    c->cancel = g_cancellable_new();
    if (creds)
        c->pid = g_credentials_get_unix_pid(creds, NULL);
    return c;
}

/* A client's read ended (it went, or apsim closed it): a monitor leaves its front; an owner going is its QEMU
 * process gone, whose devices the kernel closes */
static void
client_gone(ApsimClient *c)
{
    ApsimFront *f = c->front;

    if (f && c->role == APSIM_CLIENT_OWNER) {
        f->owner = NULL;
        c->front = NULL;
        apsim_front_end(f);
    } else if (f) {
        f->clients = g_list_remove(f->clients, c);
    }
    if (c->role == APSIM_CLIENT_PENDING)
        c->qmp->pending = g_list_remove(c->qmp->pending, c);
    client_free(c);
}

static void
handle_monitor_line(ApsimClient *c, const char *line)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *req, *args = NULL;
    JsonNode *id;
    const char *cmd;

    if (!json_parser_load_from_data(parser, line, -1, &error) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        apsim_client_error(c, NULL, "GenericError", "JSON parse error, expecting value");
        return;
    }
    req = json_node_get_object(json_parser_get_root(parser));
    id = json_object_get_member(req, "id");
    cmd = apsim_json_string(req, "execute");
    if (json_object_has_member(req, "arguments") && JSON_NODE_HOLDS_OBJECT(json_object_get_member(req, "arguments")))
        args = json_object_get_object_member(req, "arguments");
    if (!cmd) {
        apsim_client_error(c, id, "GenericError", "QMP input lacks member 'execute'");
        return;
    }
    if (!c->negotiated) {
        if (g_str_equal(cmd, "qmp_capabilities")) {
            c->negotiated = TRUE;
            apsim_client_reply(c, id, NULL);
        } else {
            apsim_client_error(c, id, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'");
        }
        return;
    }
    apsim_qmp_dispatch(c, cmd, id, args);
}

static void read_next(ApsimClient *c);

static void
on_line(GObject *source, GAsyncResult *res, gpointer data)
{
    ApsimClient *c = data;
    g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), res, NULL, NULL);

    if (!line || c->closed) {
        client_gone(c);
        return;
    }
    g_strstrip(line);
    if (*line) {
        switch (c->role) {
        case APSIM_CLIENT_MONITOR:
            if (c->front)
                handle_monitor_line(c, line);
            break;
        case APSIM_CLIENT_PENDING:
            apsim_qemu_socket_request(c, line);
            break;
        case APSIM_CLIENT_OWNER:
            apsim_qemu_socket_owner_line(c, line);
            break;
        }
    }
    /* what the line did may have ended the front, and closed this client with it */
    if (c->closed || (c->role != APSIM_CLIENT_PENDING && !c->front)) {
        client_gone(c);
        return;
    }
    read_next(c);
}

static void
read_next(ApsimClient *c)
{
    g_data_input_stream_read_line_async(c->in, G_PRIORITY_DEFAULT, c->cancel, on_line, c);
}

void
apsim_client_start(ApsimClient *c)
{
    read_next(c);
}

static gboolean
on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
    ApsimFront *f = data;
    ApsimClient *c = apsim_client_new(f->qmp, conn, APSIM_CLIENT_MONITOR);

    (void) service;
    (void) source;
    c->front = f;
    f->clients = g_list_prepend(f->clients, c);
    apsim_client_send_greeting(c);
    apsim_client_start(c);
    return TRUE;
}

/* ---- fronts ---------------------------------------------------------------------------------------------- */

ApsimFront *
apsim_front_new(ApsimQmp *qmp, const char *name, gboolean old_qemu, GError **error)
{
    g_autofree ApsimFront *f = g_new0(ApsimFront, 1);

    f->qmp = qmp;
    memcpy(f->version, front_version, sizeof(f->version));
    f->machine = name ? "s390-ccw-virtio-7.2" : "none";
    f->state = APSIM_RUN_RUNNING;
    if (name) {
        f->guest = apsim_host_create_guest(qmp->host, name, old_qemu, error);
        if (!f->guest)
            return NULL;
        f->name = g_strdup(name);
    }
    f->vcpu_threads = g_array_new(FALSE, FALSE, sizeof(gint64));
    f->chardevs = g_ptr_array_new_with_free_func(g_free);
    return g_steal_pointer(&f);
}

static void
front_free(ApsimFront *f)
{
    if (f->powerdown_source) {
        GSource *s = g_main_context_find_source_by_id(f->qmp->context, f->powerdown_source);

        if (s)
            g_source_destroy(s);
    }
    for (GList *l = f->clients; l; l = l->next)
        client_close(l->data);
    g_list_free(f->clients);
    if (f->owner)
        client_close(f->owner);
    if (f->service) {
        g_socket_service_stop(f->service);
        g_socket_listener_close(G_SOCKET_LISTENER(f->service));
        g_object_unref(f->service);
    }
    if (f->path)
        unlink(f->path);
    if (f->guest)
        apsim_guest_unref(f->guest);
    g_array_unref(f->vcpu_threads);
    g_ptr_array_unref(f->chardevs);
    g_free(f->device_id);
    g_free(f->mdev);
    g_free(f->path);
    g_free(f->name);
    g_free(f);
}

void
apsim_front_end(ApsimFront *f)
{
    ApsimQmp *qmp = f->qmp;

    apsim_front_device_close(f, FALSE);
    if (f->guest)
        apsim_guest_stop(qmp->host, f->guest, TRUE);
    if (f->name && g_hash_table_lookup(qmp->fronts, f->name) == f)
        g_hash_table_remove(qmp->fronts, f->name);
    if (f->owner_pid && g_hash_table_lookup(qmp->owned, &f->owner_pid) == f)
        g_hash_table_remove(qmp->owned, &f->owner_pid);
    front_free(f);
}

/* ---- the control interface's requests ------------------------------------------------------------------- */

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
    ApsimFront *f;

    if (g_hash_table_contains(qmp->fronts, j->name)) {
        g_set_error(&j->error, APM_ERROR, APM_ERROR_CONFLICT, _("Guest %s is already running"), j->name);
        return G_SOURCE_REMOVE;
    }
    f = apsim_front_new(qmp, j->name, j->old_qemu, &j->error);
    if (!f)
        return G_SOURCE_REMOVE;
    g_array_append_val(f->vcpu_threads, (gint64) { getpid() });
    f->path = g_strdup_printf("%s/%s.sock", qmp->dir, j->name);
    if (j->mdev) {
        g_autofree char *sysfsdev = g_strconcat(APSIM_SYSFSDEV_PREFIX, j->mdev, NULL);

        if (!apsim_front_device_add(f, "vfio-ap", sysfsdev, "hostdev0", &j->error)) {
            g_clear_pointer(&f->path, g_free); /* nothing listens there yet */
            apsim_front_end(f);
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
        apsim_front_end(f);
        return G_SOURCE_REMOVE;
    }
    /* a guest's monitor is root's, as libvirt makes QEMU's, whatever the umask */
    if (chmod(f->path, 0600) < 0) {
        apm_set_errno_error(&j->error, errno, "%s", f->path);
        apsim_front_end(f);
        return G_SOURCE_REMOVE;
    }
    g_signal_connect(f->service, "incoming", G_CALLBACK(on_incoming), f);
    g_socket_service_start(f->service);
    g_hash_table_insert(qmp->fronts, f->name, f);
    j->ok = TRUE;
    return G_SOURCE_REMOVE;
}

static ApsimFront *
job_front(Job *j)
{
    ApsimFront *f = g_hash_table_lookup(j->qmp->fronts, j->name);

    if (!f)
        g_set_error(&j->error, APM_ERROR, APM_ERROR_NOT_FOUND, _("No guest named %s"), j->name);
    return f;
}

/* The guest's QEMU is stopped from outside (a signal): it says so and goes, closing its device */
static gboolean
job_stop(gpointer data)
{
    Job *j = data;
    ApsimFront *f = job_front(j);

    if (!f)
        return G_SOURCE_REMOVE;
    apsim_front_event_shutdown(f, FALSE, "host-signal");
    apsim_front_end(f);
    j->ok = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
job_device_add(gpointer data)
{
    Job *j = data;
    ApsimFront *f = job_front(j);
    g_autofree char *sysfsdev = NULL;

    if (!f)
        return G_SOURCE_REMOVE;
    sysfsdev = g_strconcat(APSIM_SYSFSDEV_PREFIX, j->mdev, NULL);
    j->ok = apsim_front_device_add(f, "vfio-ap", sysfsdev, j->id, &j->error);
    return G_SOURCE_REMOVE;
}

static gboolean
job_device_del(gpointer data)
{
    Job *j = data;
    ApsimFront *f = job_front(j);

    if (!f)
        return G_SOURCE_REMOVE;
    apsim_front_device_close(f, TRUE);
    j->ok = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
job_hang_unplug(gpointer data)
{
    Job *j = data;
    ApsimFront *f = job_front(j);

    if (!f)
        return G_SOURCE_REMOVE;
    f->hang_unplug = j->hang;
    if (!f->hang_unplug && f->unplug_pending)
        apsim_front_device_close(f, TRUE); /* the guest lets go at last */
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
        ApsimFront *f;

        pthread_mutex_lock(&qmp->mutex);
        name = g_queue_pop_head(&qmp->unplugs);
        pthread_mutex_unlock(&qmp->mutex);
        if (!name)
            break;
        f = g_hash_table_lookup(qmp->fronts, name);
        if (f && f->device_id) /* vfio_ap_req_notifier_handler -> qdev_unplug */
            apsim_front_device_close(f, TRUE);
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

static guint
pid_hash(gconstpointer key)
{
    return g_int64_hash(key);
}

ApsimQmp *
apsim_qmp_new(ApsimHost *host, const char *dir)
{
    ApsimQmp *qmp = g_new0(ApsimQmp, 1);

    qmp->host = host;
    qmp->dir = g_strdup(dir);
    qmp->context = g_main_context_new();
    qmp->loop = g_main_loop_new(qmp->context, FALSE);
    qmp->fronts = g_hash_table_new(g_str_hash, g_str_equal);
    qmp->owned = g_hash_table_new(pid_hash, g_int64_equal);
    pthread_mutex_init(&qmp->mutex, NULL);
    pthread_cond_init(&qmp->cond, NULL);
    g_queue_init(&qmp->unplugs);
    qmp->thread = g_thread_new("apsim-qmp", loop_thread, qmp);
    apsim_host_set_request_func(host, on_request, qmp);
    return qmp;
}

typedef struct {
    ApsimQmp *qmp;
    const char *path;
    GError *error;
    gboolean ok;
} ListenJob;

static gboolean
job_listen(gpointer data)
{
    ListenJob *j = data;

    j->ok = apsim_qemu_socket_listen(j->qmp, j->path, &j->error);
    return G_SOURCE_REMOVE;
}

gboolean
apsim_qmp_listen_qemu(ApsimQmp *qmp, const char *path, GError **error)
{
    ListenJob job = { qmp, path, NULL, FALSE };

    run_in_loop(qmp, job_listen, &job);
    if (job.error)
        g_propagate_error(error, job.error);
    return job.ok;
}

static gboolean
job_shutdown(gpointer data)
{
    ApsimQmp *qmp = ((ApsimQmp **) data)[0];
    g_autoptr(GHashTable) all = g_hash_table_new(NULL, NULL);
    g_autoptr(GList) fronts = NULL;
    GHashTableIter iter;
    gpointer value;

    apsim_qemu_socket_close(qmp);
    for (GList *l = qmp->pending; l; l = l->next)
        client_close(l->data);
    /* every QEMU quits: its device closes, its guest stops (a front apsim-qemu started is in both tables) */
    for (guint t = 0; t < 2; t++) {
        g_hash_table_iter_init(&iter, t == 0 ? qmp->fronts : qmp->owned);
        while (g_hash_table_iter_next(&iter, NULL, &value))
            g_hash_table_add(all, value);
    }
    fronts = g_hash_table_get_keys(all);
    for (GList *l = fronts; l; l = l->next) {
        ApsimFront *f = l->data;

        apsim_front_event_shutdown(f, FALSE, "host-signal");
        apsim_front_end(f);
    }
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
    /* the clients whose reads were pending when their fronts ended */
    while (g_main_context_iteration(qmp->context, FALSE))
        ;
    g_hash_table_unref(qmp->fronts);
    g_hash_table_unref(qmp->owned);
    g_main_loop_unref(qmp->loop);
    g_main_context_unref(qmp->context);
    g_queue_clear_full(&qmp->unplugs, g_free);
    pthread_cond_destroy(&qmp->cond);
    pthread_mutex_destroy(&qmp->mutex);
    g_free(qmp->qemu_path);
    g_free(qmp->dir);
    g_free(qmp);
}
