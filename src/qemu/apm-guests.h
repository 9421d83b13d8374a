/* apm-guests.h: the guests of a host behind one interface, whatever runs them: QEMUs whose QMP sockets lie in a
 * folder (apsim's guests, or QEMU without libvirt), or libvirt through its client API. The back-end is where
 * the map from mdev to guest comes from. */
#pragma once

#include <glib.h>

#include "apm-hostdev.h"

typedef struct {
    char *name;
    gboolean running;
    gboolean persistent; /* it has a definition: libvirt's, or a config file beside the QMP socket */
    ApmHostdev *live;    /* the vfio-ap device the running guest has, with its device id as alias; or NULL */
    ApmHostdev *config;  /* the vfio-ap hostdev of its definition, or NULL */
    char *problem;       /* why the guest could not be asked (its monitor does not answer, ...), or NULL; such a
                          * guest is listed as running with its device unknown (live NULL) */
} ApmGuest;

void apm_guest_free(ApmGuest *guest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmGuest, apm_guest_free)

typedef enum {
    APM_GUEST_LIVE = 1 << 0,   /* the running guest (QEMU's device_add/device_del) */
    APM_GUEST_CONFIG = 1 << 1, /* the guest's definition */
} ApmGuestFlags;

typedef struct ApmGuests ApmGuests;

/* QEMUs with their monitors at DIR/NAME.sock; a guest's definition is DIR/NAME.xml (domain XML, as libvirt
 * writes it). A socket nobody listens on is a guest that is not running. timeout_ms bounds each monitor
 * exchange. */
ApmGuests *apm_guests_open_qmp(const char *dir, guint timeout_ms, GError **error);
/* libvirt's guests at uri (NULL: libvirt's default connection). */
ApmGuests *apm_guests_open_libvirt(const char *uri, GError **error);
void apm_guests_free(ApmGuests *guests);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmGuests, apm_guests_free)

/* Whether listing asks every guest's QEMU (see ApmGuestsOps.list_asks_guests) */
gboolean apm_guests_list_asks_guests(const ApmGuests *guests);

/* Words for the back-end: "QEMU monitors in DIR", "libvirt at URI". */
const char *apm_guests_describe(const ApmGuests *guests);

/* Every guest, by name. The guests are asked at once, each within the back-end's timeout: one that does not
 * answer in time (or answers nonsense) is listed with its problem, so that it cannot hold up or fail a request
 * that does not concern it. FALSE only when the back-end itself cannot be read. */
GPtrArray *apm_guests_list(ApmGuests *guests, GError **error);
/* The guest called name (*guest NULL when no guest has that name), asking only it where the back-end can: a
 * change to one guest need not wait for the monitors of all the others. FALSE with error set when the
 * back-end cannot answer. */
gboolean apm_guests_get(ApmGuests *guests, const char *name, ApmGuest **guest, GError **error);
/* The running guest whose vfio-ap device is the mdev uuid, in a list from apm_guests_list, or NULL. */
const ApmGuest *apm_guests_holder(GPtrArray *list, const ApmUuid *uuid);

/* Adds the vfio-ap device to the running guest (APM_GUEST_LIVE) and/or to its definition (APM_GUEST_CONFIG). */
gboolean apm_guests_attach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags,
                           GError **error);
/* Takes it away again; live, this waits up to timeout_ms for QEMU's DEVICE_DELETED (APM_ERROR_TIMEOUT when it
 * does not come: the device is then still attached). hostdev->alias names the device id in the guest. */
gboolean apm_guests_detach(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags,
                           guint timeout_ms, GError **error);

/* A guest name fit for the back-ends and for a lock file name: not empty, no '/', no leading '.', no control
 * characters, at most 200 bytes of UTF-8. */
gboolean apm_guest_name_check(const char *name, GError **error);

/* ---- for the back-ends ---- */
typedef struct {
    const char *kind;
    /* listing asks each guest's QEMU (which may be slow, or hung), rather than a record such as libvirt's: a request
     * that does not concern other guests learns who holds an mdev from the host instead, and asks them only to name
     * one */
    gboolean list_asks_guests;
    GPtrArray *(*list)(ApmGuests *guests, GError **error);
    /* one guest, or NULL in *guest when there is none; NULL here: taken from list */
    gboolean (*get)(ApmGuests *guests, const char *name, ApmGuest **guest, GError **error);
    gboolean (*attach)(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags,
                       GError **error);
    gboolean (*detach)(ApmGuests *guests, const char *name, const ApmHostdev *hostdev, ApmGuestFlags flags,
                       guint timeout_ms, GError **error);
    void (*finalize)(ApmGuests *guests);
} ApmGuestsOps;

struct ApmGuests {
    const ApmGuestsOps *ops;
    char *description;
    gpointer priv;
};

ApmGuest *apm_guest_new(const char *name);
/* The vfio-ap hostdev of a domain XML text (definition or live), or NULL; FALSE when the text is not domain
 * XML. */
gboolean apm_guest_hostdev_from_xml(const char *xml, gsize length, const char *source, ApmHostdev **hostdev,
                                    GError **error);
