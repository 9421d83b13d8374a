/* apm-guests-libvirt.c: libvirt's guests through its public client API */
#include "config.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <gmodule.h>
#include <string.h>

#include "apm-error.h"
#include "apm-guests.h"
#include "apm-i18n.h"

/* libvirt is loaded when a libvirt back-end is opened, not at every start of apmatrix: its library and what it
 * pulls in cost more to load than most apmatrix commands take to run */
#define LIBVIRT_FUNCTIONS(X) \
    X(ConnectClose) \
    X(ConnectGetURI) \
    X(ConnectListAllDomains) \
    X(ConnectOpen) \
    X(DomainAttachDeviceFlags) \
    X(DomainDetachDeviceFlags) \
    X(DomainFree) \
    X(DomainGetName) \
    X(DomainGetXMLDesc) \
    X(DomainIsActive) \
    X(DomainIsPersistent) \
    X(DomainLookupByName) \
    X(GetLastError) \
    X(ResetLastError) \
    X(SetErrorFunc)

#define DECLARE(name) __typeof__(&vir##name) name;
static struct {
    LIBVIRT_FUNCTIONS(DECLARE)
} lv;
#undef DECLARE

static gboolean
load_libvirt(GError **error)
{
    static GModule *module;
    static char *why;

    if (module)
        return TRUE;
    if (why) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_UNSUPPORTED, why);
        return FALSE;
    }
    module = g_module_open("libvirt.so.0", G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
#define RESOLVE(name)                                                                                            \
    if (module && !g_module_symbol(module, "vir" #name, (gpointer *) &lv.name)) {                               \
        g_module_close(module);                                                                                  \
        module = NULL;                                                                                           \
    }
    LIBVIRT_FUNCTIONS(RESOLVE)
#undef RESOLVE
    if (module)
        return TRUE;
    why = g_strdup_printf(_("the libvirt client library (libvirt.so.0) cannot be loaded: %s"), g_module_error());
    g_set_error_literal(error, APM_ERROR, APM_ERROR_UNSUPPORTED, why);
    return FALSE;
}

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
    virErrorPtr err = lv.GetLastError();
    int code = APM_ERROR_PEER;

    if (err && (err->code == VIR_ERR_NO_DOMAIN || err->code == VIR_ERR_DEVICE_MISSING))
        code = APM_ERROR_NOT_FOUND;
    else if (err && err->code == VIR_ERR_NO_SUPPORT)
        code = APM_ERROR_UNSUPPORTED;
    else if (err && err->code == VIR_ERR_OPERATION_INVALID)
        code = APM_ERROR_CONFLICT;
    g_set_error(error, APM_ERROR, code, _("libvirt at %s: %s: %s"), uri, what,
                err && err->message ? err->message : _("unknown error"));
    lv.ResetLastError();
}

static ApmGuest *
guest_of(Libvirt *l, virDomainPtr dom, GError **error)
{
    g_autoptr(ApmGuest) g = apm_guest_new(lv.DomainGetName(dom));
    int active = lv.DomainIsActive(dom);
    int persistent = lv.DomainIsPersistent(dom);

    if (active < 0 || persistent < 0) {
        set_libvirt_error(error, _("cannot read a guest's state"), l->uri);
        return NULL;
    }
    g->running = active == 1;
    g->persistent = persistent == 1;
    if (g->running) {
        g_autofree char *xml = lv.DomainGetXMLDesc(dom, 0);

        if (!xml) {
            set_libvirt_error(error, _("cannot read a guest's XML"), l->uri);
            return NULL;
        }
        if (!apm_guest_hostdev_from_xml(xml, strlen(xml), &g->live, error))
            return NULL;
        if (g->live && !g->live->alias)
            g->live->alias = g_strdup("hostdev0");
    }
    if (g->persistent) {
        g_autofree char *xml = lv.DomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);

        if (!xml) {
            set_libvirt_error(error, _("cannot read a guest's XML"), l->uri);
            return NULL;
        }
        if (!apm_guest_hostdev_from_xml(xml, strlen(xml), &g->config, error))
            return NULL;
    }
    return g_steal_pointer(&g);
}

static GPtrArray *
lv_list(ApmGuests *guests, GError **error)
{
    Libvirt *l = guests->priv;
    virDomainPtr *doms = NULL;
    int n = lv.ConnectListAllDomains(l->conn, &doms, 0);
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
        lv.DomainFree(doms[i]);
    }
    free(doms);
    return ok ? g_steal_pointer(&list) : NULL;
}

static virDomainPtr
lookup(Libvirt *l, const char *name, GError **error)
{
    virDomainPtr dom = lv.DomainLookupByName(l->conn, name);

    if (!dom)
        set_libvirt_error(error, _("no such guest"), l->uri);
    return dom;
}

/* One guest by name: a lookup instead of a list of every domain */
static gboolean
lv_get(ApmGuests *guests, const char *name, ApmGuest **guest, GError **error)
{
    Libvirt *l = guests->priv;
    virDomainPtr dom = lv.DomainLookupByName(l->conn, name);

    *guest = NULL;
    if (!dom) {
        virErrorPtr err = lv.GetLastError();

        if (err && err->code == VIR_ERR_NO_DOMAIN)
            return TRUE;
        set_libvirt_error(error, _("cannot look the guest up"), l->uri);
        return FALSE;
    }
    *guest = guest_of(l, dom, error);
    lv.DomainFree(dom);
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
    ok = lv.DomainAttachDeviceFlags(dom, xml, affect(flags)) == 0;
    if (!ok)
        set_libvirt_error(error, _("cannot attach the vfio-ap hostdev"), l->uri);
    lv.DomainFree(dom);
    return ok;
}

/* libvirt waits for DEVICE_DELETED itself (a few seconds) and may return before it came; then the device goes
 * from the live XML once QEMU has let go */
static gboolean
lv_detach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags, guint timeout_ms,
          GError **error)
{
    Libvirt *l = guests->priv;
    virDomainPtr dom = lookup(l, name, error);
    ApmHostdev plain = { hostdev->uuid, NULL, 0 };
    g_autofree char *xml = apm_hostdev_format(&plain, 0);
    gint64 until = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
    gboolean ok;

    if (!dom)
        return FALSE;
    ok = lv.DomainDetachDeviceFlags(dom, xml, affect(flags)) == 0;
    if (!ok)
        set_libvirt_error(error, _("cannot detach the vfio-ap hostdev"), l->uri);
    while (ok && (flags & APM_GUEST_LIVE)) {
        g_autoptr(ApmGuest) g = guest_of(l, dom, error);

        if (!g) {
            ok = FALSE;
        } else if (!g->running || !g->live || !apm_uuid_equal(&g->live->uuid, &hostdev->uuid)) {
            break;
        } else if (g_get_monotonic_time() >= until) {
            g_set_error(error, APM_ERROR, APM_ERROR_TIMEOUT,
                        _("Guest %s did not release its vfio-ap device within %u ms (no DEVICE_DELETED): the device "
                          "is still attached"),
                        name, timeout_ms);
            ok = FALSE;
        } else {
            g_usleep(50 * 1000);
        }
    }
    lv.DomainFree(dom);
    return ok;
}

static void
lv_finalize(ApmGuests *guests)
{
    Libvirt *l = guests->priv;

    if (l->conn)
        lv.ConnectClose(l->conn);
    g_free(l->uri);
    g_free(l);
}

static const ApmGuestsOps libvirt_ops = { "libvirt", lv_list, lv_get, lv_attach, lv_detach, lv_finalize };

ApmGuests *
apm_guests_open_libvirt(const char *uri, GError **error)
{
    Libvirt *l;
    ApmGuests *guests;
    virConnectPtr conn;

    if (!load_libvirt(error))
        return NULL;
    lv.SetErrorFunc(NULL, quiet);
    conn = lv.ConnectOpen(uri);
    if (!conn) {
        set_libvirt_error(error, _("cannot connect"), uri ? uri : _("the default URI"));
        return NULL;
    }
    l = g_new0(Libvirt, 1);
    l->conn = conn;
    {
        char *actual = lv.ConnectGetURI(conn);

        l->uri = g_strdup(actual ? actual : (uri ? uri : ""));
        free(actual);
    }
    guests = g_new0(ApmGuests, 1);
    guests->ops = &libvirt_ops;
    guests->priv = l;
    guests->description = g_strdup_printf(_("guests of libvirt at %s"), l->uri);
    return guests;
}
