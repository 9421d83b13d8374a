/* apm-nodedev.h: libvirt node-device definitions of AP devices (ap_card, ap_queue, ap_matrix, mdev) and their
 * XML, formatted as libvirt formats it and parsed in the form virsh nodedev-define/-create take */
#pragma once

#include <glib.h>

#include "apm-matrix.h"
#include "apm-uuid.h"

typedef enum {
    APM_NODEDEV_AP_CARD,
    APM_NODEDEV_AP_QUEUE,
    APM_NODEDEV_AP_MATRIX,
    APM_NODEDEV_MDEV,
} ApmNodeDevType;

typedef struct {
    char *name;
    char *value;
} ApmMdevAttr;

/* The matrix a list of vfio_ap mdev attributes leaves when they are written in order, as mdevctl writes them and
 * the kernel takes them: assign_adapter, assign_domain, assign_control_domain and their unassign_ forms take one
 * ID each, as the kernel's kstrtoul reads it (base 0, one trailing newline; no spaces, no comma lists, which
 * ap-check reads but the kernel refuses); ap_config replaces all three masks. Any other attribute, or a value the
 * kernel would refuse, is an error naming it. touched (may be NULL) gets every ID an attribute names, assigned or
 * not: the kernel checks each against the host's limits. */
gboolean apm_matrix_from_attrs(const GPtrArray *attrs, ApmMatrix *matrix, ApmMatrix *touched, GError **error);

/* The inverse, as ap-check's get attributes gives it: one assign_adapter, assign_domain and
 * assign_control_domain per ID, in that order, in decimal. */
GPtrArray *apm_matrix_to_attrs(const ApmMatrix *matrix);

/* An empty, ordered list of ApmMdevAttr that frees its entries. */
GPtrArray *apm_mdev_attrs_new(void);
void apm_mdev_attrs_add(GPtrArray *attrs, const char *name, const char *value);

typedef struct {
    ApmNodeDevType type;
    char *name;   /* ap_card05, ap_05_0047, ap_matrix, mdev_<uuid>_matrix */
    char *path;   /* sysfs path, NULL for a definition that is not active */
    char *parent; /* computer, ap_card05, ap_matrix */
    char *driver; /* NULL when unbound */
    /* ap_card, ap_queue */
    guint adapter;
    guint domain;
    /* ap_matrix: its one mdev type */
    guint available_instances;
    /* mdev */
    char *mdev_type;
    gboolean has_uuid;
    ApmUuid uuid;
    char *parent_addr; /* "matrix" */
    int iommu_group;   /* -1: none */
    GPtrArray *attrs;  /* ApmMdevAttr, in order */
} ApmNodeDevDef;

ApmNodeDevDef *apm_nodedev_def_new(ApmNodeDevType type);
void apm_nodedev_def_free(ApmNodeDevDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmNodeDevDef, apm_nodedev_def_free)

void apm_nodedev_def_add_attr(ApmNodeDevDef *def, const char *name, const char *value);

/* libvirt's names: "ap_card05", "ap_05_0047", "mdev_<uuid with underscores>_matrix". */
char *apm_nodedev_card_name(guint adapter);
char *apm_nodedev_queue_name(guint adapter, guint domain);
char *apm_nodedev_mdev_name(const ApmUuid *uuid);
/* "/sys/devices/ap/card05/05.0047" */
char *apm_nodedev_queue_path(guint adapter, guint domain);

/* The XML libvirt's nodedev-dumpxml prints for this definition. */
char *apm_nodedev_def_format(const ApmNodeDevDef *def);

#define APM_NODEDEV_XML_MAX (1024 * 1024)

/* Parses a node-device document with libxml2, as libvirt reads one: the output form of any of the four types, or
 * the input form of nodedev-define/-create (an mdev with a parent, a type, an optional uuid and attributes).
 * source names where it came from in messages (a file, or NULL); with validate it must first validate against
 * libvirt's nodedev.rng (virsh nodedev-define --validate). Refuses documents over 1 MiB, DTDs and entities, and
 * anything malformed or unknown, naming it. Only parses; validation of what an mdev may contain is
 * apm_nodedev_def_validate_mdev. */
ApmNodeDevDef *apm_nodedev_def_parse(const char *xml, gsize length, const char *source, gboolean validate,
                                     GError **error);

/* The rules for an mdev definition to be created on the AP matrix: parent ap_matrix (or matrix), type
 * vfio_ap-passthrough, attributes only from the AP set (assign_adapter, assign_domain,
 * assign_control_domain, ap_config) with values the kernel would parse. */
gboolean apm_nodedev_def_validate_mdev(const ApmNodeDevDef *def, GError **error);
