/* apm-map.h: who has each APQN of the host: the model behind `apmatrix matrix` (text, JSON and SVG forms) */
#pragma once

#include <glib.h>

#include "apm-host.h"

typedef enum {
    APM_CELL_NONE,             /* no queue, and no mdev has the APQN */
    APM_CELL_HOST,             /* bound to the host's default driver, online */
    APM_CELL_HOST_OFFLINE,     /* bound to the host's default driver, offline */
    APM_CELL_UNBOUND,          /* a queue that no driver (or a foreign one) holds */
    APM_CELL_FREE,             /* bound to vfio_ap, assigned to no mdev */
    APM_CELL_ASSIGNED,         /* assigned to an mdev no guest holds; a guest would get it */
    APM_CELL_IN_USE,           /* in the running guest's crypto configuration */
    APM_CELL_FILTERED,         /* assigned, but the kernel keeps it from the guest */
    APM_CELL_OVERPROVISIONED,  /* assigned, its adapter or domain is not in the host configuration */
} ApmCellState;

typedef enum {
    APM_WHY_NONE,
    APM_WHY_NOT_BOUND,        /* the queue itself is missing or not bound to vfio_ap */
    APM_WHY_ADAPTER_DROPPED,  /* another queue of the adapter is not bound: the whole adapter goes */
    APM_WHY_NOT_CONFIGURED,   /* over-provisioned: the adapter or domain is not in the host configuration */
    APM_WHY_PENDING,          /* the kernel has not passed it yet (a reset or scan still running) */
} ApmFilterWhy;

typedef struct {
    guint8 state;   /* ApmCellState */
    guint8 why;     /* ApmFilterWhy */
    guint8 culprit; /* APM_WHY_ADAPTER_DROPPED: the domain whose queue is not bound */
    guint32 mdev;   /* 1 + index into ApmMap.mdevs, 0 when none */
} ApmMapCell;

typedef struct {
    char symbol;              /* A-Z, a-z, 0-9 in UUID order, then '#' */
    const ApmMdevInfo *mdev;  /* borrowed from the host */
    gboolean attached;        /* a guest holds it (named in mdev->guest when known) */
    gboolean shown;           /* within the map's scope (every mdev, or the one asked for) */
} ApmMapMdev;

typedef struct {
    const ApmHost *host;      /* borrowed */
    ApmMask adapters;         /* the rows */
    ApmMask domains;          /* the columns */
    GPtrArray *mdevs;         /* ApmMapMdev, every active mdev of the host */
    ApmMapCell *cells;        /* 256 x 256, adapter << 8 | domain */
    guint counts[APM_CELL_OVERPROVISIONED + 1]; /* cells of each state within the rows and columns */
} ApmMap;

typedef struct {
    gboolean all;             /* every ID up to the maximum, not only the host configuration */
    const ApmUuid *mdev;      /* only this mdev's adapters and domains, or NULL */
} ApmMapScope;

/* Builds the map of host. A scope mdev that is not active is an APM_ERROR_NOT_FOUND. */
ApmMap *apm_map_new(const ApmHost *host, const ApmMapScope *scope, GError **error);
void apm_map_free(ApmMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmMap, apm_map_free)

const ApmMapCell *apm_map_cell(const ApmMap *map, guint adapter, guint domain);
const ApmMapMdev *apm_map_cell_mdev(const ApmMap *map, const ApmMapCell *cell);
/* The cell's one-character form in the text map ('.' host, '-' free, the mdev's symbol, ...) */
char apm_map_cell_char(const ApmMap *map, const ApmMapCell *cell);
/* Stable names for scripts: "host", "host-offline", "unbound", "free", "assigned", "in-use", "filtered",
 * "over-provisioned", "none" */
const char *apm_map_state_name(ApmCellState state);
/* Words for a state, for legends ("bound to vfio_ap, assigned to no mdev") */
const char *apm_map_state_words(ApmCellState state);
/* Why a filtered or over-provisioned cell is not in its guest, in words (NULL for other cells) */
char *apm_map_cell_reason(const ApmMap *map, guint adapter, guint domain);
/* The notes below a map: for each mdev, its APQNs that do not reach the guest, grouped by reason ("mdev A:
 * adapter 0x05 dropped as a whole (05.0047 is not bound to vfio_ap): 05.0046-05.0047") */
GPtrArray *apm_map_notes(const ApmMap *map);
