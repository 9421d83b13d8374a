/* apsim-topology.h: a simulated AP host's hardware and kernel level, read from a GKeyFile */
#pragma once

#include <glib.h>

#include "apm-mask.h"

typedef enum {
    APSIM_MODE_ACCEL,
    APSIM_MODE_CCA,
    APSIM_MODE_EP11,
} ApsimCardMode;

typedef struct {
    guint id;
    guint raw_hwtype;  /* as the hardware reports it; > 14 maps to 14 (CEX8) */
    ApsimCardMode mode;
    gboolean configured;
    gboolean checkstopped;
} ApsimCardSpec;

typedef struct {
    char *name;
    char *description;
    gboolean apxa;
    guint max_adapter_id; /* Na, or 63 without APXA */
    guint max_domain_id;  /* Nd, or 15 without APXA */
    ApmMask qci_adapters;
    ApmMask qci_domains;
    ApmMask qci_control_domains;
    ApmMask apmask;
    ApmMask aqmask;
    /* kernel level */
    gboolean ap_config;       /* the mdev ap_config attribute (6.10+) */
    gboolean hotplug;         /* dynamic configuration (6.0+); without it assign/remove give EBUSY with a guest */
    gboolean driver_override; /* queue driver_override (6.19+) and all-ones in_use checks */
    guint cpus;               /* online CPUs (/sys/devices/system/cpu/online: 0 to cpus - 1) */
    GArray *cards;            /* ApsimCardSpec, ascending id */
} ApsimTopology;

/* name: a built-in topology ("tiny", "z16", "noapxa", "max"), looked up in $APSIM_TOPOLOGY_DIR, then the
 * installed data folder; or a path to a topology file. */
ApsimTopology *apsim_topology_load(const char *name, GError **error);
ApsimTopology *apsim_topology_parse(const char *data, gsize length, const char *name, GError **error);
void apsim_topology_free(ApsimTopology *topology);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApsimTopology, apsim_topology_free)

const char *apsim_card_mode_name(ApsimCardMode mode);
/* "CEX8C": the zcrypt type name of a card of this compatible type and mode. */
char *apsim_card_type_name(guint hwtype, ApsimCardMode mode);
