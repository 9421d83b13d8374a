/* apsim-sysfs.h: the simulated /sys tree: paths resolved to directories, attributes and links */
#pragma once

#include <glib.h>

#include "apsim-attrs.h"

typedef enum {
    APSIM_NODE_DIR,
    APSIM_NODE_ATTR,
    APSIM_NODE_LINK,
} ApsimNodeType;

typedef enum {
    APSIM_DIR_ROOT,
    APSIM_DIR_BUS,
    APSIM_DIR_BUS_AP,
    APSIM_DIR_BUS_AP_DEVICES,
    APSIM_DIR_BUS_AP_DRIVERS,
    APSIM_DIR_BUS_AP_DRIVER,   /* drv: 0 cex4card, 1 cex4queue, 2 vfio_ap */
    APSIM_DIR_BUS_MDEV,
    APSIM_DIR_BUS_MDEV_DEVICES,
    APSIM_DIR_BUS_MDEV_DRIVERS,
    APSIM_DIR_BUS_MDEV_DRIVER,
    APSIM_DIR_BUS_MATRIX,
    APSIM_DIR_BUS_MATRIX_DEVICES,
    APSIM_DIR_BUS_MATRIX_DRIVERS,
    APSIM_DIR_BUS_MATRIX_DRIVER,
    APSIM_DIR_DEVICES,
    APSIM_DIR_AP_ROOT,
    APSIM_DIR_CARD,
    APSIM_DIR_QUEUE,
    APSIM_DIR_VFIO_AP,
    APSIM_DIR_MATRIX,
    APSIM_DIR_MDEV_TYPES,
    APSIM_DIR_MDEV_TYPE,
    APSIM_DIR_MDEV_TYPE_DEVICES,
    APSIM_DIR_MDEV,
    APSIM_DIR_CLASS,
    APSIM_DIR_CLASS_MDEV_BUS,
    APSIM_DIR_KERNEL,
    APSIM_DIR_IOMMU_GROUPS,
    APSIM_DIR_IOMMU_GROUP,
    APSIM_DIR_IOMMU_GROUP_DEVICES,
    APSIM_DIR_SYSTEM, /* /sys/devices/system */
    APSIM_DIR_CPUS,   /* /sys/devices/system/cpu */
} ApsimDirKind;

typedef struct {
    ApsimNodeType type;
    ApsimDirKind dir;      /* APSIM_NODE_DIR, and the directory an attribute lives in */
    ApsimObject obj;       /* holds a reference to obj.mdev when set */
    guint drv;             /* APSIM_DIR_BUS_AP_DRIVER */
    guint iommu_group;     /* APSIM_DIR_IOMMU_GROUP* */
    const ApsimAttr *attr; /* APSIM_NODE_ATTR */
    char *target;          /* APSIM_NODE_LINK */
} ApsimNode;

typedef struct {
    char *name;
    ApsimNodeType type;
} ApsimDirEntry;

/* path is relative to the mount point and starts with '/'. FALSE when nothing is there (ENOENT). */
gboolean apsim_sysfs_resolve(ApsimHost *host, const char *path, ApsimNode *node);
void apsim_sysfs_node_clear(ApsimNode *node);

/* The entries of a directory node, in a stable order. */
GArray *apsim_sysfs_list(ApsimHost *host, const ApsimNode *dir);
void apsim_sysfs_entries_free(GArray *entries);

/* Reads an attribute: 0 or -errno (EACCES for a write-only attribute). */
int apsim_sysfs_read(ApsimHost *host, const ApsimNode *node, GString *out);
/* Writes an attribute as one write() of len bytes: 0 or -errno (EACCES for a read-only attribute, E2BIG over
 * a page, an injected fault). */
int apsim_sysfs_write(ApsimHost *host, const ApsimNode *node, const char *buf, gsize len);
