/* apm-lifecycle.h: the mdev lifecycle with virsh's semantics (define, create, start, destroy, undefine, update,
 * autostart): each request planned and checked under the host config lock, then carried out all or nothing */
#pragma once

#include <glib.h>

#include "apm-exec.h"
#include "apm-uuid.h"

typedef struct {
    char *name;             /* the node device's name, mdev_<uuid_>_matrix */
    ApmUuid uuid;
    GPtrArray *warnings;    /* what will not reach a guest, and why */
    GPtrArray *differences; /* where the kernel's state after differs from the plan's prediction */
} ApmOutcome;

ApmOutcome *apm_outcome_new(void);
void apm_outcome_free(ApmOutcome *outcome);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmOutcome, apm_outcome_free)

typedef enum {
    APM_UPDATE_CURRENT = 0,   /* the live mdev when it is active, else its definition (virsh's default) */
    APM_UPDATE_LIVE = 1 << 0,
    APM_UPDATE_CONFIG = 1 << 1,
} ApmUpdateFlags;

/* A node-device document given to define, create or update: its text, where it came from (a file name for
 * messages, or NULL), and whether it must first validate against libvirt's nodedev.rng (virsh's --validate) */
typedef struct {
    const char *xml;
    gsize length;
    const char *source;
    gboolean validate;
} ApmXmlInput;

/* nodedev-define: a persistent definition from mdev XML (a UUID is made when it has none); defining a UUID that
 * is defined already updates that definition in place, keeping its autostart. */
gboolean apm_nodedev_define(const char *root, const ApmXmlInput *input, const ApmExecOptions *options,
                            ApmOutcome *outcome, GError **error);
/* nodedev-create: a transient mdev from mdev XML, started at once. */
gboolean apm_nodedev_create(const char *root, const ApmXmlInput *input, const ApmExecOptions *options,
                            ApmOutcome *outcome, GError **error);
/* nodedev-start: starts a defined, inactive mdev. */
gboolean apm_nodedev_start(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                           GError **error);
/* nodedev-destroy: removes an active mdev (its definition, if any, stays). */
gboolean apm_nodedev_destroy(const char *root, const char *name, const ApmExecOptions *options,
                             ApmOutcome *outcome, GError **error);
/* nodedev-undefine: removes a definition (an active mdev stays, now transient). */
gboolean apm_nodedev_undefine(const char *root, const char *name, const ApmExecOptions *options,
                              ApmOutcome *outcome, GError **error);
/* nodedev-update: the mdev named gets the attributes of input (same UUID and parent), live, in its definition, or
 * both; live and config are each checked before either is changed. */
gboolean apm_nodedev_update(const char *root, const char *name, const ApmXmlInput *input, ApmUpdateFlags flags,
                            const ApmExecOptions *options, ApmOutcome *outcome, GError **error);
/* nodedev-autostart [--disable]: turning autostart on applies the autostart rules (no APQN shared with another
 * autostart definition; none kept from vfio_ap by the persistent masks). */
gboolean apm_nodedev_set_autostart(const char *root, const char *name, gboolean autostart,
                                   const ApmExecOptions *options, ApmOutcome *outcome, GError **error);
