/* apsim-host-private.h: the host structure and the kernel-internal helpers shared by apsim-host.c,
 * apsim-bus.c and apsim-vfio.c. Nothing outside those files includes it. */
#pragma once

#include <pthread.h>

#include "apsim-host.h"

typedef struct {
    char *attr;
    guint countdown;
    int err;
} ApsimFault;

struct ApsimHost {
    ApsimTopology *topology;

    ApmLock scan_mutex;
    ApmLock ap_attr_mutex;
    ApmLock guests_lock;
    ApmLock mdevs_lock;
    ApmLock devices; /* leaf: which devices exist, their drivers, the mdev and guest registries */

    /* ap_attr_mutex */
    ApmMask apmask;
    ApmMask aqmask;
    guint driver_override_ctr;
    /* scan_mutex (writes); read under any lock, changes only in a scan */
    ApmMatrix qci;
    guint max_adapter_id;
    guint max_domain_id;
    /* bus attributes: atomics or ap_attr_mutex */
    int ap_domain;
    guint config_time;
    gboolean poll_thread;
    guint64 poll_timeout;
    guint64 scans;
    guint64 bindings_complete_count;
    gboolean bindings_complete;

    /* file system requests served (atomics), for benchmarks: how many sysfs files a tool reads */
    gint fs_counts[APSIM_FS_N];

    ApsimCard cards[256];
    ApsimQueue *queues; /* 256 x 256, index adapter << 8 | domain */

    /* guests_lock + mdevs_lock to change, either to walk: the kernel's mdev_list */
    GPtrArray *mdev_list;
    /* devices lock */
    GHashTable *mdev_registry; /* name -> ApsimMdev (ref) */
    guint mdev_count;
    guint next_iommu_group;
    /* guests_lock */
    GHashTable *guest_registry; /* name -> ApsimGuest (ref) */

    /* remove waits: a leaf mutex and condition outside the order */
    pthread_mutex_t wait_mutex;
    pthread_cond_t wait_cond;

    /* faults: their own leaf mutex */
    pthread_mutex_t fault_mutex;
    GPtrArray *faults;
    guint write_latency_usec;

    ApsimUeventFunc uevent_func;
    gpointer uevent_data;
    ApsimRequestFunc request_func;
    gpointer request_data;
    ApsimGroupFunc group_func;
    gpointer group_data;
};

static inline ApsimQueue *
apsim_queue_slot(ApsimHost *host, guint adapter, guint domain)
{
    return &host->queues[adapter << 8 | domain];
}

/* get_update_locks_for_mdev and friends (§3.2). The kvm lock is that of the guest the mdev is attached to,
 * read under guests_lock. */
void apsim_get_update_locks_for_mdev(ApsimHost *host, ApsimMdev *mdev, ApsimGuest **guest_out);
void apsim_release_update_locks(ApsimHost *host, ApsimGuest *guest);
/* get_update_locks_by_apqn: guests_lock, the owner mdev (or NULL), its kvm lock, mdevs_lock. */
ApsimMdev *apsim_get_update_locks_by_apqn(ApsimHost *host, ApmApqn apqn, ApsimGuest **guest_out);

/* vfio_ap internals, all with the update locks held. */
gboolean apsim_filter_matrix(ApsimHost *host, ApsimMdev *mdev, ApmMask *apm_filtered);
gboolean apsim_filter_cdoms(ApsimHost *host, ApsimMdev *mdev);
void apsim_update_guest_apcb(ApsimHost *host, ApsimMdev *mdev);
void apsim_reset_queues_for_apids(ApsimHost *host, ApsimMdev *mdev, const ApmMask *apids);
void apsim_link_adapter(ApsimHost *host, ApsimMdev *mdev, guint apid);
void apsim_link_domain(ApsimHost *host, ApsimMdev *mdev, guint apqi);
void apsim_hot_unplug_adapters(ApsimHost *host, ApsimMdev *mdev, const ApmMask *apids);
void apsim_hot_unplug_domains(ApsimHost *host, ApsimMdev *mdev, const ApmMask *apqis);
/* ap_apqn_in_matrix_owned_by_def_drv: ap_attr_mutex held. */
gboolean apsim_apqn_in_matrix_owned_by_def_drv(ApsimHost *host, const ApmMask *apm, const ApmMask *aqm);
/* vfio_ap_mdev_verify_no_sharing: mdev may be NULL (in_use). Returns 0 or -EADDRINUSE. */
int apsim_verify_no_sharing(ApsimHost *host, ApsimMdev *mdev, const ApmMask *apm, const ApmMask *aqm);

/* AP bus: re-evaluate every queue's binding after a mask or override change (ap_bus_revise_bindings); call
 * with no locks held. */
void apsim_revise_bindings(ApsimHost *host);
/* The vfio_ap in_use callback: guests then mdevs. */
int apsim_vfio_in_use(ApsimHost *host, const ApmMask *apm, const ApmMask *aqm);

void apsim_emit_uevent(ApsimHost *host, ApsimUeventAction action, const char *devpath, const char *subsystem,
                       const char *const *env);
/* An event of a card (domain < 0) or a queue, with what the AP bus's uevent callback adds to every event of one
 * (ap_uevent: DEV_TYPE, MODALIAS and MODE for a card, MODE for a queue) after env, which may be NULL. Call with
 * no locks held. */
void apsim_emit_ap_uevent(ApsimHost *host, ApsimUeventAction action, guint adapter, int domain,
                          const char *const *env);
void apsim_wake_waiters(ApsimHost *host);
void apsim_emit_group(ApsimHost *host, guint group, gboolean added);
void apsim_mdev_ref(ApsimMdev *mdev);

/* Counts present queues and those bound to a driver: devices lock held. */
void apsim_count_bindings_locked(ApsimHost *host, guint *bound, guint *total);
/* vfio_ap_mdev_reset_queues: resets every queue linked to mdev, and unlinks them when unlink is set (mdevs_lock
 * held). */
void apsim_reset_linked_queues(ApsimHost *host, ApsimMdev *mdev, gboolean unlink);
/* The sorted keys of a registry (the caller holds the registry's lock). */
GPtrArray *apsim_sorted_keys(GHashTable *registry);

/* Driver-file bind/unbind: bind refuses (-ENODEV) a driver the probe rules would not pick. */
int apsim_host_bind_queue(ApsimHost *host, ApsimQueue *q, ApsimDriver driver);
void apsim_host_unbind_queue(ApsimHost *host, ApsimQueue *q);
