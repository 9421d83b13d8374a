/* apsim-vfio.c: the vfio_ap matrix device, its mdev type and the mdev attributes (spec/kernel-ap.md §1.5-§1.6,
 * §2.7) */
#include "config.h"
#include "apsim-attrs.h"
#include "apsim-host-private.h"

#include <errno.h>

#include "apm-kstrto.h"

/* ---- the matrix device ---------------------------------------------------------------------------- */

static int
show_matrix_features(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "guest_matrix");
    if (host->topology->hotplug)
        g_string_append(out, " hotplug");
    if (host->topology->ap_config)
        g_string_append(out, " ap_config");
    g_string_append_c(out, '\n');
    return 0;
}

static int
show_matrix_uevent(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "DRIVER=vfio_ap\n"); /* no DEVTYPE: libvirt tells the matrix by its subsystem */
    return 0;
}

static const ApsimAttr matrix_attrs[] = {
    { "features", 0444, show_matrix_features, NULL, NULL },
    { "uevent", 0644, show_matrix_uevent, NULL, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_matrix_attrs, matrix_attrs)

/* ---- mdev_supported_types/vfio_ap-passthrough ------------------------------------------------------ */

static int
show_type_name(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "VFIO AP Passthrough Device\n");
    return 0;
}

static int
show_type_device_api(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "vfio-ap\n");
    return 0;
}

static int
show_type_available(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%u\n", APSIM_MAX_MDEVS - host->mdev_count);
    apm_lock_release(&host->devices);
    return 0;
}

/* create_store + mdev_device_create + vfio_ap_mdev_probe */
static int
store_type_create(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    g_autofree char *text = NULL;
    ApsimMdev *mdev;
    ApmUuid uuid;
    char devpath[80];

    if (len < APM_UUID_TEXT_LEN || len > APM_UUID_TEXT_LEN + 1)
        return -EINVAL;
    /* uuid_is_valid looks at the first 36 characters only */
    text = g_strndup(buf, APM_UUID_TEXT_LEN);
    if (strlen(text) != APM_UUID_TEXT_LEN || !apm_uuid_parse(text, &uuid))
        return -EINVAL;
    mdev = g_new0(ApsimMdev, 1);
    mdev->refcount = 1;
    mdev->uuid = uuid;
    apm_uuid_format(&uuid, mdev->name);

    apm_lock_acquire(&host->devices);
    if (g_hash_table_contains(host->mdev_registry, mdev->name)) {
        apm_lock_release(&host->devices);
        g_free(mdev);
        return -EEXIST;
    }
    if (host->mdev_count >= APSIM_MAX_MDEVS) {
        apm_lock_release(&host->devices);
        g_free(mdev);
        return -EUSERS;
    }
    host->mdev_count++;
    mdev->iommu_group = host->next_iommu_group++;
    apm_lock_release(&host->devices);

    /* vfio_ap_mdev_probe: the matrix starts empty; upstream adds to mdev_list under mdevs_lock only, apsim
     * takes guests_lock too so that walkers holding either see a consistent list */
    apm_lock_acquire(&host->guests_lock);
    apm_lock_acquire(&host->mdevs_lock);
    apsim_mdev_ref(mdev);
    g_ptr_array_add(host->mdev_list, mdev);
    apm_lock_release(&host->mdevs_lock);
    apm_lock_release(&host->guests_lock);

    apm_lock_acquire(&host->devices);
    mdev->registered = TRUE;
    g_hash_table_insert(host->mdev_registry, mdev->name, mdev);
    apm_lock_release(&host->devices);

    /* vfio_register_emulated_iommu_dev: the group's /dev/vfio node */
    apsim_emit_group(host, mdev->iommu_group, TRUE);
    g_snprintf(devpath, sizeof(devpath), "/devices/vfio_ap/matrix/%s", mdev->name);
    {
        g_autofree char *type = g_strdup("MDEV_TYPE=vfio_ap-passthrough");
        const char *env[] = { type, NULL };

        apsim_emit_uevent(host, APSIM_UEVENT_ADD, devpath, "mdev", env);
    }
    return 0;
}

static const ApsimAttr mdev_type_attrs[] = {
    { "available_instances", 0444, show_type_available, NULL, NULL },
    { "create", 0200, NULL, store_type_create, NULL },
    { "device_api", 0444, show_type_device_api, NULL, NULL },
    { "name", 0444, show_type_name, NULL, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_mdev_type_attrs, mdev_type_attrs)

/* ---- the mdev's attributes ------------------------------------------------------------------------ */

static guint
apm_max(ApsimHost *host)
{
    return host->max_adapter_id;
}

static guint
aqm_max(ApsimHost *host)
{
    return host->max_domain_id;
}

/* kstrtoul(buf, 0) and the limit check shared by the six assign/unassign attributes. */
static int
parse_id(const char *buf, guint max, guint *id)
{
    guint64 value;
    int rc = apm_kstrtoul(buf, 0, &value);

    if (rc)
        return rc;
    if (value > max)
        return -ENODEV;
    *id = (guint) value;
    return 0;
}

/* Without dynamic configuration (before 6.0) every change to an mdev in use by a guest was refused. */
static gboolean
busy_without_hotplug(ApsimHost *host, ApsimMdev *m)
{
    return !host->topology->hotplug && m->guest;
}

static int
validate_masks(ApsimHost *host, ApsimMdev *m)
{
    if (apsim_apqn_in_matrix_owned_by_def_drv(host, &m->matrix.adapters, &m->matrix.domains))
        return -EADDRNOTAVAIL;
    return apsim_verify_no_sharing(host, m, &m->matrix.adapters, &m->matrix.domains);
}

/* assign_adapter_store / assign_domain_store (§1.6) */
static int
store_assign(ApsimHost *host, ApsimMdev *m, const char *buf, gboolean adapter)
{
    ApsimGuest *guest;
    ApmMask *mask = adapter ? &m->matrix.adapters : &m->matrix.domains;
    ApmMask filtered;
    guint id;
    int rc;

    apm_lock_acquire(&host->ap_attr_mutex);
    apsim_get_update_locks_for_mdev(host, m, &guest);
    rc = parse_id(buf, adapter ? apm_max(host) : aqm_max(host), &id);
    if (rc)
        goto done;
    if (busy_without_hotplug(host, m)) {
        rc = -EBUSY;
        goto done;
    }
    if (apm_mask_test(mask, id))
        goto done;
    apm_mask_set(mask, id);
    rc = validate_masks(host, m);
    if (rc) {
        apm_mask_clear(mask, id);
        goto done;
    }
    if (adapter)
        apsim_link_adapter(host, m, id);
    else
        apsim_link_domain(host, m, id);
    if (apsim_filter_matrix(host, m, &filtered)) {
        apsim_update_guest_apcb(host, m);
        apsim_reset_queues_for_apids(host, m, &filtered);
    }
done:
    apsim_release_update_locks(host, guest);
    apm_lock_release(&host->ap_attr_mutex);
    return rc;
}

/* unassign_adapter_store / unassign_domain_store */
static int
store_unassign(ApsimHost *host, ApsimMdev *m, const char *buf, gboolean adapter)
{
    ApsimGuest *guest;
    ApmMask *mask = adapter ? &m->matrix.adapters : &m->matrix.domains;
    ApmMask ids;
    guint id;
    int rc;

    apsim_get_update_locks_for_mdev(host, m, &guest);
    rc = parse_id(buf, adapter ? apm_max(host) : aqm_max(host), &id);
    if (rc)
        goto done;
    if (busy_without_hotplug(host, m)) {
        rc = -EBUSY;
        goto done;
    }
    if (!apm_mask_test(mask, id))
        goto done;
    apm_mask_clear_all(&ids);
    apm_mask_set(&ids, id);
    if (adapter)
        apsim_hot_unplug_adapters(host, m, &ids);
    else
        apsim_hot_unplug_domains(host, m, &ids);
    apm_mask_clear(mask, id);
done:
    apsim_release_update_locks(host, guest);
    return rc;
}

static int
store_control_domain(ApsimHost *host, ApsimMdev *m, const char *buf, gboolean assign)
{
    ApsimGuest *guest;
    guint id;
    int rc;

    apsim_get_update_locks_for_mdev(host, m, &guest);
    rc = parse_id(buf, aqm_max(host), &id);
    if (rc)
        goto done;
    if (busy_without_hotplug(host, m)) {
        rc = -EBUSY;
        goto done;
    }
    if (assign) {
        apm_mask_set(&m->matrix.control_domains, id);
        if (apsim_filter_cdoms(host, m))
            apsim_update_guest_apcb(host, m);
    } else {
        apm_mask_clear(&m->matrix.control_domains, id);
        if (apm_mask_test(&m->shadow.control_domains, id)) {
            apm_mask_clear(&m->shadow.control_domains, id);
            apsim_update_guest_apcb(host, m);
        }
    }
done:
    apsim_release_update_locks(host, guest);
    return rc;
}

static int
store_assign_adapter(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_assign(host, obj->mdev, buf, TRUE);
}

static int
store_assign_domain(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_assign(host, obj->mdev, buf, FALSE);
}

static int
store_unassign_adapter(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_unassign(host, obj->mdev, buf, TRUE);
}

static int
store_unassign_domain(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_unassign(host, obj->mdev, buf, FALSE);
}

static int
store_assign_control_domain(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_control_domain(host, obj->mdev, buf, TRUE);
}

static int
store_unassign_control_domain(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_control_domain(host, obj->mdev, buf, FALSE);
}

static int
show_matrix(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_autofree char *text = NULL;

    apm_lock_acquire(&host->mdevs_lock);
    text = apm_matrix_format_apqns(&obj->mdev->matrix);
    apm_lock_release(&host->mdevs_lock);
    g_string_append(out, text);
    return 0;
}

static int
show_guest_matrix(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_autofree char *text = NULL;

    apm_lock_acquire(&host->mdevs_lock);
    text = apm_matrix_format_apqns(&obj->mdev->shadow);
    apm_lock_release(&host->mdevs_lock);
    g_string_append(out, text);
    return 0;
}

static int
show_control_domains(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_autofree char *text = NULL;

    apm_lock_acquire(&host->mdevs_lock);
    text = apm_matrix_format_control_domains(&obj->mdev->matrix.control_domains);
    apm_lock_release(&host->mdevs_lock);
    g_string_append(out, text);
    return 0;
}

/* The kernel reads ap_config without a lock; apsim takes mdevs_lock so that the read is not a data race in
 * the simulator itself. What userspace sees is the same. */
static int
show_ap_config(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_autofree char *text = NULL;

    apm_lock_acquire(&host->mdevs_lock);
    text = apm_matrix_format_ap_config(&obj->mdev->matrix);
    apm_lock_release(&host->mdevs_lock);
    g_string_append(out, text);
    return 0;
}

static gboolean
over_max(const ApmMask *mask, guint max)
{
    return apm_mask_last(mask) > (int) max;
}

/* ap_config_store (§1.6): all or nothing */
static int
store_ap_config(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    ApsimMdev *m = obj->mdev;
    ApsimGuest *guest;
    ApmMatrix m_new, m_old;
    ApmMask removed_apm, removed_aqm, added_apm, added_aqm, filtered;
    gboolean update;
    int rc;

    apm_lock_acquire(&host->ap_attr_mutex);
    apsim_get_update_locks_for_mdev(host, m, &guest);
    m_old = m->matrix;
    rc = apm_matrix_parse_ap_config(buf, &m_new);
    if (rc)
        goto out;
    if (busy_without_hotplug(host, m)) {
        rc = -EBUSY;
        goto out;
    }
    apm_mask_andnot(&removed_apm, &m_old.adapters, &m_new.adapters);
    apm_mask_andnot(&removed_aqm, &m_old.domains, &m_new.domains);
    apm_mask_andnot(&added_apm, &m_new.adapters, &m_old.adapters);
    apm_mask_andnot(&added_aqm, &m_new.domains, &m_old.domains);
    m->matrix = m_new;
    rc = validate_masks(host, m);
    if (!rc && (over_max(&m_new.adapters, apm_max(host)) || over_max(&m_new.domains, aqm_max(host)) ||
                over_max(&m_new.control_domains, aqm_max(host))))
        rc = -ENODEV;
    if (rc) {
        m->matrix = m_old;
        goto out;
    }
    m->matrix = m_old;
    apsim_hot_unplug_adapters(host, m, &removed_apm);
    apsim_hot_unplug_domains(host, m, &removed_aqm);
    m->matrix = m_new;
    APM_MASK_FOREACH(a, &added_apm)
        apsim_link_adapter(host, m, a);
    APM_MASK_FOREACH(d, &added_aqm)
        apsim_link_domain(host, m, d);
    update = apsim_filter_matrix(host, m, &filtered);
    update |= apsim_filter_cdoms(host, m);
    if (update) {
        apsim_update_guest_apcb(host, m);
        apsim_reset_queues_for_apids(host, m, &filtered);
    }
out:
    apsim_release_update_locks(host, guest);
    apm_lock_release(&host->ap_attr_mutex);
    return rc;
}

static gboolean
has_ap_config(ApsimHost *host, const ApsimObject *obj)
{
    return host->topology->ap_config;
}

/* vfio_ap_mdev_request (§2.7), under the update locks. */
static void
mdev_request(ApsimHost *host, ApsimMdev *m, guint count)
{
    ApsimGuest *guest;
    gboolean relay;

    apsim_get_update_locks_for_mdev(host, m, &guest);
    if (guest) {
        apm_matrix_clear(&guest->apcb); /* kvm_arch_crypto_clear_masks */
        guest->apcb_updates++;
        if (m->cfg_chg_registered)
            guest->cfg_changes++;
        apsim_guest_ref(guest);
    }
    relay = m->request_registered;
    m->requests++;
    if (relay && count % 10 == 0)
        g_info("vfio_ap_mdev %s: Relaying device request to user (#%u)", m->name, count);
    else if (!relay && count == 0)
        g_info("vfio_ap_mdev %s: No device request registered, blocked until released by user", m->name);
    apsim_release_update_locks(host, guest);
    if (guest) {
        if (relay && host->request_func)
            host->request_func(guest, m, count, host->request_data);
        apsim_guest_unref(guest);
    }
}

/* remove_store + mdev_device_remove + vfio_ap_mdev_remove: blocks while a guest holds the device. */
static int
store_remove(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    ApsimMdev *m = obj->mdev;
    guint64 value;
    guint count = 0;
    gboolean in_use;
    char devpath[80];

    if (apm_kstrtoul(buf, 0, &value) < 0)
        return -EINVAL;
    if (!value)
        return 0;
    apm_lock_acquire(&host->guests_lock);
    in_use = m->guest != NULL;
    apm_lock_release(&host->guests_lock);
    if (in_use && !host->topology->hotplug)
        return -EBUSY;
    /* device_remove_file_self: only the first writer removes */
    apm_lock_acquire(&host->devices);
    if (m->removing) {
        apm_lock_release(&host->devices);
        return 0;
    }
    m->removing = TRUE;
    apm_lock_release(&host->devices);

    /* vfio_unregister_group_dev: request, then wait up to 10 s, again and again, until released */
    for (;;) {
        gint64 deadline;

        apm_lock_acquire(&host->guests_lock);
        in_use = m->guest != NULL;
        apm_lock_release(&host->guests_lock);
        if (!in_use)
            break;
        mdev_request(host, m, count++);
        deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        pthread_mutex_lock(&host->wait_mutex);
        for (;;) {
            struct timespec ts;
            gint64 now = g_get_monotonic_time(), wait_until;
            gboolean released;

            apm_lock_acquire(&host->guests_lock);
            released = m->guest == NULL;
            apm_lock_release(&host->guests_lock);
            if (released || now >= deadline)
                break;
            wait_until = MIN(deadline, now + 100 * 1000); /* re-check at least every 100 ms */
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += (wait_until - now) / G_USEC_PER_SEC;
            ts.tv_nsec += ((wait_until - now) % G_USEC_PER_SEC) * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&host->wait_cond, &host->wait_mutex, &ts);
        }
        pthread_mutex_unlock(&host->wait_mutex);
    }

    apm_lock_acquire(&host->guests_lock);
    apm_lock_acquire(&host->mdevs_lock);
    apsim_reset_linked_queues(host, m, TRUE);
    g_ptr_array_remove(host->mdev_list, m);
    apm_lock_release(&host->mdevs_lock);
    apm_lock_release(&host->guests_lock);
    apsim_mdev_unref(m); /* the list's reference */

    apm_lock_acquire(&host->devices);
    m->registered = FALSE;
    host->mdev_count--;
    g_snprintf(devpath, sizeof(devpath), "/devices/vfio_ap/matrix/%s", m->name);
    g_hash_table_remove(host->mdev_registry, m->name); /* drops the registry's reference */
    apm_lock_release(&host->devices);
    apsim_emit_group(host, m->iommu_group, FALSE);
    apsim_emit_uevent(host, APSIM_UEVENT_REMOVE, devpath, "mdev", NULL);
    return 0;
}

static gboolean
remove_visible(ApsimHost *host, const ApsimObject *obj)
{
    gboolean removing;

    apm_lock_acquire(&host->devices);
    removing = obj->mdev->removing;
    apm_lock_release(&host->devices);
    return !removing;
}

static int
show_mdev_uevent(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "MDEV_TYPE=vfio_ap-passthrough\nDRIVER=vfio_ap_mdev\n");
    return 0;
}

static const ApsimAttr mdev_attrs[] = {
    { "ap_config", 0644, show_ap_config, store_ap_config, has_ap_config },
    { "assign_adapter", 0200, NULL, store_assign_adapter, NULL },
    { "assign_control_domain", 0200, NULL, store_assign_control_domain, NULL },
    { "assign_domain", 0200, NULL, store_assign_domain, NULL },
    { "control_domains", 0444, show_control_domains, NULL, NULL },
    { "guest_matrix", 0444, show_guest_matrix, NULL, NULL },
    { "matrix", 0444, show_matrix, NULL, NULL },
    { "remove", 0200, NULL, store_remove, remove_visible },
    { "uevent", 0644, show_mdev_uevent, NULL, NULL },
    { "unassign_adapter", 0200, NULL, store_unassign_adapter, NULL },
    { "unassign_control_domain", 0200, NULL, store_unassign_control_domain, NULL },
    { "unassign_domain", 0200, NULL, store_unassign_domain, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_mdev_attrs, mdev_attrs)
