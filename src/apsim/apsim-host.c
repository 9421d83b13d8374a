/* apsim-host.c: the simulated host's objects, the kernel's lock helpers, queue binding, shadow-APCB filtering,
 * guests and host configuration changes */
#include "config.h"
#include "apsim-host-private.h"

#include <errno.h>
#include <json-glib/json-glib.h>

#include "apm-i18n.h"

const ApmLockClass apsim_class_scan_mutex = { "ap_scan_bus_mutex", 5 };
const ApmLockClass apsim_class_ap_attr_mutex = { "ap_attr_mutex", 10 };
const ApmLockClass apsim_class_guests_lock = { "guests_lock", 20 };
const ApmLockClass apsim_class_kvm_lock = { "kvm->lock", 30 };
const ApmLockClass apsim_class_pqap_hook_rwsem = { "pqap_hook_rwsem", 35 };
const ApmLockClass apsim_class_mdevs_lock = { "mdevs_lock", 40 };
const ApmLockClass apsim_class_devices = { "apsim device table", 90 };

static void bind_queue(ApsimHost *host, ApsimQueue *q, ApsimDriver driver);

/* ---- objects ---------------------------------------------------------------------------------------- */

void
apsim_mdev_ref(ApsimMdev *mdev)
{
    g_atomic_int_inc(&mdev->refcount);
}

void
apsim_mdev_unref(ApsimMdev *mdev)
{
    if (mdev && g_atomic_int_dec_and_test(&mdev->refcount))
        g_free(mdev);
}

void
apsim_guest_ref(ApsimGuest *guest)
{
    g_atomic_int_inc(&guest->refcount);
}

void
apsim_guest_unref(ApsimGuest *guest)
{
    if (!guest || !g_atomic_int_dec_and_test(&guest->refcount))
        return;
    apm_lock_clear(&guest->kvm_lock);
    apm_lock_clear(&guest->pqap_hook_rwsem);
    g_free(guest->name);
    g_free(guest);
}

static gboolean
supported_type(guint hwtype)
{
    return hwtype >= 10;
}

ApsimHost *
apsim_host_new(const ApsimTopology *t)
{
    ApsimHost *host = g_new0(ApsimHost, 1);

    host->topology = g_new0(ApsimTopology, 1);
    *host->topology = *t;
    host->topology->name = g_strdup(t->name);
    host->topology->description = g_strdup(t->description);
    host->topology->cards = g_array_ref(t->cards);

    apm_lock_init(&host->scan_mutex, &apsim_class_scan_mutex, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&host->ap_attr_mutex, &apsim_class_ap_attr_mutex, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&host->guests_lock, &apsim_class_guests_lock, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&host->mdevs_lock, &apsim_class_mdevs_lock, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&host->devices, &apsim_class_devices, APM_LOCK_MUTEX, NULL);
    pthread_mutex_init(&host->wait_mutex, NULL);
    pthread_cond_init(&host->wait_cond, NULL);
    pthread_mutex_init(&host->fault_mutex, NULL);
    host->faults = g_ptr_array_new();

    host->apmask = t->apmask;
    host->aqmask = t->aqmask;
    host->qci.adapters = t->qci_adapters;
    host->qci.domains = t->qci_domains;
    host->qci.control_domains = t->qci_control_domains;
    host->max_adapter_id = t->max_adapter_id;
    host->max_domain_id = t->max_domain_id;
    host->ap_domain = -1;
    host->config_time = 30;
    host->poll_timeout = 250000;
    host->mdev_list = g_ptr_array_new();
    host->mdev_registry = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) apsim_mdev_unref);
    host->guest_registry = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) apsim_guest_unref);
    host->next_iommu_group = 0;
    host->queues = g_new0(ApsimQueue, 256 * 256);

    for (guint a = 0; a < 256; a++) {
        host->cards[a].id = a;
        for (guint d = 0; d < 256; d++) {
            ApsimQueue *q = apsim_queue_slot(host, a, d);

            q->adapter = a;
            q->domain = d;
        }
    }
    for (guint i = 0; i < t->cards->len; i++) {
        const ApsimCardSpec *spec = &g_array_index(t->cards, ApsimCardSpec, i);
        ApsimCard *card = &host->cards[spec->id];

        card->raw_hwtype = spec->raw_hwtype;
        card->hwtype = MIN(spec->raw_hwtype, 14); /* QACT maps newer types to CEX8 */
        card->mode = spec->mode;
        card->config = spec->configured;
        card->chkstop = spec->checkstopped;
    }
    /* the initial bus scan: devices appear and bind */
    apsim_host_set_qci(host, &host->qci);
    /* the first default domain is the lowest usage domain reserved for the host */
    APM_MASK_FOREACH(d, &host->qci.domains) {
        if (apm_mask_test(&host->aqmask, d)) {
            host->ap_domain = d;
            break;
        }
    }
    return host;
}

void
apsim_host_free(ApsimHost *host)
{
    if (!host)
        return;
    g_hash_table_unref(host->guest_registry);
    g_hash_table_unref(host->mdev_registry);
    for (guint i = 0; i < host->mdev_list->len; i++)
        apsim_mdev_unref(g_ptr_array_index(host->mdev_list, i));
    g_ptr_array_unref(host->mdev_list);
    for (guint i = 0; i < 256 * 256; i++)
        g_free(host->queues[i].driver_override);
    g_free(host->queues);
    for (guint i = 0; i < host->faults->len; i++) {
        ApsimFault *f = g_ptr_array_index(host->faults, i);

        g_free(f->attr);
        g_free(f);
    }
    g_ptr_array_unref(host->faults);
    pthread_mutex_destroy(&host->fault_mutex);
    pthread_cond_destroy(&host->wait_cond);
    pthread_mutex_destroy(&host->wait_mutex);
    apm_lock_clear(&host->devices);
    apm_lock_clear(&host->mdevs_lock);
    apm_lock_clear(&host->guests_lock);
    apm_lock_clear(&host->ap_attr_mutex);
    apm_lock_clear(&host->scan_mutex);
    apsim_topology_free(host->topology);
    g_free(host);
}

const ApsimTopology *
apsim_host_topology(ApsimHost *host)
{
    return host->topology;
}

void
apsim_host_set_uevent_func(ApsimHost *host, ApsimUeventFunc func, gpointer data)
{
    host->uevent_func = func;
    host->uevent_data = data;
}

void
apsim_host_set_request_func(ApsimHost *host, ApsimRequestFunc func, gpointer data)
{
    host->request_func = func;
    host->request_data = data;
}

void
apsim_emit_uevent(ApsimHost *host, ApsimUeventAction action, const char *devpath, const char *subsystem,
                  const char *const *env)
{
    if (host->uevent_func)
        host->uevent_func(action, devpath, subsystem, env, host->uevent_data);
}

void
apsim_emit_ap_uevent(ApsimHost *host, ApsimUeventAction action, guint adapter, int domain, const char *const *env)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func(g_free);
    const ApsimCard *card = &host->cards[adapter];
    char devpath[64];

    if (domain < 0)
        g_snprintf(devpath, sizeof(devpath), "/devices/ap/card%02x", adapter);
    else
        g_snprintf(devpath, sizeof(devpath), "/devices/ap/card%02x/%02x.%04x", adapter, adapter, (guint) domain);
    for (guint i = 0; env && env[i]; i++)
        g_ptr_array_add(all, g_strdup(env[i]));
    if (domain < 0) {
        g_ptr_array_add(all, g_strdup_printf("DEV_TYPE=%04X", card->hwtype));
        g_ptr_array_add(all, g_strdup_printf("MODALIAS=ap:t%02X", card->hwtype));
    }
    g_ptr_array_add(all, g_strdup_printf("MODE=%s", apsim_card_mode_name(card->mode)));
    g_ptr_array_add(all, NULL);
    apsim_emit_uevent(host, action, devpath, "ap", (const char *const *) all->pdata);
}

void
apsim_host_set_group_func(ApsimHost *host, ApsimGroupFunc func, gpointer data)
{
    host->group_func = func;
    host->group_data = data;
}

void
apsim_emit_group(ApsimHost *host, guint group, gboolean added)
{
    if (host->group_func)
        host->group_func(group, added, host->group_data);
}

void
apsim_wake_waiters(ApsimHost *host)
{
    pthread_mutex_lock(&host->wait_mutex);
    pthread_cond_broadcast(&host->wait_cond);
    pthread_mutex_unlock(&host->wait_mutex);
}

/* ---- faults --------------------------------------------------------------------------------------- */

void
apsim_host_inject_error(ApsimHost *host, const char *attr, guint nth, int err)
{
    ApsimFault *f = g_new0(ApsimFault, 1);

    f->attr = g_strdup(attr);
    f->countdown = MAX(nth, 1);
    f->err = err;
    pthread_mutex_lock(&host->fault_mutex);
    g_ptr_array_add(host->faults, f);
    pthread_mutex_unlock(&host->fault_mutex);
}

char *
apsim_host_faults_text(ApsimHost *host)
{
    GString *out = g_string_new(NULL);

    pthread_mutex_lock(&host->fault_mutex);
    for (guint i = 0; i < host->faults->len; i++) {
        const ApsimFault *f = g_ptr_array_index(host->faults, i);

        g_string_append_printf(out, "%s %u %d\n", f->attr, f->countdown, f->err);
    }
    pthread_mutex_unlock(&host->fault_mutex);
    return g_string_free(out, FALSE);
}

guint
apsim_host_clear_faults(ApsimHost *host, const char *attr)
{
    guint cleared = 0;

    pthread_mutex_lock(&host->fault_mutex);
    for (guint i = host->faults->len; i-- > 0;) {
        ApsimFault *f = g_ptr_array_index(host->faults, i);

        if (attr && !g_str_equal(f->attr, attr))
            continue;
        g_free(f->attr);
        g_free(f);
        g_ptr_array_remove_index(host->faults, i);
        cleared++;
    }
    pthread_mutex_unlock(&host->fault_mutex);
    return cleared;
}

void
apsim_host_set_write_latency(ApsimHost *host, guint usec)
{
    g_atomic_int_set((gint *) &host->write_latency_usec, (gint) usec);
}

int
apsim_host_fault_check(ApsimHost *host, const char *attr)
{
    guint latency = (guint) g_atomic_int_get((gint *) &host->write_latency_usec);
    int rc = 0;

    if (latency)
        g_usleep(latency);
    pthread_mutex_lock(&host->fault_mutex);
    for (guint i = 0; i < host->faults->len; i++) {
        ApsimFault *f = g_ptr_array_index(host->faults, i);

        if (!g_str_equal(f->attr, attr))
            continue;
        if (--f->countdown == 0) {
            rc = -f->err;
            g_free(f->attr);
            g_free(f);
            g_ptr_array_remove_index(host->faults, i);
        }
        break;
    }
    pthread_mutex_unlock(&host->fault_mutex);
    return rc;
}

/* ---- lookups ---------------------------------------------------------------------------------------- */

ApsimCard *
apsim_host_card(ApsimHost *host, guint id)
{
    ApsimCard *card = NULL;

    if (id > 255)
        return NULL;
    apm_lock_acquire(&host->devices);
    if (host->cards[id].present)
        card = &host->cards[id];
    apm_lock_release(&host->devices);
    return card;
}

ApsimQueue *
apsim_host_queue(ApsimHost *host, guint adapter, guint domain)
{
    ApsimQueue *q = NULL;

    if (adapter > 255 || domain > 255)
        return NULL;
    apm_lock_acquire(&host->devices);
    if (apsim_queue_slot(host, adapter, domain)->present)
        q = apsim_queue_slot(host, adapter, domain);
    apm_lock_release(&host->devices);
    return q;
}

ApsimDriver
apsim_host_queue_driver(ApsimHost *host, ApsimQueue *q)
{
    ApsimDriver driver;

    apm_lock_acquire(&host->devices);
    driver = q->driver;
    apm_lock_release(&host->devices);
    return driver;
}

ApsimMdev *
apsim_host_lookup_mdev(ApsimHost *host, const char *uuid)
{
    ApsimMdev *mdev;

    apm_lock_acquire(&host->devices);
    mdev = g_hash_table_lookup(host->mdev_registry, uuid);
    if (mdev)
        apsim_mdev_ref(mdev);
    apm_lock_release(&host->devices);
    return mdev;
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
apsim_sorted_keys(GHashTable *registry)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, registry);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(names, g_strdup(key));
    g_ptr_array_sort(names, compare_strings);
    return names;
}

GPtrArray *
apsim_host_list_mdevs(ApsimHost *host)
{
    GPtrArray *names;

    apm_lock_acquire(&host->devices);
    names = apsim_sorted_keys(host->mdev_registry);
    apm_lock_release(&host->devices);
    return names;
}

void
apsim_host_present_cards(ApsimHost *host, ApmMask *cards)
{
    apm_mask_clear_all(cards);
    apm_lock_acquire(&host->devices);
    for (guint a = 0; a < 256; a++)
        if (host->cards[a].present)
            apm_mask_set(cards, a);
    apm_lock_release(&host->devices);
}

void
apsim_host_present_queues(ApsimHost *host, guint adapter, ApmMask *domains)
{
    apm_mask_clear_all(domains);
    apm_lock_acquire(&host->devices);
    for (guint d = 0; d < 256; d++)
        if (apsim_queue_slot(host, adapter, d)->present)
            apm_mask_set(domains, d);
    apm_lock_release(&host->devices);
}

GPtrArray *
apsim_host_driver_queues(ApsimHost *host, ApsimDriver driver)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

    apm_lock_acquire(&host->devices);
    for (guint i = 0; i < 256 * 256; i++) {
        ApsimQueue *q = &host->queues[i];

        if (q->present && q->driver == driver)
            g_ptr_array_add(names, g_strdup_printf("%02x.%04x", q->adapter, q->domain));
    }
    apm_lock_release(&host->devices);
    return names;
}

/* ---- the kernel's lock helpers ---------------------------------------------------------------------- */

void
apsim_get_update_locks_for_mdev(ApsimHost *host, ApsimMdev *mdev, ApsimGuest **guest_out)
{
    ApsimGuest *guest;

    apm_lock_acquire(&host->guests_lock);
    guest = mdev ? mdev->guest : NULL;
    if (guest)
        apm_lock_acquire(&guest->kvm_lock);
    apm_lock_acquire(&host->mdevs_lock);
    *guest_out = guest;
}

void
apsim_release_update_locks(ApsimHost *host, ApsimGuest *guest)
{
    apm_lock_release(&host->mdevs_lock);
    if (guest)
        apm_lock_release(&guest->kvm_lock);
    apm_lock_release(&host->guests_lock);
}

ApsimMdev *
apsim_get_update_locks_by_apqn(ApsimHost *host, ApmApqn apqn, ApsimGuest **guest_out)
{
    ApsimMdev *owner = NULL;

    apm_lock_acquire(&host->guests_lock);
    for (guint i = 0; i < host->mdev_list->len; i++) {
        ApsimMdev *m = g_ptr_array_index(host->mdev_list, i);

        if (apm_matrix_has_apqn(&m->matrix, apqn)) {
            owner = m;
            break;
        }
    }
    *guest_out = owner ? owner->guest : NULL;
    if (*guest_out)
        apm_lock_acquire(&(*guest_out)->kvm_lock);
    apm_lock_acquire(&host->mdevs_lock);
    return owner;
}

/* ---- vfio_ap internals (update locks held) ---------------------------------------------------------- */

static gboolean
queue_passable(const ApsimQueue *q)
{
    return q->reset_rc == APSIM_RC_NORMAL || q->reset_rc == APSIM_RC_DECONFIGURED ||
           q->reset_rc == APSIM_RC_CHECKSTOPPED;
}

gboolean
apsim_filter_matrix(ApsimHost *host, ApsimMdev *m, ApmMask *apm_filtered)
{
    ApmMask prev_apm = m->shadow.adapters, prev_aqm = m->shadow.domains;

    apm_lock_assert_held(&host->mdevs_lock);
    apm_mask_clear_all(apm_filtered);
    apm_mask_and(&m->shadow.adapters, &m->matrix.adapters, &host->qci.adapters);
    apm_mask_and(&m->shadow.domains, &m->matrix.domains, &host->qci.domains);
    APM_MASK_FOREACH(apid, &m->shadow.adapters) {
        APM_MASK_FOREACH(apqi, &m->shadow.domains) {
            const ApsimQueue *q = apsim_queue_slot(host, apid, apqi);

            if (q->mdev != m || !queue_passable(q)) {
                apm_mask_clear(&m->shadow.adapters, apid);
                if (apm_mask_test(&prev_apm, apid))
                    apm_mask_set(apm_filtered, apid);
                break;
            }
        }
    }
    return !apm_mask_equal(&prev_apm, &m->shadow.adapters) || !apm_mask_equal(&prev_aqm, &m->shadow.domains);
}

gboolean
apsim_filter_cdoms(ApsimHost *host, ApsimMdev *m)
{
    ApmMask prev = m->shadow.control_domains;

    apm_lock_assert_held(&host->mdevs_lock);
    apm_mask_and(&m->shadow.control_domains, &m->matrix.control_domains, &host->qci.control_domains);
    return !apm_mask_equal(&prev, &m->shadow.control_domains);
}

void
apsim_update_guest_apcb(ApsimHost *host, ApsimMdev *m)
{
    ApsimGuest *guest = m->guest;

    apm_lock_assert_held(&host->mdevs_lock);
    if (!guest)
        return;
    apm_lock_assert_held(&guest->kvm_lock);
    guest->apcb = m->shadow;
    guest->apcb_updates++;
    if (m->cfg_chg_registered)
        guest->cfg_changes++;
}

/* The response code a reset of the card's queues gives (TAPQ): passable in all three cases. */
static int
card_queue_rc(const ApsimCard *card)
{
    return card->chkstop ? APSIM_RC_CHECKSTOPPED : card->config ? APSIM_RC_NORMAL : APSIM_RC_DECONFIGURED;
}

static void
reset_queue(ApsimQueue *q)
{
    q->resets++;
    q->irq_enabled = FALSE;
}

void
apsim_reset_queues_for_apids(ApsimHost *host, ApsimMdev *m, const ApmMask *apids)
{
    APM_MASK_FOREACH(apid, apids) {
        APM_MASK_FOREACH(apqi, &m->matrix.domains) {
            ApsimQueue *q = apsim_queue_slot(host, apid, apqi);

            if (q->mdev == m)
                reset_queue(q);
        }
    }
}

static void
link_apqn(ApsimHost *host, ApsimMdev *m, guint apid, guint apqi)
{
    ApsimQueue *q = apsim_queue_slot(host, apid, apqi);
    gboolean bound;

    apm_lock_acquire(&host->devices);
    bound = q->present && q->driver == APSIM_DRV_VFIO;
    apm_lock_release(&host->devices);
    if (bound)
        q->mdev = m;
}

void
apsim_link_adapter(ApsimHost *host, ApsimMdev *m, guint apid)
{
    APM_MASK_FOREACH(apqi, &m->matrix.domains)
        link_apqn(host, m, apid, apqi);
}

void
apsim_link_domain(ApsimHost *host, ApsimMdev *m, guint apqi)
{
    APM_MASK_FOREACH(apid, &m->matrix.adapters)
        link_apqn(host, m, apid, apqi);
}

/* Unlinks the queues of the given adapters (by_adapter) or domains; resets those that were plugged in. */
static void
hot_unplug(ApsimHost *host, ApsimMdev *m, const ApmMask *ids, gboolean by_adapter)
{
    GPtrArray *to_reset = g_ptr_array_new();
    gboolean update = FALSE;

    APM_MASK_FOREACH(id, ids) {
        const ApmMask *other = by_adapter ? &m->matrix.domains : &m->matrix.adapters;

        APM_MASK_FOREACH(o, other) {
            guint apid = by_adapter ? (guint) id : (guint) o;
            guint apqi = by_adapter ? (guint) o : (guint) id;
            ApsimQueue *q = apsim_queue_slot(host, apid, apqi);

            if (q->mdev != m)
                continue;
            if (apm_mask_test(&m->shadow.adapters, apid) && apm_mask_test(&m->shadow.domains, apqi))
                g_ptr_array_add(to_reset, q);
            q->mdev = NULL;
        }
        if (by_adapter && apm_mask_test(&m->shadow.adapters, id)) {
            apm_mask_clear(&m->shadow.adapters, id);
            update = TRUE;
        }
        if (!by_adapter && apm_mask_test(&m->shadow.domains, id)) {
            apm_mask_clear(&m->shadow.domains, id);
            update = TRUE;
        }
    }
    if (update)
        apsim_update_guest_apcb(host, m);
    for (guint i = 0; i < to_reset->len; i++)
        reset_queue(g_ptr_array_index(to_reset, i));
    g_ptr_array_unref(to_reset);
}

void
apsim_hot_unplug_adapters(ApsimHost *host, ApsimMdev *m, const ApmMask *apids)
{
    hot_unplug(host, m, apids, TRUE);
}

void
apsim_hot_unplug_domains(ApsimHost *host, ApsimMdev *m, const ApmMask *apqis)
{
    hot_unplug(host, m, apqis, FALSE);
}

/* ap_owned_by_def_drv(): ap_attr_mutex held. */
static gboolean
owned_by_def_drv(ApsimHost *host, guint apid, guint apqi)
{
    ApsimQueue *q = apsim_queue_slot(host, apid, apqi);

    apm_lock_assert_held(&host->ap_attr_mutex);
    if (host->driver_override_ctr > 0 && q->driver_override) {
        ApsimDriver driver;

        apm_lock_acquire(&host->devices);
        driver = q->present ? q->driver : APSIM_DRV_NONE;
        apm_lock_release(&host->devices);
        return driver == APSIM_DRV_ZCRYPT;
    }
    return apm_mask_test(&host->apmask, apid) && apm_mask_test(&host->aqmask, apqi);
}

gboolean
apsim_apqn_in_matrix_owned_by_def_drv(ApsimHost *host, const ApmMask *apm, const ApmMask *aqm)
{
    APM_MASK_FOREACH(apid, apm) {
        APM_MASK_FOREACH(apqi, aqm) {
            if (owned_by_def_drv(host, apid, apqi))
                return TRUE;
        }
    }
    return FALSE;
}

int
apsim_verify_no_sharing(ApsimHost *host, ApsimMdev *mdev, const ApmMask *apm, const ApmMask *aqm)
{
    int rc = 0;

    for (guint i = 0; i < host->mdev_list->len; i++) {
        ApsimMdev *other = g_ptr_array_index(host->mdev_list, i);
        ApmMask apm_shared, aqm_shared;

        if (other == mdev)
            continue;
        apm_mask_and(&apm_shared, apm, &other->matrix.adapters);
        apm_mask_and(&aqm_shared, aqm, &other->matrix.domains);
        if (apm_mask_is_empty(&apm_shared) || apm_mask_is_empty(&aqm_shared))
            continue;
        APM_MASK_FOREACH(a, &apm_shared) {
            APM_MASK_FOREACH(d, &aqm_shared)
                g_info("vfio_ap: Userspace may not assign queue %02x.%04x to mdev: already assigned to %s", a, d,
                       other->name);
        }
        rc = -EADDRINUSE;
    }
    return rc;
}

int
apsim_vfio_in_use(ApsimHost *host, const ApmMask *apm, const ApmMask *aqm)
{
    int rc;

    apm_lock_acquire(&host->guests_lock);
    apm_lock_acquire(&host->mdevs_lock);
    rc = apsim_verify_no_sharing(host, NULL, apm, aqm);
    apm_lock_release(&host->mdevs_lock);
    apm_lock_release(&host->guests_lock);
    return rc;
}

/* ---- queue binding ---------------------------------------------------------------------------------- */

/* vfio_ap_mdev_remove_queue (§2.3) */
static void
vfio_remove_queue(ApsimHost *host, ApsimQueue *q)
{
    ApsimGuest *guest;
    ApsimMdev *m;

    apm_lock_acquire(&host->guests_lock);
    m = q->mdev;
    guest = m ? m->guest : NULL;
    if (guest)
        apm_lock_acquire(&guest->kvm_lock);
    apm_lock_acquire(&host->mdevs_lock);
    m = q->mdev;
    if (m && apm_mask_test(&m->shadow.adapters, q->adapter) && apm_mask_test(&m->shadow.domains, q->domain)) {
        apm_mask_clear(&m->shadow.adapters, q->adapter);
        apsim_update_guest_apcb(host, m);
        APM_MASK_FOREACH(apqi, &m->shadow.domains) {
            ApsimQueue *other = apsim_queue_slot(host, q->adapter, apqi);

            if (other->mdev == m)
                reset_queue(other);
        }
        reset_queue(q);
    } else if (apm_mask_test(&host->qci.adapters, q->adapter) && apm_mask_test(&host->qci.domains, q->domain)) {
        reset_queue(q);
    }
    q->mdev = NULL;
    apm_lock_release(&host->mdevs_lock);
    if (guest)
        apm_lock_release(&guest->kvm_lock);
    apm_lock_release(&host->guests_lock);
}

/* vfio_ap_mdev_probe_queue (§2.3) */
static void
vfio_probe_queue(ApsimHost *host, ApsimQueue *q)
{
    ApmApqn apqn = { q->adapter, q->domain };
    ApsimGuest *guest;
    ApsimMdev *m = apsim_get_update_locks_by_apqn(host, apqn, &guest);

    q->reset_rc = APSIM_RC_NORMAL;
    q->irq_enabled = FALSE;
    if (m) {
        ApmMask filtered;

        q->mdev = m;
        if (apm_mask_is_empty(&m->apm_add) && apm_mask_is_empty(&m->aqm_add) &&
            apsim_filter_matrix(host, m, &filtered)) {
            apsim_update_guest_apcb(host, m);
            apsim_reset_queues_for_apids(host, m, &filtered);
        }
    }
    apsim_release_update_locks(host, guest);
}

static void
bind_queue(ApsimHost *host, ApsimQueue *q, ApsimDriver driver)
{
    const char *names[] = { [APSIM_DRV_NONE] = NULL, [APSIM_DRV_ZCRYPT] = "cex4queue", [APSIM_DRV_VFIO] = "vfio_ap" };
    ApsimDriver old;

    apm_lock_acquire(&host->devices);
    old = q->driver;
    apm_lock_release(&host->devices);
    if (old == driver)
        return;
    if (old != APSIM_DRV_NONE) {
        const char *env[] = { g_strdup_printf("DRIVER=%s", names[old]), NULL };

        if (old == APSIM_DRV_VFIO)
            vfio_remove_queue(host, q);
        apm_lock_acquire(&host->devices);
        q->driver = APSIM_DRV_NONE;
        q->online = FALSE;
        apm_lock_release(&host->devices);
        apsim_emit_ap_uevent(host, APSIM_UEVENT_UNBIND, q->adapter, (int) q->domain, env);
        g_free((char *) env[0]);
    }
    if (driver != APSIM_DRV_NONE) {
        const char *env[] = { g_strdup_printf("DRIVER=%s", names[driver]), NULL };

        apm_lock_acquire(&host->devices);
        q->driver = driver;
        q->online = driver == APSIM_DRV_ZCRYPT && host->cards[q->adapter].config &&
                    host->cards[q->adapter].online;
        /* ap_device_probe re-arms the bindings completion: the next complete state is a new one */
        host->bindings_complete = FALSE;
        apm_lock_release(&host->devices);
        if (driver == APSIM_DRV_VFIO)
            vfio_probe_queue(host, q);
        apsim_emit_ap_uevent(host, APSIM_UEVENT_BIND, q->adapter, (int) q->domain, env);
        g_free((char *) env[0]);
    }
}

/* The driver a present queue should be bound to (ap_device_probe's rules): ap_attr_mutex held. */
static ApsimDriver
wanted_driver(ApsimHost *host, const ApsimQueue *q)
{
    const ApsimCard *card = &host->cards[q->adapter];

    if (q->driver_override) {
        if (g_str_equal(q->driver_override, "vfio_ap") && card->hwtype <= 14)
            return APSIM_DRV_VFIO;
        if (g_str_equal(q->driver_override, "cex4queue"))
            return APSIM_DRV_ZCRYPT;
        return APSIM_DRV_NONE;
    }
    if (apm_mask_test(&host->apmask, q->adapter) && apm_mask_test(&host->aqmask, q->domain))
        return APSIM_DRV_ZCRYPT;
    return card->hwtype <= 14 ? APSIM_DRV_VFIO : APSIM_DRV_NONE;
}

void
apsim_count_bindings_locked(ApsimHost *host, guint *bound, guint *total)
{
    apm_lock_assert_held(&host->devices);
    *bound = *total = 0;
    for (guint i = 0; i < 256 * 256; i++) {
        if (!host->queues[i].present)
            continue;
        (*total)++;
        *bound += host->queues[i].driver != APSIM_DRV_NONE;
    }
}

void
apsim_reset_linked_queues(ApsimHost *host, ApsimMdev *mdev, gboolean unlink)
{
    apm_lock_assert_held(&host->mdevs_lock);
    for (guint i = 0; i < 256 * 256; i++) {
        ApsimQueue *q = &host->queues[i];

        if (q->mdev != mdev)
            continue;
        reset_queue(q);
        if (unlink)
            q->mdev = NULL;
    }
}

static void
update_bindings_complete(ApsimHost *host)
{
    guint total, bound;
    gboolean complete;
    char count[48];

    apm_lock_acquire(&host->devices);
    apsim_count_bindings_locked(host, &bound, &total);
    /* ap_check_bindings_complete: the event (and the count) once per incomplete -> complete transition; a scan that
     * only removed devices probed nothing, so it completes nothing new */
    complete = bound == total && !host->bindings_complete;
    if (complete) {
        host->bindings_complete_count++;
        host->bindings_complete = TRUE;
    } else if (bound != total) {
        host->bindings_complete = FALSE;
    }
    g_snprintf(count, sizeof(count), "COMPLETECOUNT=%" G_GUINT64_FORMAT, host->bindings_complete_count);
    apm_lock_release(&host->devices);
    if (complete) {
        const char *env[] = { "BINDINGS=complete", count, NULL };

        apsim_emit_uevent(host, APSIM_UEVENT_CHANGE, "/devices/ap", "ap", env);
    }
}

void
apsim_revise_bindings(ApsimHost *host)
{
    for (guint i = 0; i < 256 * 256; i++) {
        ApsimQueue *q = &host->queues[i];
        ApsimDriver want;
        gboolean present;

        apm_lock_acquire(&host->devices);
        present = q->present;
        apm_lock_release(&host->devices);
        if (!present)
            continue;
        apm_lock_acquire(&host->ap_attr_mutex);
        want = wanted_driver(host, q);
        apm_lock_release(&host->ap_attr_mutex);
        bind_queue(host, q, want);
    }
    update_bindings_complete(host);
}

/* ---- host configuration changes (§2.4) -------------------------------------------------------------- */

static void
on_config_changed(ApsimHost *host, const ApmMatrix *new_qci, const ApmMatrix *old_qci)
{
    ApmMatrix removed, added;

    apm_mask_andnot(&removed.adapters, &old_qci->adapters, &new_qci->adapters);
    apm_mask_andnot(&removed.domains, &old_qci->domains, &new_qci->domains);
    apm_mask_andnot(&removed.control_domains, &old_qci->control_domains, &new_qci->control_domains);
    apm_mask_andnot(&added.adapters, &new_qci->adapters, &old_qci->adapters);
    apm_mask_andnot(&added.domains, &new_qci->domains, &old_qci->domains);
    apm_mask_andnot(&added.control_domains, &new_qci->control_domains, &old_qci->control_domains);
    /* new adapters of a type below CEX4 are not considered */
    APM_MASK_FOREACH(a, &added.adapters)
        if (!supported_type(host->cards[a].raw_hwtype))
            apm_mask_clear(&added.adapters, a);

    apm_lock_acquire(&host->guests_lock);
    for (guint i = 0; i < host->mdev_list->len; i++) {
        ApsimMdev *m = g_ptr_array_index(host->mdev_list, i);
        ApsimGuest *guest = m->guest;
        ApmMask gone;
        gboolean update = FALSE;

        /* upstream takes kvm->lock unconditionally here; apsim only when a guest is attached (§2.4 note) */
        if (guest)
            apm_lock_acquire(&guest->kvm_lock);
        apm_lock_acquire(&host->mdevs_lock);
        apm_mask_and(&gone, &removed.adapters, &m->shadow.adapters);
        if (!apm_mask_is_empty(&gone)) {
            apm_mask_andnot(&m->shadow.adapters, &m->shadow.adapters, &gone);
            update = TRUE;
        }
        apm_mask_and(&gone, &removed.domains, &m->shadow.domains);
        if (!apm_mask_is_empty(&gone)) {
            apm_mask_andnot(&m->shadow.domains, &m->shadow.domains, &gone);
            update = TRUE;
        }
        apm_mask_and(&gone, &removed.control_domains, &m->shadow.control_domains);
        if (!apm_mask_is_empty(&gone)) {
            apm_mask_andnot(&m->shadow.control_domains, &m->shadow.control_domains, &gone);
            update = TRUE;
        }
        if (update)
            apsim_update_guest_apcb(host, m);
        apm_mask_and(&m->apm_add, &added.adapters, &m->matrix.adapters);
        apm_mask_and(&m->aqm_add, &added.domains, &m->matrix.domains);
        apm_mask_and(&m->adm_add, &added.control_domains, &m->matrix.control_domains);
        apm_lock_release(&host->mdevs_lock);
        if (guest)
            apm_lock_release(&guest->kvm_lock);
    }
    /* matrix_dev->info = new QCI */
    apm_lock_acquire(&host->devices);
    host->qci = *new_qci;
    apm_lock_release(&host->devices);
    apm_lock_release(&host->guests_lock);
}

static void
on_scan_complete(ApsimHost *host)
{
    apm_lock_acquire(&host->guests_lock);
    for (guint i = 0; i < host->mdev_list->len; i++) {
        ApsimMdev *m = g_ptr_array_index(host->mdev_list, i);
        ApsimGuest *guest = m->guest;
        ApmMask filtered;
        gboolean update;

        if (guest)
            apm_lock_acquire(&guest->kvm_lock);
        apm_lock_acquire(&host->mdevs_lock);
        if (!apm_mask_is_empty(&m->apm_add) || !apm_mask_is_empty(&m->aqm_add) ||
            !apm_mask_is_empty(&m->adm_add)) {
            update = apsim_filter_matrix(host, m, &filtered);
            update |= apsim_filter_cdoms(host, m);
            if (update) {
                apsim_update_guest_apcb(host, m);
                apsim_reset_queues_for_apids(host, m, &filtered);
            }
            apm_mask_clear_all(&m->apm_add);
            apm_mask_clear_all(&m->aqm_add);
            apm_mask_clear_all(&m->adm_add);
        }
        apm_lock_release(&host->mdevs_lock);
        if (guest)
            apm_lock_release(&guest->kvm_lock);
    }
    apm_lock_release(&host->guests_lock);
}

/* ap_scan_bus: cards and queues follow the QCI masks; bindings follow the masks. */
static void
scan_devices(ApsimHost *host)
{
    ApmMatrix qci;

    apm_lock_acquire(&host->devices);
    qci = host->qci;
    apm_lock_release(&host->devices);
    for (guint a = 0; a < 256; a++) {
        ApsimCard *card = &host->cards[a];
        gboolean want_card = apm_mask_test(&qci.adapters, a) && supported_type(card->raw_hwtype);

        if (want_card && !card->present) {
            apm_lock_acquire(&host->devices);
            card->present = TRUE;
            card->online = card->config;
            apm_lock_release(&host->devices);
            apsim_emit_ap_uevent(host, APSIM_UEVENT_ADD, a, -1, NULL);
        }
        for (guint d = 0; d < 256; d++) {
            ApsimQueue *q = apsim_queue_slot(host, a, d);
            gboolean want = want_card && apm_mask_test(&qci.domains, d);
            gboolean present;

            apm_lock_acquire(&host->devices);
            present = q->present;
            apm_lock_release(&host->devices);
            if (want == present)
                continue;
            if (want) {
                ApsimDriver driver;

                apm_lock_acquire(&host->devices);
                q->present = TRUE;
                q->reset_rc = card_queue_rc(card);
                apm_lock_release(&host->devices);
                apsim_emit_ap_uevent(host, APSIM_UEVENT_ADD, a, (int) d, NULL);
                apm_lock_acquire(&host->ap_attr_mutex);
                driver = wanted_driver(host, q);
                apm_lock_release(&host->ap_attr_mutex);
                bind_queue(host, q, driver);
            } else {
                bind_queue(host, q, APSIM_DRV_NONE);
                apm_lock_acquire(&host->devices);
                q->present = FALSE;
                apm_lock_release(&host->devices);
                apsim_emit_ap_uevent(host, APSIM_UEVENT_REMOVE, a, (int) d, NULL);
            }
        }
        if (!want_card && card->present) {
            apm_lock_acquire(&host->devices);
            card->present = FALSE;
            apm_lock_release(&host->devices);
            apsim_emit_ap_uevent(host, APSIM_UEVENT_REMOVE, a, -1, NULL);
        }
    }
}

void
apsim_host_set_qci(ApsimHost *host, const ApmMatrix *new_qci)
{
    ApmMatrix old;
    gboolean changed;

    apm_lock_acquire(&host->scan_mutex);
    apm_lock_acquire(&host->devices);
    old = host->qci;
    apm_lock_release(&host->devices);
    changed = !apm_matrix_equal(&old, new_qci);
    if (changed)
        on_config_changed(host, new_qci, &old);
    scan_devices(host);
    if (changed)
        on_scan_complete(host);
    apm_lock_acquire(&host->devices);
    host->scans++;
    apm_lock_release(&host->devices);
    update_bindings_complete(host);
    apm_lock_release(&host->scan_mutex);
}

void
apsim_host_get_qci(ApsimHost *host, ApmMatrix *qci)
{
    apm_lock_acquire(&host->devices);
    *qci = host->qci;
    apm_lock_release(&host->devices);
}

int
apsim_host_card_set_config(ApsimHost *host, guint adapter, gboolean config)
{
    ApsimCard *card = apsim_host_card(host, adapter);

    ApmMask queues;
    gboolean changed;
    const char *env[] = { config ? "CONFIG=1" : "CONFIG=0", NULL };

    if (!card)
        return -ENODEV;
    apm_mask_clear_all(&queues);
    apm_lock_acquire(&host->scan_mutex);
    apm_lock_acquire(&host->mdevs_lock);
    apm_lock_acquire(&host->devices);
    changed = card->config != config;
    card->config = config;
    card->online = config;
    for (guint d = 0; d < 256; d++) {
        ApsimQueue *q = apsim_queue_slot(host, adapter, d);

        if (!q->present)
            continue;
        q->reset_rc = card_queue_rc(card);
        q->online = config && q->driver == APSIM_DRV_ZCRYPT;
        apm_mask_set(&queues, d);
    }
    apm_lock_release(&host->devices);
    apm_lock_release(&host->mdevs_lock);
    /* config_store: a change event with CONFIG= after every write that succeeded; the queues' configuration follows
     * the card's, and the bus scan that finds it changed sends theirs */
    apsim_emit_ap_uevent(host, APSIM_UEVENT_CHANGE, adapter, -1, env);
    if (changed)
        APM_MASK_FOREACH(d, &queues)
            apsim_emit_ap_uevent(host, APSIM_UEVENT_CHANGE, adapter, d, env);
    apm_lock_release(&host->scan_mutex);
    return 0;
}

void
apsim_host_card_set_chkstop(ApsimHost *host, guint adapter, gboolean chkstop)
{
    ApsimCard *card = apsim_host_card(host, adapter);

    if (!card)
        return;
    apm_lock_acquire(&host->mdevs_lock);
    apm_lock_acquire(&host->devices);
    card->chkstop = chkstop;
    for (guint d = 0; d < 256; d++) {
        ApsimQueue *q = apsim_queue_slot(host, adapter, d);

        if (q->present)
            q->reset_rc = card_queue_rc(card);
    }
    apm_lock_release(&host->devices);
    apm_lock_release(&host->mdevs_lock);
}

int
apsim_host_bind_queue(ApsimHost *host, ApsimQueue *q, ApsimDriver driver)
{
    ApsimDriver want;

    apm_lock_acquire(&host->ap_attr_mutex);
    want = wanted_driver(host, q);
    apm_lock_release(&host->ap_attr_mutex);
    if (want != driver)
        return -ENODEV;
    bind_queue(host, q, driver);
    update_bindings_complete(host);
    return 0;
}

void
apsim_host_unbind_queue(ApsimHost *host, ApsimQueue *q)
{
    bind_queue(host, q, APSIM_DRV_NONE);
    update_bindings_complete(host);
}
