/* apsim-host.h: the simulated AP host: AP bus, vfio_ap driver, mdevs and KVM guests, with the kernel's locks */
#pragma once

#include <glib.h>

#include "apm-lock.h"
#include "apm-matrix.h"
#include "apm-uuid.h"
#include "apsim-topology.h"

/* The kernel's lock classes and order (spec/kernel-ap.md §3.2). The scan mutex comes first (ap_scan_bus
 * holds it while calling into vfio_ap); the PQAP rwsem's read side precedes mdevs_lock and it never nests
 * with the update locks; the device table is apsim's own leaf lock for which devices exist. */
extern const ApmLockClass apsim_class_scan_mutex;
extern const ApmLockClass apsim_class_ap_attr_mutex;
extern const ApmLockClass apsim_class_guests_lock;
extern const ApmLockClass apsim_class_kvm_lock;
extern const ApmLockClass apsim_class_pqap_hook_rwsem;
extern const ApmLockClass apsim_class_mdevs_lock;
extern const ApmLockClass apsim_class_devices;

/* AP response codes of the last reset (TAPQ), which decide whether a queue may be passed through. */
enum {
    APSIM_RC_NORMAL = 0x00,
    APSIM_RC_Q_NOT_AVAIL = 0x01,
    APSIM_RC_RESET_IN_PROGRESS = 0x02,
    APSIM_RC_DECONFIGURED = 0x03,
    APSIM_RC_CHECKSTOPPED = 0x04,
    APSIM_RC_BUSY = 0x05,
};

typedef enum {
    APSIM_DRV_NONE,
    APSIM_DRV_ZCRYPT, /* cex4queue / cex4card: the default drivers */
    APSIM_DRV_VFIO,   /* vfio_ap */
} ApsimDriver;

#define APSIM_MAX_MDEVS 65536 /* MAX_ZDEV_ENTRIES_EXT */

typedef struct ApsimHost ApsimHost;
typedef struct ApsimCard ApsimCard;
typedef struct ApsimQueue ApsimQueue;
typedef struct ApsimMdev ApsimMdev;
typedef struct ApsimGuest ApsimGuest;

struct ApsimCard {
    guint id;
    guint hwtype;     /* compatible type */
    guint raw_hwtype;
    ApsimCardMode mode;
    gboolean present; /* the device exists (in QCI and of a supported type) */
    gboolean config;
    gboolean chkstop;
    gboolean online;  /* zcrypt */
    guint64 request_count;
};

struct ApsimQueue {
    guint8 adapter;
    guint8 domain;
    gboolean present;      /* devices lock */
    ApsimDriver driver;    /* devices lock */
    char *driver_override; /* ap_attr_mutex */
    gboolean online;       /* zcrypt */
    guint64 request_count;
    ApsimMdev *mdev;       /* mdevs_lock: the mdev this queue is linked to */
    int reset_rc;          /* mdevs_lock */
    gboolean irq_enabled;  /* mdevs_lock: PQAP(AQIC) */
    guint64 resets;        /* mdevs_lock: how many times vfio_ap reset it */
};

struct ApsimMdev {
    gint refcount;
    ApmUuid uuid;
    char name[APM_UUID_TEXT_LEN + 1];
    guint iommu_group;
    /* mdevs_lock */
    ApmMatrix matrix;  /* assigned */
    ApmMatrix shadow;  /* shadow APCB: what the guest gets */
    ApmMask apm_add, aqm_add, adm_add; /* host configuration additions pending until scan complete */
    gboolean request_registered;       /* the request eventfd (VFIO_AP_REQ_IRQ_INDEX) */
    gboolean cfg_chg_registered;       /* the cfg-change eventfd */
    guint requests;                    /* remove requests relayed */
    /* guests_lock to read for plug/unplug, mdevs_lock to set */
    ApsimGuest *guest;
    /* devices lock */
    gboolean registered;
    gboolean removing;
};

struct ApsimGuest {
    gint refcount;
    char *name;
    ApmLock kvm_lock;
    ApmLock pqap_hook_rwsem;
    ApsimMdev *pqap_hook;   /* pqap_hook_rwsem */
    gboolean crycb;         /* has a CRYCB (ap=on) */
    ApmMatrix apcb;         /* kvm_lock: the masks loaded into the guest's CRYCB */
    guint cfg_changes;      /* kvm_lock: cfg-change signals received */
    guint apcb_updates;     /* kvm_lock */
    ApsimMdev *opened;      /* guests_lock: the vfio-ap device this guest has open, if any */
    gboolean running;       /* guests_lock */
    gboolean old_qemu;      /* ignores the request IRQ */
    guint64 pqap_calls;     /* PQAP(AQIC) instructions intercepted */
    GThread *workload;      /* guests_lock: a vCPU issuing PQAP(AQIC) on the guest's queues */
    gint workload_stop;
};

typedef enum {
    APSIM_UEVENT_ADD,
    APSIM_UEVENT_REMOVE,
    APSIM_UEVENT_CHANGE,
    APSIM_UEVENT_BIND,
    APSIM_UEVENT_UNBIND,
} ApsimUeventAction;

/* Called (without apsim locks held) for every device event: devpath relative to /sys ("/devices/ap/card05"),
 * env a NULL-terminated KEY=VALUE list. */
typedef void (*ApsimUeventFunc)(ApsimUeventAction action, const char *devpath, const char *subsystem,
                                const char *const *env, gpointer data);

/* Called when a guest's QEMU is asked to release its vfio-ap device (the request IRQ). It must not block: a
 * QEMU front answers later by closing the device (apsim_guest_close_device). */
typedef void (*ApsimRequestFunc)(ApsimGuest *guest, ApsimMdev *mdev, guint count, gpointer data);

/* Called (without apsim locks held) when an mdev's vfio group comes (added) or goes: where the kernel's vfio core
 * registers or unregisters the group's character device, /dev/vfio/GROUP. */
typedef void (*ApsimGroupFunc)(guint group, gboolean added, gpointer data);

ApsimHost *apsim_host_new(const ApsimTopology *topology);
void apsim_host_free(ApsimHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApsimHost, apsim_host_free)

const ApsimTopology *apsim_host_topology(ApsimHost *host);
void apsim_host_set_uevent_func(ApsimHost *host, ApsimUeventFunc func, gpointer data);
void apsim_host_set_request_func(ApsimHost *host, ApsimRequestFunc func, gpointer data);
void apsim_host_set_group_func(ApsimHost *host, ApsimGroupFunc func, gpointer data);

/* Fault injection: the Nth write (1-based, counted from now) to an attribute named attr (e.g. "assign_domain",
 * any object) fails with errno err. */
void apsim_host_inject_error(ApsimHost *host, const char *attr, guint nth, int err);
/* The injections still pending, a line each: "ATTR NTH ERRNO" (NTH counted from now). */
char *apsim_host_faults_text(ApsimHost *host);
/* Drops the pending injections (of attr only, when not NULL); returns how many. */
guint apsim_host_clear_faults(ApsimHost *host, const char *attr);
/* Extra latency for every attribute write, in microseconds. */
void apsim_host_set_write_latency(ApsimHost *host, guint usec);
/* Returns 0, or the injected -errno for this write of attr (and counts it). */
int apsim_host_fault_check(ApsimHost *host, const char *attr);

/* Device lookups: references are not needed for cards and queues, which live as long as the host. */
ApsimCard *apsim_host_card(ApsimHost *host, guint id);             /* present cards only */
ApsimQueue *apsim_host_queue(ApsimHost *host, guint adapter, guint domain); /* present queues only */
/* A reference to a registered mdev, or NULL. */
ApsimMdev *apsim_host_lookup_mdev(ApsimHost *host, const char *uuid);
void apsim_mdev_unref(ApsimMdev *mdev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApsimMdev, apsim_mdev_unref)
/* Names of registered mdevs, sorted. */
GPtrArray *apsim_host_list_mdevs(ApsimHost *host);
/* Present card IDs and queue APQNs. */
void apsim_host_present_cards(ApsimHost *host, ApmMask *cards);
/* Present domains of one card. */
void apsim_host_present_queues(ApsimHost *host, guint adapter, ApmMask *domains);
/* Queues bound to a driver, as "05.0047" names, sorted. */
GPtrArray *apsim_host_driver_queues(ApsimHost *host, ApsimDriver driver);
ApsimDriver apsim_host_queue_driver(ApsimHost *host, ApsimQueue *queue);

/* Guests (KVM VMs). */
ApsimGuest *apsim_host_create_guest(ApsimHost *host, const char *name, gboolean old_qemu, GError **error);
ApsimGuest *apsim_host_lookup_guest(ApsimHost *host, const char *name);
GPtrArray *apsim_host_list_guests(ApsimHost *host);
void apsim_guest_ref(ApsimGuest *guest);
void apsim_guest_unref(ApsimGuest *guest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApsimGuest, apsim_guest_unref)
/* The vfio-ap device's open_device/close_device: set_kvm and unset_kvm (§2.5). Returns 0 or -errno (EPERM when
 * another mdev is attached to the guest, EBUSY when the mdev is open in another guest, ENODEV when it is
 * gone). */
int apsim_guest_open_device(ApsimHost *host, ApsimGuest *guest, ApsimMdev *mdev);
void apsim_guest_close_device(ApsimHost *host, ApsimGuest *guest);
/* Stops a guest: closes its device. Removes it from the registry when destroy is set. */
void apsim_guest_stop(ApsimHost *host, ApsimGuest *guest, gboolean destroy);
/* Registers or unregisters the vfio-ap request and cfg-change eventfds (QEMU does at realize). */
void apsim_guest_set_eventfds(ApsimHost *host, ApsimGuest *guest, gboolean request, gboolean cfg_chg);
/* PQAP(AQIC) from the guest on one APQN (§2.8): 0, or the response code 0x01 when the queue is not the
 * guest's. Takes the rwsem for reading, then mdevs_lock. */
int apsim_guest_pqap_aqic(ApsimHost *host, ApsimGuest *guest, ApmApqn apqn, gboolean enable);
/* Starts or stops a workload thread that issues PQAP(AQIC) on every queue of the guest's APCB, over and
 * over, as a guest's zcrypt driver enabling and disabling interrupts would. Stopped with the guest. */
void apsim_guest_set_workload(ApsimHost *host, ApsimGuest *guest, gboolean on);

/* A snapshot of the guest's APCB. */
void apsim_guest_get_apcb(ApsimHost *host, ApsimGuest *guest, ApmMatrix *apcb, guint *cfg_changes);

/* Host configuration changes (the SCLP/CHSC path, §2.4): the new QCI masks; runs a bus scan. */
void apsim_host_set_qci(ApsimHost *host, const ApmMatrix *qci);
void apsim_host_get_qci(ApsimHost *host, ApmMatrix *qci);
/* Card state changes: SCLP configure/deconfigure (as the card's config attribute), checkstop. */
int apsim_host_card_set_config(ApsimHost *host, guint adapter, gboolean config);
void apsim_host_card_set_chkstop(ApsimHost *host, guint adapter, gboolean chkstop);

/* The whole model as JSON (for tests to compare before and after), and lock statistics. */
char *apsim_host_dump_json(ApsimHost *host);
char *apsim_host_lock_stats_json(ApsimHost *host);

/* The file system requests apsim's /sys has served, by kind */
typedef enum {
    APSIM_FS_GETATTR,
    APSIM_FS_READDIR,
    APSIM_FS_READLINK,
    APSIM_FS_OPEN,
    APSIM_FS_READ,
    APSIM_FS_WRITE,
    APSIM_FS_N,
} ApsimFsOp;

void apsim_host_count_fs(ApsimHost *host, ApsimFsOp op);
/* {"getattr": N, ...} since the start or the last reset; reset zeroes the counts after reading them */
char *apsim_host_fs_stats_json(ApsimHost *host, gboolean reset);
