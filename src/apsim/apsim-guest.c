/* apsim-guest.c: simulated KVM guests: the vfio-ap device's open and close (set_kvm/unset_kvm), the CRYCB,
 * the PQAP(AQIC) hook */
#include "config.h"
#include "apsim-host-private.h"

#include <errno.h>

#include "apm-error.h"
#include "apm-i18n.h"

ApsimGuest *
apsim_host_create_guest(ApsimHost *host, const char *name, gboolean old_qemu, GError **error)
{
    ApsimGuest *guest;
    g_autofree char *kvm_name = g_strdup_printf("kvm->lock of guest %s", name);
    g_autofree char *rwsem_name = g_strdup_printf("pqap_hook_rwsem of guest %s", name);

    if (!name || !*name || strchr(name, '/') || strlen(name) > 64) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("'%s' is not a valid guest name (1 to 64 characters, no '/')"), name ? name : "");
        return NULL;
    }
    apm_lock_acquire(&host->guests_lock);
    guest = g_hash_table_lookup(host->guest_registry, name);
    if (guest) {
        if (guest->running) {
            apm_lock_release(&host->guests_lock);
            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT, _("Guest %s is already running"), name);
            return NULL;
        }
        guest->running = TRUE;
        guest->old_qemu = old_qemu;
        g_atomic_int_inc(&guest->refcount);
        apm_lock_release(&host->guests_lock);
        return guest;
    }
    guest = g_new0(ApsimGuest, 1);
    guest->refcount = 2; /* the registry's and the caller's */
    guest->name = g_strdup(name);
    apm_lock_init(&guest->kvm_lock, &apsim_class_kvm_lock, APM_LOCK_MUTEX, kvm_name);
    apm_lock_init(&guest->pqap_hook_rwsem, &apsim_class_pqap_hook_rwsem, APM_LOCK_RWLOCK, rwsem_name);
    guest->crycb = TRUE;
    guest->running = TRUE;
    guest->old_qemu = old_qemu;
    g_hash_table_insert(host->guest_registry, guest->name, guest);
    apm_lock_release(&host->guests_lock);
    return guest;
}

ApsimGuest *
apsim_host_lookup_guest(ApsimHost *host, const char *name)
{
    ApsimGuest *guest;

    apm_lock_acquire(&host->guests_lock);
    guest = g_hash_table_lookup(host->guest_registry, name);
    if (guest)
        g_atomic_int_inc(&guest->refcount);
    apm_lock_release(&host->guests_lock);
    return guest;
}

GPtrArray *
apsim_host_list_guests(ApsimHost *host)
{
    GPtrArray *names;

    apm_lock_acquire(&host->guests_lock);
    names = apsim_sorted_keys(host->guest_registry);
    apm_lock_release(&host->guests_lock);
    return names;
}

/* vfio_ap_mdev_set_kvm (§2.5) */
int
apsim_guest_open_device(ApsimHost *host, ApsimGuest *guest, ApsimMdev *mdev)
{
    gboolean gone;

    apm_lock_acquire(&host->devices);
    gone = !mdev->registered || mdev->removing;
    apm_lock_release(&host->devices);
    if (gone)
        return -ENODEV;
    if (!guest->crycb)
        return 0;

    apm_lock_acquire(&guest->pqap_hook_rwsem);
    guest->pqap_hook = mdev;
    apm_lock_release(&guest->pqap_hook_rwsem);

    apm_lock_acquire(&host->guests_lock);
    apm_lock_acquire(&guest->kvm_lock);
    apm_lock_acquire(&host->mdevs_lock);
    for (guint i = 0; i < host->mdev_list->len; i++) {
        ApsimMdev *m = g_ptr_array_index(host->mdev_list, i);

        if (m != mdev && m->guest == guest) {
            apm_lock_release(&host->mdevs_lock);
            apm_lock_release(&guest->kvm_lock);
            apm_lock_release(&host->guests_lock);
            return -EPERM;
        }
    }
    if (mdev->guest && mdev->guest != guest) {
        /* vfio: the device is already open in another VM's container */
        apm_lock_release(&host->mdevs_lock);
        apm_lock_release(&guest->kvm_lock);
        apm_lock_release(&host->guests_lock);
        return -EBUSY;
    }
    mdev->guest = guest;
    guest->opened = mdev;
    apsim_mdev_ref(mdev);
    apsim_update_guest_apcb(host, mdev);
    apm_lock_release(&host->mdevs_lock);
    apm_lock_release(&guest->kvm_lock);
    apm_lock_release(&host->guests_lock);
    return 0;
}

/* vfio_ap_mdev_unset_kvm (§2.5) */
void
apsim_guest_close_device(ApsimHost *host, ApsimGuest *guest)
{
    ApsimMdev *mdev;

    apm_lock_acquire(&guest->pqap_hook_rwsem);
    guest->pqap_hook = NULL;
    apm_lock_release(&guest->pqap_hook_rwsem);

    apm_lock_acquire(&host->guests_lock);
    mdev = guest->opened;
    if (!mdev) {
        apm_lock_release(&host->guests_lock);
        return;
    }
    apm_lock_acquire(&guest->kvm_lock);
    apm_lock_acquire(&host->mdevs_lock);
    apm_matrix_clear(&guest->apcb); /* kvm_arch_crypto_clear_masks */
    guest->apcb_updates++;
    apsim_reset_linked_queues(host, mdev, FALSE);
    mdev->guest = NULL;
    mdev->request_registered = FALSE;
    mdev->cfg_chg_registered = FALSE;
    guest->opened = NULL;
    apm_lock_release(&host->mdevs_lock);
    apm_lock_release(&guest->kvm_lock);
    apm_lock_release(&host->guests_lock);
    apsim_mdev_unref(mdev);
    apsim_wake_waiters(host);
}

void
apsim_guest_set_eventfds(ApsimHost *host, ApsimGuest *guest, gboolean request, gboolean cfg_chg)
{
    ApsimMdev *mdev;

    apm_lock_acquire(&host->guests_lock);
    mdev = guest->opened;
    if (mdev) {
        apm_lock_acquire(&host->mdevs_lock);
        mdev->request_registered = request;
        mdev->cfg_chg_registered = cfg_chg;
        apm_lock_release(&host->mdevs_lock);
    }
    apm_lock_release(&host->guests_lock);
}

typedef struct {
    ApsimHost *host;
    ApsimGuest *guest;
} Workload;

static gpointer
run_workload(gpointer data)
{
    Workload *w = data;
    guint round = 0;

    while (!g_atomic_int_get(&w->guest->workload_stop)) {
        ApmMatrix apcb;
        ApmApqnIter iter;
        ApmApqn apqn;

        apsim_guest_get_apcb(w->host, w->guest, &apcb, NULL);
        apm_apqn_iter_init(&iter, &apcb.adapters, &apcb.domains);
        while (apm_apqn_iter_next(&iter, &apqn))
            apsim_guest_pqap_aqic(w->host, w->guest, apqn, round % 2 == 0);
        round++;
        g_usleep(200);
    }
    apsim_guest_unref(w->guest);
    g_free(w);
    return NULL;
}

void
apsim_guest_set_workload(ApsimHost *host, ApsimGuest *guest, gboolean on)
{
    GThread *stop = NULL;

    apm_lock_acquire(&host->guests_lock);
    if (on && !guest->workload && guest->running) {
        Workload *w = g_new0(Workload, 1);

        w->host = host;
        w->guest = guest;
        apsim_guest_ref(guest);
        g_atomic_int_set(&guest->workload_stop, 0);
        guest->workload = g_thread_new("apsim-vcpu", run_workload, w);
    } else if (!on && guest->workload) {
        stop = g_steal_pointer(&guest->workload);
        g_atomic_int_set(&guest->workload_stop, 1);
    }
    apm_lock_release(&host->guests_lock);
    if (stop)
        g_thread_join(stop);
}

void
apsim_guest_stop(ApsimHost *host, ApsimGuest *guest, gboolean destroy)
{
    apsim_guest_set_workload(host, guest, FALSE);
    apsim_guest_close_device(host, guest);
    apm_lock_acquire(&host->guests_lock);
    guest->running = FALSE;
    if (destroy)
        g_hash_table_remove(host->guest_registry, guest->name);
    apm_lock_release(&host->guests_lock);
}

/* handle_pqap (§2.8): the rwsem for reading, then only mdevs_lock. */
int
apsim_guest_pqap_aqic(ApsimHost *host, ApsimGuest *guest, ApmApqn apqn, gboolean enable)
{
    int rc = APSIM_RC_Q_NOT_AVAIL;

    apm_lock_acquire_read(&guest->pqap_hook_rwsem);
    __atomic_add_fetch(&guest->pqap_calls, 1, __ATOMIC_RELAXED);
    if (guest->pqap_hook) {
        ApsimMdev *m = guest->pqap_hook;
        ApsimQueue *q = apsim_queue_slot(host, apqn.adapter, apqn.domain);

        apm_lock_acquire(&host->mdevs_lock);
        if (q->mdev == m) {
            q->irq_enabled = enable;
            rc = APSIM_RC_NORMAL;
        }
        apm_lock_release(&host->mdevs_lock);
    }
    apm_lock_release(&guest->pqap_hook_rwsem);
    return rc;
}

void
apsim_guest_get_apcb(ApsimHost *host, ApsimGuest *guest, ApmMatrix *apcb, guint *cfg_changes)
{
    apm_lock_acquire(&guest->kvm_lock);
    *apcb = guest->apcb;
    if (cfg_changes)
        *cfg_changes = guest->cfg_changes;
    apm_lock_release(&guest->kvm_lock);
}
