/* apm-exec.h: carries a plan out on the host, under the host config lock, all or nothing */
#pragma once

#include <glib.h>

#include "apm-lock.h"
#include "apm-lockfile.h"
#include "apm-host.h"
#include "apm-planner.h"

/* The host config lock's class: first in the product's lock order (DESIGN.md "Lock-safe order"). */
extern const ApmLockClass apm_class_host_config_lock;

typedef struct {
    guint lock_timeout_ms;   /* how long to wait for the s390apconfig lock (default 100 s, as s390-tools) */
    gboolean lock_held;      /* the caller holds the lock already (it planned under it) */
    /* called on each host snapshot a request reads under the lock, to add what only the caller knows (the guest
     * using each mdev, from a guest back-end); NULL when nothing is added */
    gboolean (*annotate)(ApmHost *host, gpointer data, GError **error);
    gpointer annotate_data;
    /* the snapshot (read on demand) the plan was made from, or NULL: the writes go through its open folders and
     * the read-back refreshes the mdev in it, so the caller sees the result without reading it again */
    ApmHost *snapshot;
    /* where apm_exec_lock() says what it repaired once it held the lock (a start a killed apmatrix left half done,
     * apm-ondemand.h); NULL: repaired all the same, without a word */
    GPtrArray *repairs;
} ApmExecOptions;

void apm_exec_options_init(ApmExecOptions *options);

/* Takes the host config lock (s390apconfig, for this process) with the options' timeout, and then repairs what a
 * killed apmatrix left half done under it (apm_ondemand_repair), so that every change meets a whole host. */
ApmLockfile *apm_exec_lock(const char *root, const ApmExecOptions *options, GError **error);

/* Everything a request needs while it holds the host config lock: the lock (unless the caller holds it), a snapshot
 * read on demand under it (annotated by the options' annotate), and the options the plans are carried out with
 * (their snapshot the session's, so that the executor writes through its folders and reads back into it). */
typedef struct {
    const char *root;
    ApmExecOptions options;
    ApmLockfile *lock;
    ApmHost *host;
} ApmExecSession;

/* Takes the lock and reads the snapshot; repairs gets what the lock's holder repaired first when the options name
 * no list of their own. FALSE with error, and nothing held, when either fails. */
gboolean apm_exec_session_begin(ApmExecSession *s, const char *root, const ApmExecOptions *options,
                                GPtrArray *repairs, GError **error);
/* Lets the lock go and frees the snapshot; calling it again does nothing. */
void apm_exec_session_end(ApmExecSession *s);

/* Executes a start plan: takes the s390apconfig lock, refuses a plan with refusals, writes in order. When a
 * write fails, the writes already made are undone (the mdev this plan created is removed again) so the host
 * ends as it began, and the kernel's errno is put into words (an APQN taken in the meantime is named with its
 * owner). Afterwards the mdev is read back: differences from the plan's matrix and predicted guest matrix are
 * added to differences (sentences), never ignored. */
/* Executes any plan the same way (start, live update, stop); a live update is taken back write by write. */
gboolean apm_exec_plan(const char *root, const ApmPlan *plan, const ApmExecOptions *options, GPtrArray *differences,
                       GError **error);
/* Takes back every write of a plan that was carried out (a start: the mdev is removed), last first; for a caller
 * that holds the host config lock and must undo a done plan because a later step failed. */
gboolean apm_exec_take_back(const char *root, const ApmPlan *plan);

gboolean apm_exec_start(const char *root, const ApmPlan *plan, const ApmExecOptions *options, GPtrArray *differences,
                        GError **error);
