/* apm-host.h: one snapshot of the AP host, read from sysfs (under a root) and the definition store, each file
 * once */
#pragma once

#include <glib.h>

#include "apm-matrix.h"
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
} ApmCardInfo;

typedef struct {
    ApmApqn apqn;
    ApmDriver driver;
    gboolean online;  /* zcrypt queues */
    char *status;     /* vfio_ap queues: "in use", "assigned", "unassigned" */
} ApmQueueInfo;

typedef struct {
    ApmUuid uuid;
    ApmMatrix matrix;       /* matrix + control_domains */
    ApmMatrix guest_matrix; /* guest_matrix (adapters and domains only) */
    gboolean has_ap_config;
    int iommu_group;        /* -1 when unknown */
} ApmMdevInfo;

typedef struct {
    char *root;
    gboolean ap_bus;          /* /sys/bus/ap exists */
    ApmMatrix qci;            /* ap_adapter_mask, ap_usage_domain_mask, ap_control_domain_mask */
    guint max_adapter_id;
    guint max_domain_id;
    char **bus_features;      /* "APSC APXA ..." */
    ApmMask apmask;
    ApmMask aqmask;
    GPtrArray *cards;         /* ApmCardInfo, ascending */
    GPtrArray *queues;        /* ApmQueueInfo, ascending */
    ApmQueueInfo **queue_index; /* 256 x 256 entries, adapter << 8 | domain: NULL where no queue is */
    gboolean matrix_present;  /* /sys/devices/vfio_ap/matrix */
    char **matrix_features;   /* "guest_matrix hotplug ap_config" */
    guint available_instances;
    GPtrArray *mdevs;         /* ApmMdevInfo, by UUID */
    GPtrArray *definitions;   /* ApmStoredDef */
    GPtrArray *problems;      /* what could not be read, in words */
    guint files_read;         /* sysfs files read for this snapshot */
} ApmHost;

/* Reads the host under root. Fails only when the root cannot be read at all; a host without the AP bus or
 * without vfio_ap is a snapshot saying so. */
ApmHost *apm_host_read(const char *root, GError **error);
void apm_host_free(ApmHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmHost, apm_host_free)

gboolean apm_host_has_feature(const ApmHost *host, const char *feature);
const ApmQueueInfo *apm_host_queue(const ApmHost *host, ApmApqn apqn);
const ApmMdevInfo *apm_host_mdev(const ApmHost *host, const ApmUuid *uuid);
/* The mdev whose matrix holds the APQN, or NULL. */
const ApmMdevInfo *apm_host_mdev_for_apqn(const ApmHost *host, ApmApqn apqn);
