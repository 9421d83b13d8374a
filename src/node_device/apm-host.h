/* apm-host.h: one snapshot of the AP host, read from sysfs (under a root) and the definition store, each file
 * once */
#pragma once

#include <glib.h>

#include "apm-matrix.h"
#include "apm-progress.h"
#include "apm-sysfs.h"
#include "apm-store.h"
#include "apm-uuid.h"

typedef enum {
    APM_DRIVER_NONE,
    APM_DRIVER_ZCRYPT, /* cex4queue, cex4card: the host's default drivers */
    APM_DRIVER_VFIO_AP,
    APM_DRIVER_OTHER,
} ApmDriver;

typedef struct {
    guint id;
    guint hwtype;
    char *type;     /* "CEX8C" (zcrypt), or NULL */
    char *mode;     /* "cca", "ep11", "accel" from uevent MODE */
    gboolean config;
    gboolean online;
    gboolean chkstop;
    char *driver;   /* bound driver's name ("cex4card"), or NULL */
} ApmCardInfo;

typedef struct {
    ApmApqn apqn;
    ApmDriver driver;
    char *driver_name; /* "cex4queue", "vfio_ap", or NULL */
    gboolean online;  /* zcrypt queues */
    char *status;     /* vfio_ap queues: "in use", "assigned", "unassigned" */
} ApmQueueInfo;

typedef struct {
    ApmUuid uuid;
    ApmMatrix matrix;       /* matrix + control_domains */
    ApmMatrix guest_matrix; /* guest_matrix (adapters and domains only) */
    gboolean guest_matrix_read; /* FALSE in a snapshot for a planned change (APM_HOST_READ_ON_DEMAND) until a
                                 * refresh or apm_host_read_guest_matrices() reads it */
    gboolean has_ap_config;
    int iommu_group;        /* -1 when unknown */
    char *driver;           /* "vfio_ap_mdev", or NULL */
    char *guest;            /* the libvirt guest running with it (from libvirt's status files), or NULL */
} ApmMdevInfo;

/* How much of the cards and queues a snapshot reads (everything else it always reads) */
typedef enum {
    APM_HOST_READ_FULL,      /* every card and queue with its driver and the state the driver shows */
    APM_HOST_READ_DRIVERS,   /* every card and queue with its driver only (libvirt's node devices) */
    APM_HOST_READ_NAMES,     /* which cards and queues exist, nothing about them */
    APM_HOST_READ_ON_DEMAND, /* no cards; a queue is read (fully) when apm_host_queue() first asks for it */
} ApmHostRead;

typedef struct {
    char *root;
    ApmHostRead detail;
    ApmSysfsDirs *dirs;       /* the folders the snapshot reads from, kept open (also for queues read on demand) */
    gboolean ap_bus;          /* /sys/bus/ap exists */
    ApmMatrix qci;            /* ap_adapter_mask, ap_usage_domain_mask, ap_control_domain_mask */
    guint max_adapter_id;
    guint max_domain_id;
    char **bus_features;      /* "APSC APXA ..." */
    ApmMask apmask;
    ApmMask aqmask;
    gboolean mask_check_all_ones; /* 6.19+: a mask write checks new bits against every ID of the other mask */
    GPtrArray *cards;         /* ApmCardInfo, ascending */
    GPtrArray *queues;        /* ApmQueueInfo, ascending (empty in a snapshot read on demand) */
    ApmQueueInfo **queue_index; /* 256 x 256 entries, adapter << 8 | domain: NULL where no queue is; use
                                 * apm_host_queue() */
    GPtrArray *queues_on_demand; /* the queues read on demand so far, in no order */
    GArray *asked;            /* guint: the queue_index entries filled on demand, queue or none */
    gboolean matrix_present;  /* /sys/devices/vfio_ap/matrix */
    char **matrix_features;   /* "guest_matrix hotplug ap_config" */
    guint available_instances;
    GPtrArray *mdevs;         /* ApmMdevInfo, by UUID */
    GPtrArray *definitions;   /* ApmStoredDef */
    ApmMask persistent_apmask; /* the masks the host boots with: 41-ap.rules as chzdev writes it, else the live */
    ApmMask persistent_aqmask;
    char *persistent_masks_from; /* "/etc/udev/rules.d/41-ap.rules", or NULL when the live masks stand in */
    GPtrArray *problems;      /* what could not be read, in words */
    guint files_read;         /* sysfs files read for this snapshot */
} ApmHost;

/* Reads the host under root. Fails only when the root cannot be read at all; a host without the AP bus or
 * without vfio_ap is a snapshot saying so. */
ApmHost *apm_host_read(const char *root, GError **error);
/* The same, reporting card by card to progress (which may be NULL) */
ApmHost *apm_host_read_with_progress(const char *root, ApmProgress *progress, GError **error);
/* The same at the given detail. A request that looks at a few queues only (plan and carry out a start, an update,
 * a plug) reads them on demand: on a large host that is the difference between a few files and tens of
 * thousands. */
ApmHost *apm_host_read_detail(const char *root, ApmHostRead detail, ApmProgress *progress, GError **error);
/* Only what node devices show, at detail APM_HOST_READ_NAMES (a list of names) or APM_HOST_READ_DRIVERS (their
 * XML): the cards and queues (devices), how many more mdevs the matrix device allows (matrix, with drivers), and
 * the active mdevs with the definitions (mdevs); whether the matrix device exists is read for matrix or mdevs
 * (matrix_present stays FALSE otherwise). Nothing else
 * is: no bus attributes, masks, persistent masks or guests (their fields are empty), which on a small host are
 * most of the files a full snapshot reads. */
ApmHost *apm_host_read_nodedevs(const char *root, ApmHostRead detail, gboolean devices, gboolean matrix,
                                gboolean mdevs, ApmProgress *progress, GError **error);
/* Reads the active mdevs of a snapshot read on demand again, with the host configuration and the masks (and
 * forgets its queues, to be read again when asked for): what a change did, without the rest read again */
void apm_host_refresh_mdevs(ApmHost *host);
/* The same for one mdev only (dropped when it is gone), with the queues read on demand forgotten: what a change
 * of that mdev did, in a few files. */
void apm_host_refresh_mdev(ApmHost *host, const ApmUuid *uuid);
/* Reads what the guest of each mdev gets (guest_matrix) where a snapshot read on demand has not yet: a plan
 * needs the assignments only, a report of what the guests have needs these too */
void apm_host_read_guest_matrices(ApmHost *host);
/* Reads every card and queue of a snapshot read on demand, for code that walks them all (no-op otherwise) */
void apm_host_load_queues(ApmHost *host);
void apm_host_free(ApmHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmHost, apm_host_free)

gboolean apm_host_has_feature(const ApmHost *host, const char *feature);
/* The queue of apqn, or NULL when there is none; a snapshot read on demand reads it now (not thread-safe) */
const ApmQueueInfo *apm_host_queue(const ApmHost *host, ApmApqn apqn);
const ApmMdevInfo *apm_host_mdev(const ApmHost *host, const ApmUuid *uuid);
/* The persistent masks of a 41-ap.rules text (the ATTR{...apmask}= and ATTR{...aqmask}= assignments chzdev
 * writes), each value applied to what the mask holds (a relative one edits it); a mask the text does not set keeps
 * the value passed in. set (may be NULL) gets bit 0 for apmask and bit 1 for aqmask when the text sets them.
 * FALSE when a mask value is not in a form the kernel takes. */
gboolean apm_host_parse_udev_masks(const char *rules, ApmMask *apmask, ApmMask *aqmask, guint *set);
/* The stored definition of uuid, or NULL. */
const ApmStoredDef *apm_host_definition(const ApmHost *host, const ApmUuid *uuid);
/* TRUE when the kernel shows mdev attached to a guest: one of its queues has the status "in use". */
gboolean apm_host_mdev_in_use(const ApmHost *host, const ApmMdevInfo *mdev);
/* Records that guest (from a guest back-end) uses the active mdev uuid; FALSE when no such mdev is active. */
gboolean apm_host_set_guest(ApmHost *host, const ApmUuid *uuid, const char *guest);
/* One active mdev read on its own (its matrix, guest matrix, control domains, driver, IOMMU group; no guest), or
 * NULL when it is not active: reading back what a write did costs a few files, not a snapshot. */
ApmMdevInfo *apm_host_read_mdev(const char *root, const ApmUuid *uuid);
void apm_mdev_info_free(ApmMdevInfo *mdev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmMdevInfo, apm_mdev_info_free)
/* The mdev whose matrix holds the APQN, or NULL. */
const ApmMdevInfo *apm_host_mdev_for_apqn(const ApmHost *host, ApmApqn apqn);
