/* apm-hotplug.h: vfio-ap mdevs into and out of guests (attach, detach), adapters and domains into and out of a
 * running guest's mdev (plug, unplug), each step checked by the node-device planner and carried out in the
 * lock-safe order: host config lock -> guests lock -> guest job -> mdev state lock (DESIGN.md). */
#pragma once

#include <glib.h>

#include "apm-exec.h"
#include "apm-guests.h"
#include "apm-matrix.h"

typedef struct {
    const char *root;
    ApmGuests *guests;          /* the back-end; NULL for the hook, which is told the guest */
    ApmExecOptions exec;        /* the host config lock's timeout */
    guint job_timeout_ms;       /* how long to wait for a guest that another apmatrix works on */
    guint unplug_timeout_ms;    /* how long a guest may take to send DEVICE_DELETED (libvirt waits 5 s) */
} ApmHotplug;

void apm_hotplug_init(ApmHotplug *hp, const char *root, ApmGuests *guests);

/* What a request did, for the report. */
typedef struct {
    char *guest;
    gboolean running;           /* the guest runs (list) */
    char *problem;              /* why the guest could not be asked (list: its monitor does not answer), or NULL */
    ApmUuid uuid;
    gboolean has_mdev;          /* uuid names the guest's mdev */
    gboolean started_on_demand; /* the mdev was started from its definition for this guest */
    gboolean stopped;           /* an mdev started on demand was stopped again */
    ApmMatrix matrix;           /* the mdev's matrix afterwards */
    ApmMatrix guest_matrix;     /* what the guest really has (the kernel's guest_matrix) */
    ApmMask host_adapters;      /* adapters and domains taken from the host's default drivers (--take-from-host) */
    ApmMask host_domains;
    GPtrArray *filtered;        /* for each adapter or domain of the matrix the guest lacks: why */
    GPtrArray *warnings;
    GPtrArray *differences;     /* where the kernel's state after differs from what was planned */
} ApmGuestReport;

ApmGuestReport *apm_guest_report_new(void);
void apm_guest_report_free(ApmGuestReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmGuestReport, apm_guest_report_free)

/* flags 0: the running guest when it runs, else its definition (virsh's --current). */
gboolean apm_hotplug_attach(ApmHotplug *hp, const char *guest, const ApmHostdev *hostdev, ApmGuestFlags flags,
                            ApmGuestReport *report, GError **error);
/* hostdev NULL: the guest's vfio-ap device, whichever it is. */
gboolean apm_hotplug_detach(ApmHotplug *hp, const char *guest, const ApmHostdev *hostdev, ApmGuestFlags flags,
                            ApmGuestReport *report, GError **error);

typedef enum {
    APM_PLUG_TAKE_FROM_HOST = 1 << 0, /* free APQNs from apmask/aqmask first (never from another mdev) */
    APM_PLUG_CONFIG = 1 << 1,         /* the mdev's definition gets the same change */
    APM_PLUG_LIVE = 1 << 2,           /* the running guest's mdev changes (also when neither flag is given) */
} ApmPlugFlags;

/* Adds (unplug FALSE) or takes away the adapters, domains and control domains of change to or from the guest's mdev,
 * as virsh takes --live and --config: APM_PLUG_LIVE the running guest's mdev, APM_PLUG_CONFIG its definition (the
 * same IDs, so that what was plugged live only stays live only), both both; neither, the running guest. */
gboolean apm_hotplug_plug(ApmHotplug *hp, const char *guest, const ApmMatrix *change, gboolean unplug,
                          ApmPlugFlags flags, ApmGuestReport *report, GError **error);

/* Every guest with its mdev and what it really has: ApmGuestReport, by guest name. */
GPtrArray *apm_hotplug_list(ApmHotplug *hp, GError **error);

/* nodedev-destroy with the back-end's knowledge of guests: refused while a guest uses the mdev, naming it; with
 * force the mdev is detached from that guest first. */
gboolean apm_hotplug_destroy(ApmHotplug *hp, const char *name, gboolean force, ApmGuestReport *report,
                             GError **error);
/* The back-end's map added to a host snapshot (for ApmExecOptions.annotate; data is the ApmHotplug). */
gboolean apm_hotplug_annotate(ApmHost *host, gpointer data, GError **error);

/* The libvirt hook's two moments, for the guest named in its domain XML: before QEMU starts, each vfio-ap
 * hostdev's mdev is started from its definition when it is not active (remembered as started on demand) and
 * checked; after QEMU has gone, mdevs started on demand for the guest are stopped. */
gboolean apm_hotplug_prepare(ApmHotplug *hp, const char *guest, GPtrArray *hostdevs, ApmGuestReport *report,
                             GError **error);
gboolean apm_hotplug_release(ApmHotplug *hp, const char *guest, GPtrArray *hostdevs, ApmGuestReport *report,
                             GError **error);
