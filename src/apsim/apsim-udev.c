/* apsim-udev.c: the udev database (the "+subsystem:sysname" files of /run/udev/data) */
#include "config.h"
#include "apsim-udev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

struct ApsimUdev {
    ApsimHost *host;
    char *dir;
    pthread_mutex_t mutex; /* a leaf: subscribers and the sequence number */
    GArray *subscribers;   /* fds */
    guint64 seqnum;
};

char *
apsim_udev_db_name(const char *devpath, const char *subsystem)
{
    const char *sysname = strrchr(devpath, '/');

    if (!subsystem || !sysname || !sysname[1])
        return NULL;
    return g_strdup_printf("+%s:%s", subsystem, sysname + 1);
}

static const char *
devtype_of(const char *devpath, const char *subsystem)
{
    /* the AP root device (/devices/ap) is a root device: no device type */
    if (g_str_equal(subsystem, "ap") && !g_str_equal(devpath, "/devices/ap"))
        return strchr(strrchr(devpath, '/'), '.') ? "ap_queue" : "ap_card";
    return NULL; /* the matrix device and mdevs have no device type */
}

static gboolean
write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    gboolean ok;

    if (fd < 0)
        return FALSE;
    ok = write(fd, text, strlen(text)) == (ssize_t) strlen(text);
    close(fd);
    return ok;
}

/* "I:" makes the device initialized for sd-device; E: lines are properties udev rules would have added. While
 * the simulator runs, entries are replaced atomically (readers may be looking); before, they are written in
 * place, which matters on the 65,536-queue host. */
static void
write_entry(ApsimUdev *u, const char *devpath, const char *subsystem, gboolean atomic)
{
    g_autofree char *name = apsim_udev_db_name(devpath, subsystem);
    g_autofree char *path = NULL, *tmp = NULL, *text = NULL;
    const char *devtype = devtype_of(devpath, subsystem);

    if (!name)
        return;
    path = g_build_filename(u->dir, name, NULL);
    text = g_strdup_printf("I:%" G_GINT64_FORMAT "\n%s%s%sE:ID_APSIM=1\nV:1\n", g_get_monotonic_time(),
                           devtype ? "E:DEVTYPE=" : "", devtype ? devtype : "", devtype ? "\n" : "");
    if (!atomic) {
        write_file(path, text);
        return;
    }
    tmp = g_strconcat(path, ".tmp", NULL);
    if (write_file(tmp, text))
        rename(tmp, path);
}

static void
remove_entry(ApsimUdev *u, const char *devpath, const char *subsystem)
{
    g_autofree char *name = apsim_udev_db_name(devpath, subsystem);
    g_autofree char *path = NULL;

    if (!name)
        return;
    path = g_build_filename(u->dir, name, NULL);
    unlink(path);
}

static void on_uevent_db(ApsimUdev *u, ApsimUeventAction action, const char *devpath, const char *subsystem);

static const char *
action_name(ApsimUeventAction action)
{
    switch (action) {
    case APSIM_UEVENT_ADD:
        return "add";
    case APSIM_UEVENT_REMOVE:
        return "remove";
    case APSIM_UEVENT_CHANGE:
        return "change";
    case APSIM_UEVENT_BIND:
        return "bind";
    case APSIM_UEVENT_UNBIND:
        return "unbind";
    }
    return "change";
}

static void
broadcast(ApsimUdev *u, ApsimUeventAction action, const char *devpath, const char *subsystem,
          const char *const *env)
{
    g_autoptr(GString) line = g_string_new(NULL);
    const char *devtype = devtype_of(devpath, subsystem);

    pthread_mutex_lock(&u->mutex);
    if (u->subscribers->len == 0) {
        u->seqnum++;
        pthread_mutex_unlock(&u->mutex);
        return;
    }
    g_string_append_printf(line, "%s %" G_GUINT64_FORMAT " DEVPATH=%s SUBSYSTEM=%s", action_name(action),
                           ++u->seqnum, devpath, subsystem);
    if (devtype)
        g_string_append_printf(line, " DEVTYPE=%s", devtype);
    for (guint i = 0; env && env[i]; i++)
        if (!strchr(env[i], ' '))
            g_string_append_printf(line, " %s", env[i]);
    g_string_append_c(line, '\n');
    for (guint i = 0; i < u->subscribers->len;) {
        int fd = g_array_index(u->subscribers, int, i);

        /* a reader that cannot keep up is dropped rather than allowed to stall the kernel model */
        if (send(fd, line->str, line->len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t) line->len) {
            shutdown(fd, SHUT_RDWR);
            g_array_remove_index(u->subscribers, i);
            continue;
        }
        i++;
    }
    pthread_mutex_unlock(&u->mutex);
}

void
apsim_udev_stream_events(ApsimUdev *u, int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char buf[64];

    pthread_mutex_lock(&u->mutex);
    g_array_append_val(u->subscribers, fd);
    pthread_mutex_unlock(&u->mutex);
    while (poll(&p, 1, -1) >= 0 && !(p.revents & (POLLHUP | POLLERR)) && read(fd, buf, sizeof(buf)) > 0)
        ;
    pthread_mutex_lock(&u->mutex);
    for (guint i = 0; i < u->subscribers->len; i++) {
        if (g_array_index(u->subscribers, int, i) == fd) {
            g_array_remove_index(u->subscribers, i);
            break;
        }
    }
    pthread_mutex_unlock(&u->mutex);
}

void
apsim_udev_disconnect_all(ApsimUdev *u)
{
    pthread_mutex_lock(&u->mutex);
    for (guint i = 0; i < u->subscribers->len; i++)
        shutdown(g_array_index(u->subscribers, int, i), SHUT_RDWR);
    pthread_mutex_unlock(&u->mutex);
}

static void
on_uevent(ApsimUeventAction action, const char *devpath, const char *subsystem, const char *const *env,
          gpointer data)
{
    ApsimUdev *u = data;

    on_uevent_db(u, action, devpath, subsystem);
    broadcast(u, action, devpath, subsystem, env);
}

static void
on_uevent_db(ApsimUdev *u, ApsimUeventAction action, const char *devpath, const char *subsystem)
{
    switch (action) {
    case APSIM_UEVENT_ADD:
        write_entry(u, devpath, subsystem, TRUE);
        break;
    case APSIM_UEVENT_REMOVE:
        remove_entry(u, devpath, subsystem);
        break;
    case APSIM_UEVENT_CHANGE:
    case APSIM_UEVENT_BIND:
    case APSIM_UEVENT_UNBIND:
        break;
    }
}

ApsimUdev *
apsim_udev_new(ApsimHost *host, const char *dir, GError **error)
{
    ApsimUdev *u;
    g_autoptr(GPtrArray) mdevs = NULL;
    ApmMask cards;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot create %s"), dir);
        return NULL;
    }
    u = g_new0(ApsimUdev, 1);
    u->host = host;
    u->dir = g_strdup(dir);
    pthread_mutex_init(&u->mutex, NULL);
    u->subscribers = g_array_new(FALSE, FALSE, sizeof(int));
    write_entry(u, "/devices/vfio_ap/matrix", "matrix", FALSE);
    apsim_host_present_cards(host, &cards);
    APM_MASK_FOREACH(a, &cards) {
        g_autofree char *card = g_strdup_printf("/devices/ap/card%02x", a);
        ApmMask domains;

        write_entry(u, card, "ap", FALSE);
        apsim_host_present_queues(host, a, &domains);
        APM_MASK_FOREACH(d, &domains) {
            g_autofree char *queue = g_strdup_printf("/devices/ap/card%02x/%02x.%04x", a, a, d);

            write_entry(u, queue, "ap", FALSE);
        }
    }
    mdevs = apsim_host_list_mdevs(host);
    for (guint i = 0; i < mdevs->len; i++) {
        g_autofree char *path = g_strdup_printf("/devices/vfio_ap/matrix/%s", (char *) g_ptr_array_index(mdevs, i));

        write_entry(u, path, "mdev", FALSE);
    }
    apsim_host_set_uevent_func(host, on_uevent, u);
    return u;
}

void
apsim_udev_free(ApsimUdev *u)
{
    if (!u)
        return;
    apsim_host_set_uevent_func(u->host, NULL, NULL);
    g_array_unref(u->subscribers);
    pthread_mutex_destroy(&u->mutex);
    g_free(u->dir);
    g_free(u);
}
