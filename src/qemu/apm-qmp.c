/* apm-qmp.c: the QMP client */
#include "config.h"
#include "apm-qmp.h"

#include <glib-unix.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

/* One connection, used by one thread at a time: plain socket calls and poll(), with a deadline for every wait
 * (a monitor exchange is a line out and a line or two back: no main loop is needed for that) */
/* What a peer may make root hold: a line (QEMU's longest replies to what apmatrix asks are a few kilobytes; the
 * greeting is a few hundred bytes), and the events nobody has asked for yet (only the newest are kept) */
#define QMP_MAX_LINE (1024 * 1024)
#define QMP_MAX_GREETING (64 * 1024)
#define QMP_MAX_EVENTS 256

struct ApmQmp {
    char *path;
    int fd;
    GString *in;         /* bytes received and not yet taken as lines */
    gsize scanned;       /* how much of in holds no line end (each byte is looked at once) */
    gint64 deadline;     /* the conversation's own end (monotonic µs), 0: none */
    guint dropped;       /* events dropped, the queue being full */
    GHashTable *replies; /* id -> JsonNode (the whole reply object) */
    GQueue events;       /* JsonNode (the whole event object) */
    gboolean greeted;
    gboolean closed;
    char *closed_why;
    char *version;
    guint64 next_id;
};

static void
set_closed(ApmQmp *qmp, const char *why)
{
    qmp->closed = TRUE;
    g_free(qmp->closed_why);
    qmp->closed_why = g_strdup(why);
}

static void
on_message(ApmQmp *qmp, JsonNode *node)
{
    JsonObject *o = json_node_get_object(node);
    gint64 number;

    if (json_object_has_member(o, "QMP")) {
        JsonObject *v = apm_json_member_object(apm_json_member_object(o, "QMP"), "version");
        JsonObject *qemu = apm_json_member_object(v, "qemu");
        gint64 major = 0, minor = 0, micro = 0;

        qmp->greeted = TRUE;
        if (qemu && apm_json_member_int(qemu, "major", &major) && apm_json_member_int(qemu, "minor", &minor) &&
            apm_json_member_int(qemu, "micro", &micro))
            qmp->version = g_strdup_printf("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT, major,
                                           minor, micro);
        json_node_unref(node);
    } else if (json_object_has_member(o, "event")) {
        g_queue_push_tail(&qmp->events, node);
        if (qmp->events.length > QMP_MAX_EVENTS) {
            json_node_unref(g_queue_pop_head(&qmp->events));
            qmp->dropped++;
        }
    } else if (apm_json_member_int(o, "id", &number)) {
        g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, number);

        g_hash_table_replace(qmp->replies, g_steal_pointer(&id), node);
    } else {
        json_node_unref(node); /* a reply to nobody: QEMU's parse errors carry no id */
    }
}

static void
on_line(ApmQmp *qmp, const char *line)
{
    g_autoptr(JsonNode) node = NULL;

    if (!*line)
        return;
    if ((node = apm_json_parse(line, -1, NULL)) && JSON_NODE_HOLDS_OBJECT(node)) {
        on_message(qmp, g_steal_pointer(&node));
    } else if (!qmp->greeted) {
        set_closed(qmp, _("it does not speak QMP"));
    }
}

/* Every whole line received so far, as messages ("\n", "\r\n" or "\r" ends a line, as QEMU may send any) */
static void
take_lines(ApmQmp *qmp)
{
    gsize start = 0;
    gsize limit = qmp->greeted ? QMP_MAX_LINE : QMP_MAX_GREETING;

    for (gsize i = qmp->scanned; i < qmp->in->len && !qmp->closed; i++) {
        char c = qmp->in->str[i];

        if (c != '\n' && c != '\r')
            continue;
        qmp->in->str[i] = '\0';
        if (i - start > limit)
            set_closed(qmp, _("it sent a line longer than a monitor's message can be"));
        else
            on_line(qmp, qmp->in->str + start);
        start = i + 1;
    }
    g_string_erase(qmp->in, 0, (gssize) start);
    qmp->scanned = qmp->in->len;
    if (qmp->in->len > limit && !qmp->closed)
        set_closed(qmp, _("it sent a line longer than a monitor's message can be"));
}

typedef gboolean (*Done)(ApmQmp *qmp, gpointer data);
static gboolean take_event(ApmQmp *qmp, gpointer data);

/* Reads until done says so, the peer closes, or timeout_ms pass. */
static gboolean
wait_for(ApmQmp *qmp, Done done, gpointer data, guint timeout_ms, const char *what, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    gboolean overall = qmp->deadline && qmp->deadline < deadline;
    /* an event the guest itself sends (DEVICE_DELETED) is the guest's answer, documented apart; a monitor that
     * gives no reply, greeting or connection is a peer that does not answer */
    int code = done == take_event ? APM_ERROR_TIMEOUT : APM_ERROR_PEER_TIMEOUT;

    if (overall)
        deadline = qmp->deadline;

    take_lines(qmp);
    while (!done(qmp, data) && !qmp->closed) {
        gint64 left = deadline - g_get_monotonic_time();
        struct pollfd p = { qmp->fd, POLLIN, 0 };
        char buf[4096];
        ssize_t n;
        int r;

        if (left <= 0)
            break;
        r = poll(&p, 1, (int) ((left + 999) / 1000));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            set_closed(qmp, g_strerror(errno));
            break;
        }
        if (r == 0)
            continue;
        n = recv(qmp->fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0) {
            set_closed(qmp, n == 0 ? _("end of stream") : g_strerror(errno));
            break;
        }
        g_string_append_len(qmp->in, buf, n);
        take_lines(qmp);
    }
    if (done(qmp, data))
        return TRUE;
    if (qmp->closed)
        g_set_error(error, APM_ERROR, APM_ERROR_PEER, _("QEMU's monitor %s closed while waiting for %s: %s"), qmp->path,
                    what, qmp->closed_why);
    else if (overall)
        g_set_error(error, APM_ERROR, code,
                    _("QEMU's monitor %s gave no %s before the end of the time given to the whole exchange"),
                    qmp->path, what);
    else
        g_set_error(error, APM_ERROR, code, _("QEMU's monitor %s gave no %s within %u ms"), qmp->path, what,
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
send_line(ApmQmp *qmp, const char *text, guint timeout_ms, GError **error)
{
    g_autofree char *line = g_strconcat(text, "\n", NULL);
    gsize len = strlen(line), done = 0;
    gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

    while (done < len) {
        ssize_t n = send(qmp->fd, line + done, len - done, MSG_NOSIGNAL);

        if (n > 0) {
            done += (gsize) n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { qmp->fd, POLLOUT, 0 };
            gint64 left = deadline - g_get_monotonic_time();

            if (left <= 0) {
                g_set_error(error, APM_ERROR, APM_ERROR_PEER_TIMEOUT, _("QEMU's monitor %s took no command within %u ms"),
                            qmp->path, timeout_ms);
                return FALSE;
            }
            poll(&p, 1, (int) ((left + 999) / 1000));
        } else {
            g_set_error(error, APM_ERROR, APM_ERROR_PEER, _("Cannot write to QEMU's monitor %s: %s"), qmp->path,
                        g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

void
apm_qmp_set_deadline(ApmQmp *qmp, guint timeout_ms)
{
    qmp->deadline = timeout_ms ? g_get_monotonic_time() + (gint64) timeout_ms * 1000 : 0;
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
    g_autofree char *text = NULL;
    g_autofree char *id = NULL;
    g_autofree char *what = g_strdup_printf(_("reply to %s"), command);
    guint64 n = ++qmp->next_id;
    JsonNode *reply;
    JsonObject *o;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, command);
    if (arguments) {
        json_builder_set_member_name(b, "arguments");
        json_builder_add_value(b, json_node_ref(arguments));
    }
    json_builder_set_member_name(b, "id");
    json_builder_add_int_value(b, (gint64) n);
    json_builder_end_object(b);
    text = apm_json_builder_write(b, FALSE);
    id = g_strdup_printf("%" G_GUINT64_FORMAT, n);
    if (!send_line(qmp, text, timeout_ms, error) || !wait_for(qmp, has_reply, id, timeout_ms, what, error))
        return NULL;
    {
        gpointer key = NULL;

        g_hash_table_steal_extended(qmp->replies, id, &key, (gpointer *) &reply);
        g_free(key);
    }
    o = json_node_get_object(reply);
    if (json_object_has_member(o, "error")) {
        JsonObject *e = apm_json_member_object(o, "error");
        const char *klass = apm_json_member_string(e, "class");
        const char *desc = apm_json_member_string(e, "desc");

        klass = klass ? klass : "";
        desc = desc ? desc : "";
        g_set_error(error, APM_ERROR, g_str_equal(klass, "DeviceNotFound") ? APM_ERROR_NOT_FOUND : APM_ERROR_PEER,
                    _("QEMU refused %s: %s (%s)"), command, desc, klass);
        json_node_unref(reply);
        return NULL;
    }
    {
        JsonNode *ret = json_object_get_member(o, "return");
        JsonNode *out = ret ? json_node_ref(ret) : json_node_new(JSON_NODE_NULL);

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
        JsonObject *d = apm_json_member_object(o, "data");

        if (g_strcmp0(apm_json_member_string(o, "event"), w->event) != 0)
            continue;
        if (w->key && g_strcmp0(apm_json_member_string(d, w->key), w->value) != 0)
            continue;
        w->found = d ? json_node_ref(json_object_get_member(o, "data")) : json_node_new(JSON_NODE_NULL);
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

    ok = wait_for(qmp, take_event, &w, timeout_ms, what, error);
    return ok ? w.found : NULL;
}

/* A connected UNIX socket, or -1 with error set. connect() on a UNIX socket waits while the listener's
 * backlog is full, for as long as the send timeout allows. */
static int
connect_unix(const char *path, guint timeout_ms, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval tv = { (time_t) (timeout_ms / 1000), (suseconds_t) (timeout_ms % 1000) * 1000 };
    int fd, err;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Cannot connect to QEMU's monitor %s: the path is longer "
                                                           "than a UNIX socket address allows"), path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_IO, _("Cannot connect to QEMU's monitor %s: %s"), path,
                    g_strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
        if (errno == EINTR)
            continue;
        err = errno;
        close(fd);
        if (err == EAGAIN || err == EINPROGRESS || err == ETIMEDOUT)
            g_set_error(error, APM_ERROR, APM_ERROR_PEER_TIMEOUT, _("QEMU's monitor %s gave no %s within %u ms"), path,
                        _("connection"), timeout_ms);
        else
            g_set_error(error, APM_ERROR, err == ENOENT || err == ECONNREFUSED ? APM_ERROR_NOT_FOUND : APM_ERROR_PEER,
                        _("Cannot connect to QEMU's monitor %s: %s"), path, g_strerror(err));
        return -1;
    }
    /* from here on every wait is a poll() with its own deadline */
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    return fd;
}

ApmQmp *
apm_qmp_connect(const char *socket_path, guint timeout_ms, GError **error)
{
    g_autoptr(ApmQmp) qmp = g_new0(ApmQmp, 1);
    g_autoptr(JsonNode) caps = NULL;

    qmp->fd = -1;
    qmp->path = g_strdup(socket_path);
    qmp->in = g_string_new(NULL);
    qmp->replies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_node_unref);
    g_queue_init(&qmp->events);
    if ((qmp->fd = connect_unix(socket_path, timeout_ms, error)) < 0)
        return NULL;
    if (!wait_for(qmp, is_greeted, NULL, timeout_ms, _("greeting"), error))
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
    if (qmp->fd >= 0)
        close(qmp->fd);
    if (qmp->in)
        g_string_free(qmp->in, TRUE);
    g_clear_pointer(&qmp->replies, g_hash_table_unref);
    g_queue_clear_full(&qmp->events, (GDestroyNotify) json_node_unref);
    g_free(qmp->path);
    g_free(qmp->closed_why);
    g_free(qmp->version);
    g_free(qmp);
}
