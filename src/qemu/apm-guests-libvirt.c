/* apm-guests-libvirt.c: libvirt's guests through its public client API */
#include "config.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <string.h>

#include "apm-error.h"
#include "apm-guests.h"
#include "apm-i18n.h"

typedef struct {
    virConnectPtr conn;
    char *uri;
} Libvirt;

/* libvirt reports through its last error; nothing is printed on stderr behind our back */
static void
quiet(void *data, virErrorPtr err)
{
    (void) data;
    (void) err;
}

static void
set_libvirt_error(GError **error, const char *what, const char *uri)
{
    virErrorPtr err = virGetLastError();
    int code = APM_ERROR_PEER;

    if (err && (err->code == VIR_ERR_NO_DOMAIN || err->code == VIR_ERR_DEVICE_MISSING))
        code = APM_ERROR_NOT_FOUND;
    else if (err && err->code == VIR_ERR_NO_SUPPORT)
        code = APM_ERROR_UNSUPPORTED;
    else if (err && err->code == VIR_ERR_OPERATION_INVALID)
        code = APM_ERROR_CONFLICT;
    g_set_error(error, APM_ERROR, code, _("libvirt at %s: %s: %s"), uri, what,
                err && err->message ? err->message : _("unknown error"));
    virResetLastError();
}

static ApmGuest *
guest_of(Libvirt *l, virDomainPtr dom, GError **error)
{
    g_autoptr(ApmGuest) g = apm_guest_new(virDomainGetName(dom));
    int active = virDomainIsActive(dom);
    int persistent = virDomainIsPersistent(dom);

    if (active < 0 || persistent < 0) {
        set_libvirt_error(error, _("cannot read a guest's state"), l->uri);
        return NULL;
    }
    g->running = active == 1;
    g->persistent = persistent == 1;
    if (g->running) {
        g_autofree char *xml = virDomainGetXMLDesc(dom, 0);

        if (!xml) {
            set_libvirt_error(error, _("cannot read a guest's XML"), l->uri);
            return NULL;
        }
        if (!apm_guest_hostdev_from_xml(xml, strlen(xml), NULL, &g->live, error))
            return NULL;
        if (g->live && !g->live->alias)
            g->live->alias = g_strdup("hostdev0");
    }
    if (g->persistent) {
        g_autofree char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);

        if (!xml) {
            set_libvirt_error(error, _("cannot read a guest's XML"), l->uri);
            return NULL;
        }
        if (!apm_guest_hostdev_from_xml(xml, strlen(xml), NULL, &g->config, error))
            return NULL;
    }
    return g_steal_pointer(&g);
}

static GPtrArray *
lv_list(ApmGuests *guests, GError **error)
{
    Libvirt *l = guests->priv;
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(l->conn, &doms, 0);
    g_autoptr(GPtrArray) list = NULL;
    gboolean ok = TRUE;

    if (n < 0) {
        set_libvirt_error(error, _("cannot list the guests"), l->uri);
        return NULL;
    }
    list = g_ptr_array_new_with_free_func((GDestroyNotify) apm_guest_free);
    for (int i = 0; i < n; i++) {
        if (ok) {
            ApmGuest *g = guest_of(l, doms[i], error);

            if (g)
                g_ptr_array_add(list, g);
            else
                ok = FALSE;
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    return ok ? g_steal_pointer(&list) : NULL;
}

static virDomainPtr
lookup(Libvirt *l, const char *name, GError **error)
{
    virDomainPtr dom = virDomainLookupByName(l->conn, name);

    if (!dom)
        set_libvirt_error(error, _("no such guest"), l->uri);
    return dom;
}

/* One guest by name: a lookup instead of a list of every domain */
static gboolean
lv_get(ApmGuests *guests, const char *name, ApmGuest **guest, GError **error)
{
    Libvirt *l = guests->priv;
    virDomainPtr dom = virDomainLookupByName(l->conn, name);

    *guest = NULL;
    if (!dom) {
        virErrorPtr err = virGetLastError();

        if (err && err->code == VIR_ERR_NO_DOMAIN)
            return TRUE;
        set_libvirt_error(error, _("cannot look the guest up"), l->uri);
        return FALSE;
    }
    *guest = guest_of(l, dom, error);
    virDomainFree(dom);
    return *guest != NULL;
}

static unsigned int
affect(ApmGuestFlags flags)
{
    return ((flags & APM_GUEST_LIVE) ? VIR_DOMAIN_AFFECT_LIVE : 0) |
           ((flags & APM_GUEST_CONFIG) ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

static gboolean
lv_attach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags, GError **error)
{
    Libvirt *l = guests->priv;
    virDomainPtr dom = lookup(l, name, error);
    g_autofree char *xml = apm_hostdev_format(hostdev, 0);
    gboolean ok;

    if (!dom)
        return FALSE;
    ok = virDomainAttachDeviceFlags(dom, xml, affect(flags)) == 0;
    if (!ok)
        set_libvirt_error(error, _("cannot attach the vfio-ap hostdev"), l->uri);
    virDomainFree(dom);
    return ok;
}

/* ---- waiting for a device to leave a guest: libvirt's events ---------------------------------------------- */

typedef struct {
    const char *alias; /* the device's alias in the guest */
    gboolean removed;  /* libvirt dropped it (DEVICE_DELETED from QEMU) */
    gboolean stopped;  /* the guest stopped, which takes every device with it */
    gboolean timed_out;
} RemovalWait;

static void
on_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias, void *opaque)
{
    RemovalWait *w = opaque;

    (void) conn;
    (void) dom;
    if (alias && w->alias && g_str_equal(alias, w->alias))
        w->removed = TRUE;
}

static void
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
    RemovalWait *w = opaque;

    (void) conn;
    (void) dom;
    (void) detail;
    if (event == VIR_DOMAIN_EVENT_STOPPED)
        w->stopped = TRUE;
}

static void
on_wait_timeout(int timer, void *opaque)
{
    RemovalWait *w = opaque;

    (void) timer;
    w->timed_out = TRUE;
}

/* libvirt passes on QEMU's refusal of a second device_del while the guest has not acknowledged the first (QEMU
 * 6.0 and later say "Device ID is already in the process of unplug") */
static gboolean
unplug_pending(void)
{
    virErrorPtr err = virGetLastError();

    return err && err->message && strstr(err->message, "is already in the process of unplug");
}

/* Whether the running guest still has the vfio-ap device of uuid: libvirt's live XML */
static gboolean
still_attached(Libvirt *l, virDomainPtr dom, const ApmUuid *uuid, gboolean *attached, GError **error)
{
    g_autoptr(ApmGuest) g = guest_of(l, dom, error);

    if (!g)
        return FALSE;
    *attached = g->running && g->live && apm_uuid_equal(&g->live->uuid, uuid);
    return TRUE;
}

/* libvirt sends device_del and waits a few seconds for QEMU's DEVICE_DELETED itself; a guest that takes longer
 * keeps the device in its live XML until libvirt hears the event, which it passes on as DEVICE_REMOVED. The wait
 * runs libvirt's event loop until that event, the guest stopping, or timeout_ms from the start. */
static gboolean
lv_detach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags, guint timeout_ms,
          GError **error)
{
    Libvirt *l = guests->priv;
    virDomainPtr dom = lookup(l, name, error);
    ApmHostdev plain = { hostdev->uuid, NULL, 0 };
    g_autofree char *xml = apm_hostdev_format(&plain, 0);
    gint64 until = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    RemovalWait wait = { hostdev->alias ? hostdev->alias : "hostdev0", FALSE, FALSE, FALSE };
    int removed_cb = -1, lifecycle_cb = -1;
    gboolean ok, attached = TRUE;

    if (!dom)
        return FALSE;
    if (flags & APM_GUEST_LIVE) {
        removed_cb = virConnectDomainEventRegisterAny(l->conn, dom, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                                      VIR_DOMAIN_EVENT_CALLBACK(on_device_removed), &wait, NULL);
        lifecycle_cb = virConnectDomainEventRegisterAny(l->conn, dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &wait, NULL);
    }
    ok = virDomainDetachDeviceFlags(dom, xml, affect(flags)) == 0;
    if (!ok && (flags == APM_GUEST_LIVE) && unplug_pending()) {
        /* an earlier device_del is still waiting for the guest: the same wait, not a failure */
        virResetLastError();
        ok = TRUE;
    } else if (!ok) {
        set_libvirt_error(error, _("cannot detach the vfio-ap hostdev"), l->uri);
    }
    if (ok && (flags & APM_GUEST_LIVE)) {
        ok = still_attached(l, dom, &hostdev->uuid, &attached, error);
        while (ok && attached && !wait.removed && !wait.stopped && !wait.timed_out) {
            gint64 left_ms = (until - g_get_monotonic_time()) / 1000;
            int timer;

            if (left_ms <= 0)
                break;
            if (removed_cb < 0) {
                /* a driver without the event: its live XML, now and then */
                g_usleep(MIN(left_ms, 50) * 1000);
                ok = still_attached(l, dom, &hostdev->uuid, &attached, error);
                continue;
            }
            timer = virEventAddTimeout((int) MIN(left_ms, G_MAXINT), on_wait_timeout, &wait, NULL);
            if (timer < 0 || virEventRunDefaultImpl() < 0) {
                if (timer >= 0)
                    virEventRemoveTimeout(timer);
                break;
            }
            virEventRemoveTimeout(timer);
        }
        /* what the events said, checked against the live XML */
        if (ok)
            ok = still_attached(l, dom, &hostdev->uuid, &attached, error);
        if (ok && attached) {
            g_set_error(error, APM_ERROR, APM_ERROR_TIMEOUT,
                        _("Guest %s did not release its vfio-ap device within %u ms (no DEVICE_DELETED): the device "
                          "is still attached"),
                        name, timeout_ms);
            ok = FALSE;
        }
    }
    if (removed_cb >= 0)
        virConnectDomainEventDeregisterAny(l->conn, removed_cb);
    if (lifecycle_cb >= 0)
        virConnectDomainEventDeregisterAny(l->conn, lifecycle_cb);
    virDomainFree(dom);
    return ok;
}

static void
lv_finalize(ApmGuests *guests)
{
    Libvirt *l = guests->priv;

    if (l->conn)
        virConnectClose(l->conn);
    g_free(l->uri);
    g_free(l);
}

/* libvirt answers from its own records of the domains, never waiting for a QEMU */
static const ApmGuestsOps libvirt_ops = { "libvirt", FALSE, lv_list, lv_get, lv_attach, lv_detach, lv_finalize };

ApmGuests *
apm_guests_open_libvirt(const char *uri, GError **error)
{
    Libvirt *l;
    ApmGuests *guests;
    virConnectPtr conn;

    virSetErrorFunc(NULL, quiet);
    /* events reach a connection only when an event loop was registered before it was opened */
    {
        static gsize registered = 0;

        if (g_once_init_enter(&registered))
            g_once_init_leave(&registered, virEventRegisterDefaultImpl() == 0 ? 1 : 2);
    }
    conn = virConnectOpen(uri);
    if (!conn) {
        set_libvirt_error(error, _("cannot connect"), uri ? uri : _("the default URI"));
        return NULL;
    }
    l = g_new0(Libvirt, 1);
    l->conn = conn;
    {
        char *actual = virConnectGetURI(conn);

        l->uri = g_strdup(actual ? actual : (uri ? uri : ""));
        free(actual);
    }
    guests = g_new0(ApmGuests, 1);
    guests->ops = &libvirt_ops;
    guests->priv = l;
    guests->description = g_strdup_printf(_("guests of libvirt at %s"), l->uri);
    return guests;
}
