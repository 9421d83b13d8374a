/* apm-guests.c: the guest back-end interface, and the back-end of QMP sockets in a folder */
#include "config.h"
#include "apm-guests.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "apm-error.h"
#include "apm-file.h"
#include "apm-i18n.h"
#include "apm-qmp.h"
#include "apm-xmldoc.h"

/* ---- the interface ---------------------------------------------------------------------------------------- */

ApmGuest *
apm_guest_new(const char *name)
{
    ApmGuest *g = g_new0(ApmGuest, 1);

    g->name = g_strdup(name);
    return g;
}

void
apm_guest_free(ApmGuest *guest)
{
    if (!guest)
        return;
    g_free(guest->name);
    apm_hostdev_free(guest->live);
    apm_hostdev_free(guest->config);
    g_free(guest->problem);
    g_free(guest);
}

void
apm_guests_free(ApmGuests *guests)
{
    if (!guests)
        return;
    if (guests->ops && guests->ops->finalize)
        guests->ops->finalize(guests);
    g_free(guests->description);
    g_free(guests);
}

gboolean
apm_guests_list_asks_guests(const ApmGuests *guests)
{
    return guests->ops->list_asks_guests;
}

const char *
apm_guests_describe(const ApmGuests *guests)
{
    return guests->description;
}

static gint
by_name(gconstpointer a, gconstpointer b)
{
    const ApmGuest *x = *(ApmGuest *const *) a, *y = *(ApmGuest *const *) b;

    return strcmp(x->name, y->name);
}

GPtrArray *
apm_guests_list(ApmGuests *guests, GError **error)
{
    GPtrArray *list = guests->ops->list(guests, error);

    if (list)
        g_ptr_array_sort(list, by_name);
    return list;
}

gboolean
apm_guests_get(ApmGuests *guests, const char *name, ApmGuest **guest, GError **error)
{
    g_autoptr(GPtrArray) list = NULL;

    *guest = NULL;
    if (guests->ops->get)
        return guests->ops->get(guests, name, guest, error);
    if (!(list = apm_guests_list(guests, error)))
        return FALSE;
    for (guint i = 0; i < list->len; i++) {
        ApmGuest *g = g_ptr_array_index(list, i);

        if (g_str_equal(g->name, name)) {
            *guest = g_ptr_array_steal_index(list, i);
            break;
        }
    }
    return TRUE;
}

const ApmGuest *
apm_guests_holder(GPtrArray *list, const ApmUuid *uuid)
{
    for (guint i = 0; list && i < list->len; i++) {
        const ApmGuest *g = g_ptr_array_index(list, i);

        if (g->running && g->live && apm_uuid_equal(&g->live->uuid, uuid))
            return g;
    }
    return NULL;
}

gboolean
apm_guests_attach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags,
                  GError **error)
{
    return apm_guest_name_check(name, error) && guests->ops->attach(guests, name, hostdev, flags, error);
}

gboolean
apm_guests_detach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags,
                  guint timeout_ms, GError **error)
{
    return apm_guest_name_check(name, error) && guests->ops->detach(guests, name, hostdev, flags, timeout_ms, error);
}

gboolean
apm_guest_name_check(const char *name, GError **error)
{
    const char *why = NULL;

    if (!name || !*name)
        why = _("it is empty");
    else if (strlen(name) > 200)
        why = _("it is longer than 200 bytes");
    else if (!g_utf8_validate(name, -1, NULL))
        why = _("it is not UTF-8");
    else if (strchr(name, '/'))
        why = _("it contains '/'");
    else if (name[0] == '.')
        why = _("it starts with '.'");
    else
        for (const char *p = name; *p && !why; p++)
            if ((unsigned char) *p < 0x20 || *p == 0x7f)
                why = _("it contains a control character");
    if (why) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("'%s' is not a guest name: %s"), name ? name : "", why);
        return FALSE;
    }
    return TRUE;
}

gboolean
apm_guest_hostdev_from_xml(const char *xml, gsize length, const char *source, ApmHostdev **hostdev,
                           GError **error)
{
    g_autoptr(ApmDomainInfo) info = apm_domain_info_parse(xml, length, source, error);

    if (!info)
        return FALSE;
    *hostdev = info->hostdevs->len ? g_steal_pointer(&g_ptr_array_index(info->hostdevs, 0)) : NULL;
    return TRUE;
}

/* ---- the QMP folder --------------------------------------------------------------------------------------- */

typedef struct {
    char *dir;
    guint timeout_ms;
} QmpFolder;

static char *
qmp_file(const QmpFolder *q, const char *name, const char *suffix)
{
    g_autofree char *base = g_strconcat(name, suffix, NULL);

    return g_build_filename(q->dir, base, NULL);
}

/* The vfio-ap device of a running QEMU: its id among /machine/peripheral and the mdev of its sysfsdev */
static gboolean
qmp_read_device_within(ApmQmp *qmp, guint timeout_ms, ApmHostdev **hostdev, GError **error)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) args = NULL;
    g_autoptr(JsonNode) children = NULL;
    g_autoptr(GError) local = NULL;
    JsonArray *array;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, "/machine/peripheral");
    json_builder_end_object(b);
    args = json_builder_get_root(b);
    children = apm_qmp_execute(qmp, "qom-list", args, timeout_ms, error);
    if (!children)
        return FALSE;
    if (!JSON_NODE_HOLDS_ARRAY(children)) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_PEER, _("QEMU's answer to qom-list is not a list"));
        return FALSE;
    }
    array = json_node_get_array(children);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonObject *child = apm_json_element_object(array, i);
        const char *id = apm_json_member_string(child, "name");
        const char *type = apm_json_member_string(child, "type");
        g_autoptr(JsonBuilder) gb = json_builder_new();
        g_autoptr(JsonNode) gargs = NULL;
        g_autoptr(JsonNode) path = NULL;
        g_autofree char *object = NULL;
        const char *sysfsdev, *uuid;
        ApmHostdev *h;

        if (!id || !type || !g_str_equal(type, "child<vfio-ap>"))
            continue;
        object = g_strconcat("/machine/peripheral/", id, NULL);
        json_builder_begin_object(gb);
        json_builder_set_member_name(gb, "path");
        json_builder_add_string_value(gb, object);
        json_builder_set_member_name(gb, "property");
        json_builder_add_string_value(gb, "sysfsdev");
        json_builder_end_object(gb);
        gargs = json_builder_get_root(gb);
        path = apm_qmp_execute(qmp, "qom-get", gargs, timeout_ms, &local);
        if (!path) {
            if (g_error_matches(local, APM_ERROR, APM_ERROR_NOT_FOUND)) {
                g_clear_error(&local);
                continue; /* unplugged between qom-list and qom-get */
            }
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        sysfsdev = JSON_NODE_HOLDS_VALUE(path) && json_node_get_value_type(path) == G_TYPE_STRING
                       ? json_node_get_string(path)
                       : "";
        uuid = strrchr(sysfsdev, '/') ? strrchr(sysfsdev, '/') + 1 : sysfsdev;
        h = g_new0(ApmHostdev, 1);
        if (!apm_uuid_parse(uuid, &h->uuid)) {
            apm_hostdev_free(h);
            g_set_error(error, APM_ERROR, APM_ERROR_PEER,
                        _("QEMU's vfio-ap device '%s' has the sysfsdev '%s', which names no mdev"), id, sysfsdev);
            return FALSE;
        }
        h->alias = g_strdup(id);
        *hostdev = h;
        return TRUE;
    }
    *hostdev = NULL;
    return TRUE;
}

/* The whole listing of a guest's devices in one time budget: a monitor that answers each of many qom-gets just
 * in time must not stall the caller for their number times the timeout */
static gboolean
qmp_read_device(ApmQmp *qmp, guint timeout_ms, ApmHostdev **hostdev, GError **error)
{
    gboolean ok;

    apm_qmp_set_deadline(qmp, timeout_ms);
    ok = qmp_read_device_within(qmp, timeout_ms, hostdev, error);
    apm_qmp_set_deadline(qmp, 0);
    return ok;
}

/* A guest from its socket and config file; a socket nobody listens on is a guest that stopped */
static ApmGuest *
qmp_guest(QmpFolder *q, const char *name, GError **error)
{
    g_autofree char *sock = qmp_file(q, name, ".sock");
    g_autofree char *conf = qmp_file(q, name, ".xml");
    g_autoptr(ApmGuest) g = apm_guest_new(name);
    g_autoptr(GError) local = NULL;
    g_autofree char *text = NULL;
    gsize length;

    if (g_file_test(sock, G_FILE_TEST_EXISTS)) {
        g_autoptr(ApmQmp) qmp = apm_qmp_connect(sock, q->timeout_ms, &local);

        if (qmp) {
            g->running = TRUE;
            if (!qmp_read_device(qmp, q->timeout_ms, &g->live, error))
                return NULL;
        } else if (!g_error_matches(local, APM_ERROR, APM_ERROR_NOT_FOUND)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return NULL;
        }
    }
    /* the guest folder may be writable by others: the definition is read without following a link or waiting on
     * a FIFO, only when root or the folder's owner owns it, and no larger than a domain */
    g_clear_error(&local);
    text = apm_file_read_untrusted(conf, APM_DOMAIN_XML_MAX, APM_FILE_FOLDER_OWNER, &length, &local);
    if (!text && !g_error_matches(local, APM_ERROR, APM_ERROR_NOT_FOUND)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Guest %s's definition: %s"), name, local->message);
        return NULL;
    }
    if (text) {
        g_autoptr(GError) bad = NULL;

        g->persistent = TRUE;
        if (!apm_guest_hostdev_from_xml(text, length, conf, &g->config, &bad)) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Guest %s's definition %s: %s"), name, conf,
                        bad->message);
            return NULL;
        }
    }
    return g_steal_pointer(&g);
}

/* One guest asked from a thread of its own; whoever is done last (the asker or the lister) frees the job */
typedef struct {
    gint refcount;
    QmpFolder *q;      /* the lister's: valid while the lister waits */
    char *name;
    char *dir;
    guint timeout_ms;
    ApmGuest *guest;   /* the answer, or NULL */
    GError *error;
    gboolean done;
} GuestJob;

static void
guest_job_unref(GuestJob *job)
{
    if (!g_atomic_int_dec_and_test(&job->refcount))
        return;
    g_free(job->name);
    g_free(job->dir);
    apm_guest_free(job->guest);
    g_clear_error(&job->error);
    g_free(job);
}

/* pthread's, not GLib's: GMutex is a bare futex that ThreadSanitizer cannot see, and the answers cross threads */
static pthread_mutex_t list_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t list_cond;
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void
list_cond_init(void)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&list_cond, &attr);
    pthread_condattr_destroy(&attr);
}

static gpointer
ask_guest(gpointer data)
{
    GuestJob *job = data;
    QmpFolder own = { job->dir, job->timeout_ms };
    GError *error = NULL;
    ApmGuest *g = qmp_guest(&own, job->name, &error);

    pthread_mutex_lock(&list_mutex);
    job->guest = g;
    job->error = error;
    job->done = TRUE;
    pthread_cond_broadcast(&list_cond);
    pthread_mutex_unlock(&list_mutex);
    guest_job_unref(job);
    return NULL;
}

static GPtrArray *
qmp_list(ApmGuests *guests, GError **error)
{
    QmpFolder *q = guests->priv;
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify) apm_guest_free);
    g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func((GDestroyNotify) guest_job_unref);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) dir = g_dir_open(q->dir, 0, &local);
    const char *entry;
    struct timespec deadline;

    if (!dir) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return g_steal_pointer(&list); /* no guest has run yet */
        g_set_error(error, APM_ERROR, APM_ERROR_IO, _("Cannot read the folder of QEMU monitors %s: %s"), q->dir,
                    local->message);
        return NULL;
    }
    while ((entry = g_dir_read_name(dir))) {
        g_autofree char *name = NULL;
        GuestJob *job;

        if (g_str_has_suffix(entry, ".sock"))
            name = g_strndup(entry, strlen(entry) - 5);
        else if (g_str_has_suffix(entry, ".xml"))
            name = g_strndup(entry, strlen(entry) - 4);
        if (!name || !apm_guest_name_check(name, NULL) || g_hash_table_contains(seen, name))
            continue;
        g_hash_table_add(seen, g_strdup(name));
        /* every guest at once: one that is slow to answer delays the list by its own time, not by the sum */
        job = g_new0(GuestJob, 1);
        job->refcount = 2;
        job->name = g_strdup(name);
        job->dir = g_strdup(q->dir);
        job->timeout_ms = q->timeout_ms;
        g_ptr_array_add(jobs, job);
        pthread_once(&list_once, list_cond_init);
        apm_json_init(); /* json-glib's classes, before the threads that read QMP with them */
        /* and GLib's error-domain registry, made on the first GError: its lock is allocated lazily inside GLib,
         * where ThreadSanitizer cannot see the threads' first errors ordered */
        g_error_free(g_error_new_literal(APM_ERROR, APM_ERROR_IO, ""));
        g_thread_unref(g_thread_new("apm-guest", ask_guest, job));
    }
    /* each exchange has the timeout; a guest that has not answered its few exchanges by twice that is left out */
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t) (q->timeout_ms * 2 / 1000);
    deadline.tv_nsec += (long) (q->timeout_ms * 2 % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&list_mutex);
    for (guint i = 0; i < jobs->len; i++) {
        GuestJob *job = g_ptr_array_index(jobs, i);

        while (!job->done && pthread_cond_timedwait(&list_cond, &list_mutex, &deadline) == 0)
            ;
        if (job->done && job->guest) {
            ApmGuest *g = g_steal_pointer(&job->guest);

            if (g->running || g->persistent)
                g_ptr_array_add(list, g);
            else
                apm_guest_free(g);
        } else {
            /* not answering, or answering nonsense: named, never fatal to the list */
            ApmGuest *g = apm_guest_new(job->name);

            g->running = TRUE;
            g->problem = job->done ? g_strdup(job->error ? job->error->message : _("unknown error"))
                                   : g_strdup_printf(_("its QEMU monitor did not answer within %u ms"),
                                                     q->timeout_ms * 2);
            g_ptr_array_add(list, g);
        }
    }
    pthread_mutex_unlock(&list_mutex);
    return g_steal_pointer(&list);
}

static gboolean
qmp_get(ApmGuests *guests, const char *name, ApmGuest **guest, GError **error)
{
    ApmGuest *g;

    *guest = NULL;
    if (!apm_guest_name_check(name, NULL))
        return TRUE;
    if (!(g = qmp_guest(guests->priv, name, error)))
        return FALSE;
    if (g->running || g->persistent)
        *guest = g;
    else
        apm_guest_free(g);
    return TRUE;
}

static ApmQmp *
qmp_open_running(QmpFolder *q, const char *name, GError **error)
{
    g_autofree char *sock = qmp_file(q, name, ".sock");
    g_autoptr(GError) local = NULL;
    ApmQmp *qmp = apm_qmp_connect(sock, q->timeout_ms, &local);

    if (!qmp) {
        if (g_error_matches(local, APM_ERROR, APM_ERROR_NOT_FOUND))
            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                        _("Guest %s is not running (no QEMU listens on %s): only a running guest can change live"),
                        name, sock);
        else
            g_propagate_error(error, g_steal_pointer(&local));
    }
    return qmp;
}

/* The guest's definition is edited as text, the way libvirt wrote it (quotes, indentation), and checked by
 * parsing before and after: the edit must have added or removed exactly the one vfio-ap hostdev */
static gboolean
config_edit(QmpFolder *q, const char *name, const ApmHostdev *hostdev, gboolean add, GError **error)
{
    g_autofree char *path = qmp_file(q, name, ".xml");
    g_autofree char *text = NULL;
    g_autoptr(GString) out = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(ApmDomainInfo) before = NULL;
    g_autoptr(ApmDomainInfo) after = NULL;
    char uuid[APM_UUID_TEXT_LEN + 1];
    gsize length = 0;

    apm_uuid_format(&hostdev->uuid, uuid);
    if (!(text = apm_file_read_untrusted(path, APM_DOMAIN_XML_MAX, APM_FILE_FOLDER_OWNER, &length, &local))) {
        if (!g_error_matches(local, APM_ERROR, APM_ERROR_NOT_FOUND)) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("Guest %s's definition: %s"), name, local->message);
            return FALSE;
        }
        if (!add) {
            g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("Guest %s has no definition (%s)"), name, path);
            return FALSE;
        }
        out = g_string_new("<domain type='kvm'>\n  <name>");
        apm_xml_append_escaped(out, name);
        g_string_append(out, "</name>\n  <devices>\n  </devices>\n</domain>\n");
        text = g_strdup(out->str);
        length = out->len;
        g_string_free(g_steal_pointer(&out), TRUE);
        g_clear_error(&local);
    }
    before = apm_domain_info_parse(text, length, path, error);
    if (!before) {
        g_prefix_error(error, _("Guest %s's definition %s: "), name, path);
        return FALSE;
    }
    out = g_string_new(NULL);
    if (add) {
        ApmHostdev plain = { hostdev->uuid, NULL, 0 };
        g_autofree char *element = NULL;
        const char *close = g_strrstr(text, "</devices>");
        const char *at;

        if (before->hostdevs->len) {
            char other[APM_UUID_TEXT_LEN + 1];

            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                        _("Guest %s's definition already has a vfio-ap hostdev (mdev %s): a guest has one AP matrix"),
                        name, apm_uuid_format(&((ApmHostdev *) g_ptr_array_index(before->hostdevs, 0))->uuid, other));
            return FALSE;
        }
        /* a user alias (ua-...) belongs to the definition; libvirt's own aliases are given at start */
        if (hostdev->alias && g_str_has_prefix(hostdev->alias, "ua-"))
            plain.alias = hostdev->alias;
        element = apm_hostdev_format(&plain, 4);
        if (close) {
            for (at = close; at > text && (at[-1] == ' ' || at[-1] == '\t'); at--)
                ;
            g_string_append_len(out, text, at - text);
            g_string_append(out, element);
            g_string_append(out, at);
        } else if ((close = g_strrstr(text, "</domain>"))) {
            g_string_append_len(out, text, close - text);
            g_string_append_printf(out, "  <devices>\n%s  </devices>\n", element);
            g_string_append(out, close);
        }
    } else {
        const char *p = text;
        gboolean done = FALSE;

        while (!done && (p = strstr(p, "<hostdev"))) {
            const char *end = strstr(p, "</hostdev>");
            g_autofree char *element = end ? g_strndup(p, end - p) : NULL;
            const char *from = p, *to;

            if (!end)
                break;
            to = end + strlen("</hostdev>");
            if (!strstr(element, "vfio-ap") || !strstr(element, uuid)) {
                p = to;
                continue;
            }
            while (from > text && (from[-1] == ' ' || from[-1] == '\t'))
                from--;
            if (*to == '\n')
                to++;
            g_string_append_len(out, text, from - text);
            g_string_append(out, to);
            done = TRUE;
        }
        if (!done) {
            g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND,
                        _("Guest %s's definition has no vfio-ap hostdev for mdev %s"), name, uuid);
            return FALSE;
        }
    }
    after = out->len ? apm_domain_info_parse(out->str, out->len, path, NULL) : NULL;
    if (!after || after->hostdevs->len != (add ? 1u : 0u) ||
        (add && !apm_uuid_equal(&((ApmHostdev *) g_ptr_array_index(after->hostdevs, 0))->uuid, &hostdev->uuid))) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("Cannot edit guest %s's definition %s: it is not laid out as libvirt writes domain XML"), name,
                    path);
        return FALSE;
    }
    /* a new file, renamed over the old (a link in its place is replaced, not followed), with its mode whatever
     * the umask */
    if (!g_file_set_contents_full(path, out->str, (gssize) out->len, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local)) {
        g_set_error(error, APM_ERROR, APM_ERROR_IO, _("Cannot write guest %s's definition %s: %s"), name, path,
                    local->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean
qmp_attach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags, GError **error)
{
    QmpFolder *q = guests->priv;

    if (flags & APM_GUEST_LIVE) {
        g_autoptr(ApmQmp) qmp = qmp_open_running(q, name, error);
        g_autofree char *json = NULL;
        g_autoptr(JsonNode) args = NULL;
        g_autoptr(JsonNode) done = NULL;

        if (!qmp)
            return FALSE;
        json = apm_hostdev_qemu_json(hostdev);
        args = apm_json_parse(json, -1, NULL);
        done = apm_qmp_execute(qmp, "device_add", args, q->timeout_ms, error);
        if (!done)
            return FALSE;
    }
    if (flags & APM_GUEST_CONFIG)
        return config_edit(q, name, hostdev, TRUE, error);
    return TRUE;
}

static gboolean
qmp_detach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags, guint timeout_ms,
           GError **error)
{
    QmpFolder *q = guests->priv;

    if (flags & APM_GUEST_LIVE) {
        g_autoptr(ApmQmp) qmp = qmp_open_running(q, name, error);
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) args = NULL;
        g_autoptr(JsonNode) done = NULL;
        g_autoptr(JsonNode) event = NULL;
        g_autoptr(GError) local = NULL;
        const char *id = hostdev->alias ? hostdev->alias : "hostdev0";

        if (!qmp)
            return FALSE;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, id);
        json_builder_end_object(b);
        args = json_builder_get_root(b);
        done = apm_qmp_execute(qmp, "device_del", args, q->timeout_ms, error);
        if (!done)
            return FALSE;
        event = apm_qmp_wait_event(qmp, "DEVICE_DELETED", "device", id, timeout_ms, &local);
        if (!event) {
            if (g_error_matches(local, APM_ERROR, APM_ERROR_TIMEOUT))
                g_set_error(error, APM_ERROR, APM_ERROR_TIMEOUT,
                            _("Guest %s did not release its vfio-ap device '%s' within %u ms (no DEVICE_DELETED): "
                              "the device is still attached; the guest may finish the unplug later, or it must be "
                              "stopped"),
                            name, id, timeout_ms);
            else
                g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
    }
    if (flags & APM_GUEST_CONFIG)
        return config_edit(q, name, hostdev, FALSE, error);
    return TRUE;
}

static void
qmp_finalize(ApmGuests *guests)
{
    QmpFolder *q = guests->priv;

    g_free(q->dir);
    g_free(q);
}

static const ApmGuestsOps qmp_ops = { "qmp", TRUE, qmp_list, qmp_get, qmp_attach, qmp_detach, qmp_finalize };

ApmGuests *
apm_guests_open_qmp(const char *dir, guint timeout_ms, GError **error)
{
    ApmGuests *guests;
    QmpFolder *q;

    if (!dir || !*dir) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID, _("No folder of QEMU monitors was given"));
        return NULL;
    }
    q = g_new0(QmpFolder, 1);
    q->dir = g_strdup(dir);
    q->timeout_ms = timeout_ms ? timeout_ms : 5000;
    guests = g_new0(ApmGuests, 1);
    guests->ops = &qmp_ops;
    guests->priv = q;
    guests->description = g_strdup_printf(_("QEMU monitors in %s"), dir);
    return guests;
}
