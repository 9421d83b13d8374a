/* apsim-attrs.h: sysfs attributes of the simulated devices, with the kernel's show/store semantics */
#pragma once

#include <glib.h>

#include "apsim-host.h"

typedef enum {
    APSIM_OBJ_BUS,        /* /sys/bus/ap */
    APSIM_OBJ_CARD,       /* /sys/devices/ap/cardXX */
    APSIM_OBJ_QUEUE,      /* /sys/devices/ap/cardXX/XX.YYYY */
    APSIM_OBJ_AP_DRIVER,  /* /sys/bus/ap/drivers/NAME */
    APSIM_OBJ_MATRIX,     /* /sys/devices/vfio_ap/matrix */
    APSIM_OBJ_MDEV_TYPE,  /* .../mdev_supported_types/vfio_ap-passthrough */
    APSIM_OBJ_MDEV,       /* .../matrix/<uuid> */
    APSIM_OBJ_AP_ROOT,    /* /sys/devices/ap */
    APSIM_OBJ_CPUS,       /* /sys/devices/system/cpu */
} ApsimObjectKind;

typedef struct {
    ApsimObjectKind kind;
    guint adapter;
    guint domain;
    ApsimDriver driver; /* APSIM_OBJ_AP_DRIVER */
    ApsimMdev *mdev;    /* APSIM_OBJ_MDEV: a reference held by the caller */
} ApsimObject;

typedef struct {
    const char *name;
    guint mode; /* 0444, 0644, 0200 */
    /* Appends the attribute's content; returns 0 or -errno. */
    int (*show)(ApsimHost *host, const ApsimObject *obj, GString *out);
    /* buf is NUL-terminated at the first NUL or at len; returns 0 (all of len consumed) or -errno. */
    int (*store)(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len);
    /* NULL: always there. */
    gboolean (*visible)(ApsimHost *host, const ApsimObject *obj);
} ApsimAttr;

/* Defines func(guint *n), returning a static attribute table and its length. */
#define APSIM_DEFINE_ATTR_TABLE(func, table)                                                               \
    const ApsimAttr *func(guint *n)                                                                      \
    {                                                                                                    \
        *n = G_N_ELEMENTS(table);                                                                        \
        return table;                                                                                    \
    }

const ApsimAttr *apsim_bus_attrs(guint *n);
const ApsimAttr *apsim_card_attrs(guint *n);
const ApsimAttr *apsim_queue_attrs(guint *n);
const ApsimAttr *apsim_ap_driver_attrs(guint *n);
const ApsimAttr *apsim_matrix_attrs(guint *n);
const ApsimAttr *apsim_mdev_type_attrs(guint *n);
const ApsimAttr *apsim_mdev_attrs(guint *n);
const ApsimAttr *apsim_cpu_attrs(guint *n);

/* The attribute table for an object kind. */
const ApsimAttr *apsim_attrs_for(ApsimObjectKind kind, guint *n);
/* The named attribute of an object, if it exists and is visible. */
const ApsimAttr *apsim_attr_find(ApsimHost *host, const ApsimObject *obj, const char *name);

/* Driver names as the AP bus knows them. */
const char *apsim_driver_name(ApsimDriver driver);
