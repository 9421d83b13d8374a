/* apm-pool.h: crypto pools, a set of adapters and domains carved into mdevs of one shape (say 1 adapter x 1
 * domain), each a persistent, autostarted, started mdev definition that a scheduler (OpenStack Nova) hands out
 * whole. What belongs to a pool is kept in ROOT/etc/apmatrix/pools/NAME.json, next to the mdev definitions
 * mdevctl keeps; both survive reboots, and `apmatrix check` reports a pool whose members drifted. */
#pragma once

#include <glib.h>

#include "apm-exec.h"
#include "apm-host.h"
#include "apm-lifecycle.h"
#include "apm-matrix.h"
#include "apm-uuid.h"

#define APM_POOL_DIR "/etc/apmatrix/pools"
#define APM_POOL_NAME_MAX 48
#define APM_POOL_MDEV_TYPE "vfio_ap-passthrough"

typedef struct {
    ApmUuid uuid;
    ApmMatrix matrix; /* its block: adapters, usage domains, and the control domains when they follow */
} ApmPoolMember;

typedef struct {
    char *name;
    ApmMask adapters; /* every adapter and domain the pool may carve */
    ApmMask domains;
    gboolean control;    /* the control domains follow the usage domains */
    guint shape_adapters; /* adapters and domains of each member */
    guint shape_domains;
    GArray *members;     /* ApmPoolMember, in the order they were carved */
} ApmPool;

ApmPool *apm_pool_new(const char *name);
void apm_pool_free(ApmPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmPool, apm_pool_free)

/* A pool name: 1 to APM_POOL_NAME_MAX letters, digits, '_' and '-', starting with a letter or digit; it becomes
 * a file name and, in capitals with '_' for '-', part of a Nova resource class (CUSTOM_APMATRIX_POOL_NAME). */
gboolean apm_pool_name_check(const char *name, GError **error);
/* The name as it goes into Nova's names: "crypto-a" -> "CRYPTO_A" (yours) */
char *apm_pool_name_upper(const char *name);

/* Every pool, by name. A file that cannot be read is reported in problems ("<path>: <why>") and skipped. A
 * missing folder is no pools. */
GPtrArray *apm_pool_list(const char *root, GPtrArray *problems);
/* One pool; APM_ERROR_NOT_FOUND when there is none. */
ApmPool *apm_pool_read(const char *root, const char *name, GError **error);
/* The pool whose APQNs include apqn, or NULL (of pools, a list of apm_pool_list) */
const ApmPool *apm_pool_find_apqn(const GPtrArray *pools, ApmApqn apqn);

/* What a member is on the host */
typedef enum {
    APM_POOL_MEMBER_FREE,      /* active, as defined, autostarted, no guest has it: a scheduler may hand it out */
    APM_POOL_MEMBER_HELD,      /* active, and a guest has it */
    APM_POOL_MEMBER_INACTIVE,  /* defined as the pool says, but not active */
    APM_POOL_MEMBER_MISSING,   /* no definition */
    APM_POOL_MEMBER_DIFFERS,   /* a definition other than its block, or not autostarted */
} ApmPoolMemberState;

const char *apm_pool_member_state_name(ApmPoolMemberState state);
/* The state of member on host; guest (may be NULL) gets the guest that has it (a name from the guest back-end
 * or libvirt's status files; "" when the kernel says a guest has it but not which), or NULL. */
ApmPoolMemberState apm_pool_member_state(const ApmHost *host, const ApmPoolMember *member, const char **guest);
/* How many members are free */
guint apm_pool_free_count(const ApmHost *host, const ApmPool *pool);

/* The request of pool define: the adapters and domains, the shape, how many members (0: as many as fit) */
typedef struct {
    ApmMask adapters;
    ApmMask domains;
    gboolean control;
    guint shape_adapters;
    guint shape_domains;
    guint count;
} ApmPoolRequest;

/* pool define: checks every member like a definition and a start (limits, live and persistent masks, no APQN of
 * another mdev, definition or pool), then defines, autostarts and starts each, all or nothing. */
ApmPool *apm_pool_define(const char *root, const char *name, const ApmPoolRequest *request,
                         const ApmExecOptions *options, ApmOutcome *outcome, GError **error);
/* pool grow: adds adapters and domains to the pool (either may be empty) and carves count more members (0: as many
 * as fit) from its blocks no member has, all or nothing. */
ApmPool *apm_pool_grow(const char *root, const char *name, const ApmMask *adapters, const ApmMask *domains,
                       guint count, const ApmExecOptions *options, ApmOutcome *outcome, GError **error);
/* pool shrink: removes the members named (uuids, may be NULL) or else the count last free ones: stopped and
 * undefined. A member a guest has is refused, naming the guest; nothing is removed then. */
ApmPool *apm_pool_shrink(const char *root, const char *name, guint count, const GArray *uuids,
                         const ApmExecOptions *options, ApmOutcome *outcome, GError **error);
/* pool undefine: every member stopped and undefined, and the pool forgotten; refused while a guest has a member. */
gboolean apm_pool_undefine(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                           GError **error);
