/* apsim-control.c: the control socket and its commands */
#include "config.h"
#include "apsim-control.h"

#include <errno.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"
#include "apm-kstrto.h"

struct ApsimControl {
    ApsimHost *host;
    ApsimQmp *qmp;
    ApsimUdev *udev;
    char *path;
    int fd;
    GThread *thread;
    pthread_mutex_t mutex;
    pthread_cond_t idle;
    guint connections; /* serving threads still running */
    void (*on_stop)(gpointer);
    gpointer data;
};

static const char usage[] = N_(
    "commands:\n"
    "  dump                                 the whole model as JSON\n"
    "  locks                                lock statistics as JSON\n"
    "  fs-stats [reset]                     file system requests served, as JSON\n"
    "  guest-start NAME [old-qemu] [mdev=UUID]   start a guest, optionally with its mdev cold-plugged\n"
    "  guest-stop NAME                      stop a guest (its QEMU closes the vfio-ap device)\n"
    "  guest-attach NAME UUID               device_add the mdev into the guest (set_kvm)\n"
    "  guest-detach NAME                    device_del the guest's vfio-ap device (unset_kvm)\n"
    "  guest-apcb NAME                      the guest's AP configuration and cfg-change count\n"
    "  pqap NAME APQN on|off                the guest issues PQAP(AQIC) on a queue\n"
    "  guest-unplug-hang NAME on|off        device_del is accepted but never completes (no DEVICE_DELETED)\n"
    "  guest-workload NAME on|off           the guest keeps issuing PQAP(AQIC) on all its queues\n"
    "  config-adapter ID on|off             put an adapter into or take it out of the host configuration\n"
    "  config-domain ID on|off              the same for a usage domain\n"
    "  config-control-domain ID on|off      the same for a control domain\n"
    "  card-config ID 0|1                   SCLP configure or deconfigure a card\n"
    "  card-chkstop ID 0|1                  checkstop a card or clear it\n"
    "  inject ATTR NTH ERRNO                the NTH write to ATTR fails with ERRNO (number or name)\n"
    "  inject list                          the injections still pending: ATTR NTH ERRNO, a line each\n"
    "  inject clear [ATTR]                  drop the pending injections (of ATTR only)\n"
    "  latency USEC                         add USEC microseconds to every attribute write\n"
    "  events                               stream device events (used by apsim exec)\n"
    "  stop                                 stop apsim\n");

static gboolean
parse_uint(const char *s, guint max, guint *out)
{
    guint64 v;

    if (!s || apm_kstrtoul(s, 0, &v) < 0 || v > max)
        return FALSE;
    *out = (guint) v;
    return TRUE;
}

static int
errno_from_name(const char *name)
{
    static const struct {
        const char *name;
        int value;
    } names[] = { { "EIO", EIO }, { "EINVAL", EINVAL }, { "ENODEV", ENODEV }, { "EBUSY", EBUSY },
                  { "EADDRINUSE", EADDRINUSE }, { "EADDRNOTAVAIL", EADDRNOTAVAIL }, { "ENOMEM", ENOMEM },
                  { "EPERM", EPERM }, { "EAGAIN", EAGAIN }, { "ENOSPC", ENOSPC }, { "EEXIST", EEXIST } };
    guint v;

    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        if (g_str_equal(name, names[i].name))
            return names[i].value;
    return parse_uint(name, 4095, &v) ? (int) v : 0;
}

static gboolean
on_off(const char *s, gboolean *out)
{
    if (!s)
        return FALSE;
    if (g_str_equal(s, "on") || g_str_equal(s, "1")) {
        *out = TRUE;
        return TRUE;
    }
    if (g_str_equal(s, "off") || g_str_equal(s, "0")) {
        *out = FALSE;
        return TRUE;
    }
    return FALSE;
}

static char *
guest_apcb_text(ApsimHost *host, ApsimGuest *guest)
{
    ApmMatrix apcb;
    guint changes;
    g_autofree char *a = NULL, *d = NULL, *c = NULL;

    apsim_guest_get_apcb(host, guest, &apcb, &changes);
    a = apm_mask_format_list(&apcb.adapters, APM_LIST_DECIMAL);
    d = apm_mask_format_list(&apcb.domains, APM_LIST_DECIMAL);
    c = apm_mask_format_list(&apcb.control_domains, APM_LIST_DECIMAL);
    return g_strdup_printf("adapters=%s\ndomains=%s\ncontrol_domains=%s\ncfg_changes=%u\n", a, d, c, changes);
}

char *
apsim_control_execute(ApsimHost *host, ApsimQmp *qmp, const char *line, gboolean *ok)
{
    g_auto(GStrv) argv = NULL;
    g_autofree char *trimmed = g_strstrip(g_strdup(line));
    guint argc;
    const char *cmd;
    guint id;
    gboolean flag;

    *ok = FALSE;
    argv = g_strsplit_set(trimmed, " \t", -1);
    {
        /* drop empty fields from repeated blanks */
        guint k = 0;

        for (guint i = 0; argv[i]; i++) {
            if (*argv[i])
                argv[k++] = argv[i];
            else
                g_free(argv[i]);
        }
        argv[k] = NULL;
        argc = k;
    }
    if (argc == 0)
        return g_strdup(_(usage));
    cmd = argv[0];

    if (g_str_equal(cmd, "help")) {
        *ok = TRUE;
        return g_strdup(_(usage));
    }
    if (g_str_equal(cmd, "dump")) {
        *ok = TRUE;
        return apsim_host_dump_json(host);
    }
    if (g_str_equal(cmd, "fs-stats") && (argc == 1 || (argc == 2 && g_str_equal(argv[1], "reset")))) {
        *ok = TRUE;
        return apsim_host_fs_stats_json(host, argc == 2);
    }
    if (g_str_equal(cmd, "locks")) {
        *ok = TRUE;
        return apsim_host_lock_stats_json(host);
    }
    if (g_str_equal(cmd, "guest-start") && argc >= 2) {
        g_autoptr(GError) error = NULL;
        gboolean old_qemu = FALSE;
        const char *mdev_name = NULL;

        for (guint i = 2; i < argc; i++) {
            if (g_str_equal(argv[i], "old-qemu"))
                old_qemu = TRUE;
            else if (g_str_has_prefix(argv[i], "mdev="))
                mdev_name = argv[i] + 5;
            else
                return g_strdup_printf(_("unknown option %s\n"), argv[i]);
        }
        if (!apsim_qmp_start_guest(qmp, argv[1], old_qemu, mdev_name, &error))
            return g_strdup_printf("%s\n", error->message);
        *ok = TRUE;
        return g_strdup("");
    }
    if (argc >= 2 && (g_str_equal(cmd, "guest-stop") || g_str_equal(cmd, "guest-attach") ||
                      g_str_equal(cmd, "guest-detach") || g_str_equal(cmd, "guest-apcb") ||
                      g_str_equal(cmd, "pqap") || g_str_equal(cmd, "guest-workload") ||
                      g_str_equal(cmd, "guest-unplug-hang"))) {
        g_autoptr(ApsimGuest) guest = apsim_host_lookup_guest(host, argv[1]);

        if (!guest)
            return g_strdup_printf(_("no guest named %s\n"), argv[1]);
        g_autoptr(GError) error = NULL;

        if (g_str_equal(cmd, "guest-stop")) {
            if (!apsim_qmp_stop_guest(qmp, argv[1], &error))
                return g_strdup_printf("%s\n", error->message);
        } else if (g_str_equal(cmd, "guest-attach") && argc == 3) {
            if (!apsim_qmp_device_add(qmp, argv[1], argv[2], NULL, &error))
                return g_strdup_printf("%s\n", error->message);
        } else if (g_str_equal(cmd, "guest-detach")) {
            if (!apsim_qmp_device_del(qmp, argv[1], &error))
                return g_strdup_printf("%s\n", error->message);
        } else if (g_str_equal(cmd, "guest-apcb")) {
            *ok = TRUE;
            return guest_apcb_text(host, guest);
        } else if (g_str_equal(cmd, "guest-unplug-hang") && argc == 3) {
            if (!on_off(argv[2], &flag))
                return g_strdup(_("usage: guest-unplug-hang NAME on|off\n"));
            if (!apsim_qmp_hang_unplug(qmp, argv[1], flag, &error))
                return g_strdup_printf("%s\n", error->message);
        } else if (g_str_equal(cmd, "guest-workload") && argc == 3) {
            if (!on_off(argv[2], &flag))
                return g_strdup(_("usage: guest-workload NAME on|off\n"));
            apsim_guest_set_workload(host, guest, flag);
        } else if (g_str_equal(cmd, "pqap") && argc == 4) {
            ApmApqn apqn;
            int rc;

            if (!apm_apqn_parse(argv[2], &apqn, NULL) || !on_off(argv[3], &flag))
                return g_strdup(_("usage: pqap NAME APQN on|off\n"));
            rc = apsim_guest_pqap_aqic(host, guest, apqn, flag);
            *ok = TRUE;
            return g_strdup_printf("rc=%02d\n", rc);
        } else {
            return g_strdup(_(usage));
        }
        *ok = TRUE;
        return g_strdup("");
    }
    if ((g_str_equal(cmd, "config-adapter") || g_str_equal(cmd, "config-domain") ||
         g_str_equal(cmd, "config-control-domain")) && argc == 3) {
        ApmMatrix qci;
        ApmMask *mask;

        if (!parse_uint(argv[1], 255, &id) || !on_off(argv[2], &flag))
            return g_strdup_printf(_("usage: %s ID on|off\n"), cmd);
        apsim_host_get_qci(host, &qci);
        mask = g_str_equal(cmd, "config-adapter") ? &qci.adapters :
               g_str_equal(cmd, "config-domain") ? &qci.domains : &qci.control_domains;
        if (flag)
            apm_mask_set(mask, id);
        else
            apm_mask_clear(mask, id);
        apsim_host_set_qci(host, &qci);
        *ok = TRUE;
        return g_strdup("");
    }
    if ((g_str_equal(cmd, "card-config") || g_str_equal(cmd, "card-chkstop")) && argc == 3) {
        if (!parse_uint(argv[1], 255, &id) || !on_off(argv[2], &flag))
            return g_strdup_printf(_("usage: %s ID 0|1\n"), cmd);
        if (!apsim_host_card(host, id))
            return g_strdup_printf(_("no card %02x\n"), id);
        if (g_str_equal(cmd, "card-config"))
            apsim_host_card_set_config(host, id, flag);
        else
            apsim_host_card_set_chkstop(host, id, flag);
        *ok = TRUE;
        return g_strdup("");
    }
    if (g_str_equal(cmd, "inject") && argc == 2 && g_str_equal(argv[1], "list")) {
        *ok = TRUE;
        return apsim_host_faults_text(host);
    }
    if (g_str_equal(cmd, "inject") && (argc == 2 || argc == 3) && g_str_equal(argv[1], "clear")) {
        guint n = apsim_host_clear_faults(host, argc == 3 ? argv[2] : NULL);

        *ok = TRUE;
        return g_strdup_printf(_("injections dropped: %u\n"), n);
    }
    if (g_str_equal(cmd, "inject") && argc == 4) {
        guint nth;
        int err = errno_from_name(argv[3]);

        if (!parse_uint(argv[2], G_MAXINT, &nth) || nth == 0 || err <= 0)
            return g_strdup(_("usage: inject ATTR NTH ERRNO\n"));
        apsim_host_inject_error(host, argv[1], nth, err);
        *ok = TRUE;
        return g_strdup("");
    }
    if (g_str_equal(cmd, "latency") && argc == 2) {
        if (!parse_uint(argv[1], 10 * 1000 * 1000, &id))
            return g_strdup(_("usage: latency USEC\n"));
        apsim_host_set_write_latency(host, id);
        *ok = TRUE;
        return g_strdup("");
    }
    return g_strdup_printf(_("unknown or incomplete command: %s\n%s"), line, _(usage));
}

/* ---- the socket -------------------------------------------------------------------------------------- */

typedef struct {
    ApsimControl *control;
    int fd;
} Connection;

static gpointer
serve_connection(gpointer data)
{
    Connection *c = data;
    g_autoptr(GString) line = g_string_new(NULL);
    char ch;

    while (read(c->fd, &ch, 1) == 1 && ch != '\n')
        g_string_append_c(line, ch);
    if (g_str_equal(g_strstrip(line->str), "events") && c->control->udev) {
        /* the connection becomes a stream of device events until the reader goes */
        if (write(c->fd, "ok\n", 3) == 3)
            apsim_udev_stream_events(c->control->udev, c->fd);
        close(c->fd);
    } else if (g_str_equal(line->str, "stop")) {
        if (write(c->fd, "ok\n", 3) < 0) {
            /* the requester went away; stop all the same */
        }
        close(c->fd);
        if (c->control->on_stop)
            c->control->on_stop(c->control->data);
    } else {
        gboolean ok;
        g_autofree char *reply = apsim_control_execute(c->control->host, c->control->qmp, line->str, &ok);
        g_autofree char *out = g_strdup_printf("%s\n%s", ok ? "ok" : "error", reply);
        gsize off = 0, len = strlen(out);

        while (off < len) {
            ssize_t n = write(c->fd, out + off, len - off);

            if (n <= 0)
                break;
            off += n;
        }
        close(c->fd);
    }
    pthread_mutex_lock(&c->control->mutex);
    if (--c->control->connections == 0)
        pthread_cond_broadcast(&c->control->idle);
    pthread_mutex_unlock(&c->control->mutex);
    g_free(c);
    return NULL;
}

static gpointer
accept_loop(gpointer data)
{
    ApsimControl *control = data;

    for (;;) {
        int fd = accept4(control->fd, NULL, NULL, SOCK_CLOEXEC);
        Connection *c;

        if (fd < 0) {
            if (errno == EINTR)
                continue;
            break; /* the socket was shut down */
        }
        c = g_new0(Connection, 1);
        c->control = control;
        c->fd = fd;
        pthread_mutex_lock(&control->mutex);
        control->connections++;
        pthread_mutex_unlock(&control->mutex);
        g_thread_unref(g_thread_new("apsim-control", serve_connection, c));
    }
    return NULL;
}

ApsimControl *
apsim_control_start(ApsimHost *host, ApsimQmp *qmp, ApsimUdev *udev, const char *socket_path,
                    void (*on_stop)(gpointer), gpointer data, GError **error)
{
    ApsimControl *control;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(socket_path) >= sizeof(addr.sun_path)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The control socket path %s is too long"), socket_path);
        return NULL;
    }
    g_strlcpy(addr.sun_path, socket_path, sizeof(addr.sun_path));
    unlink(socket_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    /* root's socket, whatever the umask: the control interface changes the whole simulated host */
    if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || chmod(socket_path, 0600) < 0 ||
        listen(fd, 64) < 0) {
        apm_set_errno_error(error, errno, _("Cannot listen on %s"), socket_path);
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    control = g_new0(ApsimControl, 1);
    control->host = host;
    control->qmp = qmp;
    control->udev = udev;
    control->path = g_strdup(socket_path);
    control->fd = fd;
    control->on_stop = on_stop;
    control->data = data;
    pthread_mutex_init(&control->mutex, NULL);
    pthread_cond_init(&control->idle, NULL);
    control->thread = g_thread_new("apsim-accept", accept_loop, control);
    return control;
}

void
apsim_control_free(ApsimControl *control)
{
    if (!control)
        return;
    shutdown(control->fd, SHUT_RDWR);
    g_thread_join(control->thread);
    pthread_mutex_lock(&control->mutex);
    while (control->connections > 0)
        pthread_cond_wait(&control->idle, &control->mutex);
    pthread_mutex_unlock(&control->mutex);
    pthread_cond_destroy(&control->idle);
    pthread_mutex_destroy(&control->mutex);
    close(control->fd);
    unlink(control->path);
    g_free(control->path);
    g_free(control);
}

/* A connection to apsim's control socket with the request line sent, or -1 with error */
static int
send_request(const char *socket_path, const char *line, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autofree char *request = g_strconcat(line, "\n", NULL);
    int fd;

    g_strlcpy(addr.sun_path, socket_path, sizeof(addr.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
        apm_set_errno_error(error, errno, _("Cannot reach apsim at %s (is it running?)"), socket_path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (write(fd, request, strlen(request)) != (ssize_t) strlen(request)) {
        apm_set_errno_error(error, errno, _("Cannot send the request to %s"), socket_path);
        close(fd);
        return -1;
    }
    return fd;
}

char *
apsim_control_request(const char *socket_path, const char *line, gboolean *ok, GError **error)
{
    g_autoptr(GString) reply = g_string_new(NULL);
    char buf[4096];
    ssize_t n;
    int fd;
    char *nl;

    if ((fd = send_request(socket_path, line, error)) < 0)
        return NULL;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        g_string_append_len(reply, buf, n);
    close(fd);
    nl = strchr(reply->str, '\n');
    if (!nl) {
        g_set_error(error, APM_ERROR, APM_ERROR_PEER, _("apsim closed the connection without a reply"));
        return NULL;
    }
    *nl = '\0';
    *ok = g_str_equal(reply->str, "ok");
    return g_strdup(nl + 1);
}

gboolean
apsim_control_stream(const char *socket_path, const char *line, int out_fd, GError **error)
{
    char buf[4096], header[3];
    gsize got = 0;
    ssize_t n;
    int fd;

    if ((fd = send_request(socket_path, line, error)) < 0)
        return FALSE;
    /* "ok\n", then the stream */
    while (got < sizeof(header) && (n = read(fd, header + got, sizeof(header) - got)) > 0)
        got += (gsize) n;
    if (got < sizeof(header) || memcmp(header, "ok\n", 3) != 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_PEER, _("apsim refused the request '%s'"), line);
        close(fd);
        return FALSE;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        if (write(out_fd, buf, (gsize) n) != n)
            break;
    close(fd);
    return TRUE;
}
