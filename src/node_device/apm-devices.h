/* apm-devices.h: the host's AP devices as libvirt's node-device driver shows them (names, parents, XML) */
#pragma once

#include <glib.h>

#include "apm-host.h"
#include "apm-nodedev.h"

typedef enum {
    APM_CAP_ANY = 0,
    APM_CAP_AP_CARD = 1 << 0,
    APM_CAP_AP_QUEUE = 1 << 1,
    APM_CAP_AP_MATRIX = 1 << 2,
    APM_CAP_MDEV = 1 << 3,
    APM_CAP_MDEV_TYPES = 1 << 4, /* devices that offer mdev types: the matrix */
} ApmCapFlags;

typedef enum {
    APM_LIST_ACTIVE,   /* virsh's default: devices that exist now */
    APM_LIST_INACTIVE, /* defined mdevs that are not active */
    APM_LIST_ALL,
} ApmListState;

/* Parses one --cap name (ap_card, ap_queue, ap_matrix, mdev, mdev_types); 0 when unknown. */
ApmCapFlags apm_cap_from_name(const char *name);

/* The devices, in libvirt's order of names (sorted), as ApmNodeDevDef. caps 0 means all. */
/* Reads what the devices of caps (0: all) show at detail (APM_HOST_READ_NAMES for a list, APM_HOST_READ_DRIVERS
 * for their XML) and nothing else: apm_host_read_nodedevs with the parts those kinds need. */
ApmHost *apm_devices_read_host(const char *root, ApmHostRead detail, ApmCapFlags caps, ApmProgress *progress,
                               GError **error);
GPtrArray *apm_devices_list(const ApmHost *host, ApmCapFlags caps, ApmListState state);
/* The same devices' names only (strings), sorted alike. */
GPtrArray *apm_devices_list_names(const ApmHost *host, ApmCapFlags caps, ApmListState state);

/* One device by libvirt name (ap_card05, ap_05_0047, ap_matrix, mdev_<uuid_>_matrix) or, for an mdev, by its
 * UUID. inactive: an mdev's persistent definition rather than its live state. APM_ERROR_NOT_FOUND naming it. */
ApmNodeDevDef *apm_devices_lookup(const ApmHost *host, const char *name, gboolean inactive, GError **error);

/* The UUID a name means: "mdev_<uuid_>_matrix" or a UUID in any case. FALSE when it means none. */
gboolean apm_devices_mdev_uuid(const char *name, ApmUuid *uuid);
