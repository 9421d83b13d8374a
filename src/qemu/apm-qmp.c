/* apm-qmp.c: the QMP client */
#include "config.h"
#include "apm-qmp.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>

#include "apm-error.h"
#include "apm-i18n.h"

struct ApmQmp {
    char *path;
    GMainContext *context;
    GSocketConnection *connection;
    GDataInputStream *in;
    GOutputStream *out;
    GCancellable *cancel;
    GHashTable *replies; /* id -> JsonNode (the whole reply object) */
    GQueue events;       /* JsonNode (the whole event object) */
    gboolean greeted;
    gboolean closed;
    char *closed_why;
    char *version;
    guint64 next_id;
    gboolean reading;
};

static void read_next(ApmQmp *qmp);

static void
on_message(ApmQmp *qmp, JsonNode *node)
{
    JsonObject *o = json_node_get_object(node);

    if (json_object_has_member(o, "QMP")) {
        JsonObject *q = json_object_get_object_member(o, "QMP");
        JsonObject *v = q && json_object_has_member(q, "version") ? json_object_get_object_member(q, "version")
                                                                   : NULL;
        JsonObject *qemu = v && json_object_has_member(v, "qemu") ? json_object_get_object_member(v, "qemu") : NULL;

        qmp->greeted = TRUE;
        if (qemu)
            qmp->version = g_strdup_printf("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                                           json_object_get_int_member(qemu, "major"),
                                           json_object_get_int_member(qemu, "minor"),
                                           json_object_get_int_member(qemu, "micro"));
        json_node_unref(node);
    } else if (json_object_has_member(o, "event")) {
        g_queue_push_tail(&qmp->events, node);
    } else if (json_object_has_member(o, "id") &&
               JSON_NODE_HOLDS_VALUE(json_object_get_member(o, "id"))) {
        g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member(o, "id"));

        g_hash_table_replace(qmp->replies, g_steal_pointer(&id), node);
    } else {
        json_node_unref(node); /* a reply to nobody: QEMU's parse errors carry no id */
    }
}

static void
on_line(GObject *source, GAsyncResult *result, gpointer data)
{
    ApmQmp *qmp = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *line = g_data_input_stream_read_line_finish(G_DATA_INPUT_STREAM(source), result, NULL, &error);
    g_autoptr(JsonParser) parser = NULL;

    qmp->reading = FALSE;
    if (!line) {
        if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            return;
        qmp->closed = TRUE;
        qmp->closed_why = g_strdup(error ? error->message : _("end of stream"));
        return;
    }
    parser = json_parser_new();
    if (json_parser_load_from_data(parser, line, -1, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        on_message(qmp, json_parser_steal_root(parser));
    else if (!qmp->greeted) {
        qmp->closed = TRUE;
        qmp->closed_why = g_strdup(_("it does not speak QMP"));
        return;
    }
    read_next(qmp);
}

static void
read_next(ApmQmp *qmp)
{
    if (qmp->reading || qmp->closed)
        return;
    qmp->reading = TRUE;
    g_data_input_stream_read_line_async(qmp->in, G_PRIORITY_DEFAULT, qmp->cancel, on_line, qmp);
}

static gboolean
on_timeout(gpointer data)
{
    *(gboolean *) data = TRUE;
    return G_SOURCE_REMOVE;
}

typedef gboolean (*Done)(ApmQmp *qmp, gpointer data);

/* Runs the private context until done says so, the peer closes, or timeout_ms pass. */
static gboolean
wait_for(ApmQmp *qmp, Done done, gpointer data, guint timeout_ms, const char *what, GError **error)
{
    gboolean expired = FALSE;
    GSource *timer = g_timeout_source_new(timeout_ms);
    gboolean ok;

    g_source_set_callback(timer, on_timeout, &expired, NULL);
    g_source_attach(timer, qmp->context);
    while (!done(qmp, data) && !qmp->closed && !expired)
        g_main_context_iteration(qmp->context, TRUE);
    g_source_destroy(timer);
    g_source_unref(timer);
    ok = done(qmp, data);
    if (ok)
        return TRUE;
    if (qmp->closed)
        g_set_error(error, APM_ERROR, APM_ERROR_PEER, _("QEMU's monitor %s closed while waiting for %s: %s"), qmp->path,
                    what, qmp->closed_why);
    else
        g_set_error(error, APM_ERROR, APM_ERROR_TIMEOUT, _("QEMU's monitor %s gave no %s within %u ms"), qmp->path, what,
                    timeout_ms);
    return FALSE;
}

static gboolean
is_greeted(ApmQmp *qmp, gpointer data)
{
    return qmp->greeted;
}

static gboolean
has_reply(ApmQmp *qmp, gpointer data)
{
    return g_hash_table_contains(qmp->replies, data);
}

static gboolean
send_line(ApmQmp *qmp, const char *text, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    if (g_output_stream_write_all(qmp->out, line, strlen(line), NULL, qmp->cancel, &local))
        return TRUE;
    g_set_error(error, APM_ERROR, APM_ERROR_PEER, _("Cannot write to QEMU's monitor %s: %s"), qmp->path, local->message);
    return FALSE;
}

const char *
apm_qmp_version(const ApmQmp *qmp)
{
    return qmp->version ? qmp->version : "";
}

JsonNode *
apm_qmp_execute(ApmQmp *qmp, const char *command, JsonNode *arguments, guint timeout_ms, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) request = NULL;
    g_autofree char *text = NULL;
    g_autofree char *id = NULL;
    g_autofree char *what = g_strdup_printf(_("reply to %s"), command);
    guint64 n = ++qmp->next_id;
    JsonNode *reply;
    JsonObject *o;

    g_main_context_push_thread_default(qmp->context);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, command);
    if (arguments) {
        json_builder_set_member_name(b, "arguments");
        json_builder_add_value(b, json_node_copy(arguments));
    }
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, (gint64) n);
    json_builder_end_object(b);
    request = json_builder_get_root(b);
    json_generator_set_root(gen, request);
    text = json_generator_to_data(gen, NULL);
    id = g_strdup_printf("%" G_GUINT64_FORMAT, n);
    if (!send_line(qmp, text, error) || (read_next(qmp), !wait_for(qmp, has_reply, id, timeout_ms, what, error))) {
        g_main_context_pop_thread_default(qmp->context);
        return NULL;
    }
    g_main_context_pop_thread_default(qmp->context);
    {
        gpointer key = NULL;

        g_hash_table_steal_extended(qmp->replies, id, &key, (gpointer *) &reply);
        g_free(key);
    }
    o = json_node_get_object(reply);
    if (json_object_has_member(o, "error")) {
        JsonObject *e = json_object_get_object_member(o, "error");
        const char *klass = e ? json_object_get_string_member_with_default(e, "class", "") : "";
        const char *desc = e ? json_object_get_string_member_with_default(e, "desc", "") : "";

        g_set_error(error, APM_ERROR, g_str_equal(klass, "DeviceNotFound") ? APM_ERROR_NOT_FOUND : APM_ERROR_PEER,
                    _("QEMU refused %s: %s (%s)"), command, desc, klass);
        json_node_unref(reply);
        return NULL;
    }
    {
        JsonNode *ret = json_object_get_member(o, "return");
        JsonNode *out = ret ? json_node_copy(ret) : json_node_new(JSON_NODE_NULL);

        json_node_unref(reply);
        return out;
    }
}

typedef struct {
    const char *event, *key, *value;
    JsonNode *found;
} EventWait;

static gboolean
take_event(ApmQmp *qmp, gpointer data)
{
    EventWait *w = data;

    if (w->found)
        return TRUE;
    for (GList *l = qmp->events.head; l; l = l->next) {
        JsonObject *o = json_node_get_object(l->data);
        JsonObject *d = json_object_has_member(o, "data") ? json_object_get_object_member(o, "data") : NULL;

        if (g_strcmp0(json_object_get_string_member_with_default(o, "event", ""), w->event) != 0)
            continue;
        if (w->key && (!d || g_strcmp0(json_object_get_string_member_with_default(d, w->key, ""), w->value) != 0))
            continue;
        w->found = d ? json_node_copy(json_object_get_member(o, "data")) : json_node_new(JSON_NODE_NULL);
        json_node_unref(l->data);
        g_queue_delete_link(&qmp->events, l);
        return TRUE;
    }
    return FALSE;
}

JsonNode *
apm_qmp_wait_event(ApmQmp *qmp, const char *event, const char *key, const char *value, guint timeout_ms,
                   GError **error)
{
    EventWait w = { event, key, value, NULL };
    g_autofree char *what = g_strdup_printf(_("event %s"), event);
    gboolean ok;

    g_main_context_push_thread_default(qmp->context);
    read_next(qmp);
    ok = wait_for(qmp, take_event, &w, timeout_ms, what, error);
    g_main_context_pop_thread_default(qmp->context);
    return ok ? w.found : NULL;
}

static void
on_connected(GObject *source, GAsyncResult *result, gpointer data)
{
    GError **slot = data;
    ApmQmp *qmp = (ApmQmp *) slot[1];

    qmp->connection = g_socket_client_connect_finish(G_SOCKET_CLIENT(source), result, &slot[0]);
    qmp->reading = FALSE; /* "reading" stood for the pending connect */
}

static gboolean
is_connected(ApmQmp *qmp, gpointer data)
{
    return !qmp->reading;
}

ApmQmp *
apm_qmp_connect(const char *socket_path, guint timeout_ms, GError **error)
{
    g_autoptr(ApmQmp) qmp = g_new0(ApmQmp, 1);
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(socket_path);
    g_autoptr(JsonNode) caps = NULL;
    GError *slot[2] = { NULL, (GError *) qmp };
    gboolean ok;

    qmp->path = g_strdup(socket_path);
    qmp->context = g_main_context_new();
    qmp->cancel = g_cancellable_new();
    qmp->replies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
    g_queue_init(&qmp->events);
    g_main_context_push_thread_default(qmp->context);
    qmp->reading = TRUE;
    g_socket_client_connect_async(client, G_SOCKET_CONNECTABLE(address), qmp->cancel, on_connected, slot);
    ok = wait_for(qmp, is_connected, NULL, timeout_ms, _("connection"), error);
    if (ok && !qmp->connection) {
        gboolean nobody = g_error_matches(slot[0], G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
                          g_error_matches(slot[0], G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

        g_set_error(error, APM_ERROR, nobody ? APM_ERROR_NOT_FOUND : APM_ERROR_PEER, _("Cannot connect to QEMU's monitor %s: %s"), socket_path,
                    slot[0]->message);
        ok = FALSE;
    }
    g_clear_error(&slot[0]);
    if (!ok) {
        g_cancellable_cancel(qmp->cancel);
        while (qmp->reading) /* let the cancelled connect finish before its data goes away */
            g_main_context_iteration(qmp->context, TRUE);
        g_main_context_pop_thread_default(qmp->context);
        return NULL;
    }
    qmp->in = g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(qmp->connection)));
    g_data_input_stream_set_newline_type(qmp->in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
    qmp->out = g_io_stream_get_output_stream(G_IO_STREAM(qmp->connection));
    read_next(qmp);
    ok = wait_for(qmp, is_greeted, NULL, timeout_ms, _("greeting"), error);
    g_main_context_pop_thread_default(qmp->context);
    if (!ok)
        return NULL;
    caps = apm_qmp_execute(qmp, "qmp_capabilities", NULL, timeout_ms, error);
    if (!caps)
        return NULL;
    return g_steal_pointer(&qmp);
}

void
apm_qmp_free(ApmQmp *qmp)
{
    if (!qmp)
        return;
    if (qmp->cancel)
        g_cancellable_cancel(qmp->cancel);
    if (qmp->context) {
        /* the cancelled read still calls back: let it, before qmp goes away */
        g_main_context_push_thread_default(qmp->context);
        while (qmp->reading)
            g_main_context_iteration(qmp->context, TRUE);
        g_main_context_pop_thread_default(qmp->context);
    }
    if (qmp->connection)
        g_io_stream_close(G_IO_STREAM(qmp->connection), NULL, NULL);
    g_clear_object(&qmp->in);
    g_clear_object(&qmp->connection);
    g_clear_object(&qmp->cancel);
    g_clear_pointer(&qmp->replies, g_hash_table_unref);
    g_queue_clear_full(&qmp->events, (GDestroyNotify) json_node_unref);
    g_clear_pointer(&qmp->context, g_main_context_unref);
    g_free(qmp->path);
    g_free(qmp->closed_why);
    g_free(qmp->version);
    g_free(qmp);
}
