/* apsim-sysfs.c: the simulated /sys tree */
#include "config.h"
#include "apsim-sysfs.h"
#include "apsim-host-private.h"

#include <errno.h>

static const char *const card_drivers[] = { "cex4card", "cex4queue", "vfio_ap" };

const ApsimAttr *
apsim_attrs_for(ApsimObjectKind kind, guint *n)
{
    switch (kind) {
    case APSIM_OBJ_BUS:
        return apsim_bus_attrs(n);
    case APSIM_OBJ_CARD:
        return apsim_card_attrs(n);
    case APSIM_OBJ_QUEUE:
        return apsim_queue_attrs(n);
    case APSIM_OBJ_AP_DRIVER:
        return apsim_ap_driver_attrs(n);
    case APSIM_OBJ_MATRIX:
        return apsim_matrix_attrs(n);
    case APSIM_OBJ_MDEV_TYPE:
        return apsim_mdev_type_attrs(n);
    case APSIM_OBJ_MDEV:
        return apsim_mdev_attrs(n);
    case APSIM_OBJ_CPUS:
        return apsim_cpu_attrs(n);
    case APSIM_OBJ_AP_ROOT:
        break;
    }
    *n = 0;
    return NULL;
}

const ApsimAttr *
apsim_attr_find(ApsimHost *host, const ApsimObject *obj, const char *name)
{
    guint n;
    const ApsimAttr *attrs = apsim_attrs_for(obj->kind, &n);

    for (guint i = 0; i < n; i++) {
        if (!g_str_equal(attrs[i].name, name))
            continue;
        if (attrs[i].visible && !attrs[i].visible(host, obj))
            return NULL;
        return &attrs[i];
    }
    return NULL;
}

void
apsim_sysfs_node_clear(ApsimNode *node)
{
    g_clear_pointer(&node->obj.mdev, apsim_mdev_unref);
    g_clear_pointer(&node->target, g_free);
}

static gboolean
set_dir(ApsimNode *node, ApsimDirKind dir)
{
    node->type = APSIM_NODE_DIR;
    node->dir = dir;
    return TRUE;
}

static gboolean
set_link(ApsimNode *node, char *target)
{
    node->type = APSIM_NODE_LINK;
    node->target = target;
    return TRUE;
}

/* An attribute of the object the directory node stands for. */
static gboolean
set_attr(ApsimHost *host, ApsimNode *node, const char *name)
{
    const ApsimAttr *attr;

    switch (node->dir) {
    case APSIM_DIR_BUS_AP:
        node->obj.kind = APSIM_OBJ_BUS;
        break;
    case APSIM_DIR_CARD:
        node->obj.kind = APSIM_OBJ_CARD;
        break;
    case APSIM_DIR_QUEUE:
        node->obj.kind = APSIM_OBJ_QUEUE;
        break;
    case APSIM_DIR_BUS_AP_DRIVER:
        if (node->drv == 0)
            return FALSE;
        node->obj.kind = APSIM_OBJ_AP_DRIVER;
        node->obj.driver = node->drv == 1 ? APSIM_DRV_ZCRYPT : APSIM_DRV_VFIO;
        break;
    case APSIM_DIR_MATRIX:
        node->obj.kind = APSIM_OBJ_MATRIX;
        break;
    case APSIM_DIR_MDEV_TYPE:
        node->obj.kind = APSIM_OBJ_MDEV_TYPE;
        break;
    case APSIM_DIR_MDEV:
        node->obj.kind = APSIM_OBJ_MDEV;
        break;
    case APSIM_DIR_CPUS:
        node->obj.kind = APSIM_OBJ_CPUS;
        break;
    default:
        return FALSE;
    }
    attr = apsim_attr_find(host, &node->obj, name);
    if (!attr)
        return FALSE;
    node->type = APSIM_NODE_ATTR;
    node->attr = attr;
    return TRUE;
}

static gboolean
parse_card_name(const char *name, guint *adapter)
{
    if (strlen(name) != 6 || !g_str_has_prefix(name, "card") || !g_ascii_isxdigit(name[4]) ||
        !g_ascii_isxdigit(name[5]) || g_ascii_isupper(name[4]) || g_ascii_isupper(name[5]))
        return FALSE;
    *adapter = g_ascii_xdigit_value(name[4]) << 4 | g_ascii_xdigit_value(name[5]);
    return TRUE;
}

static gboolean
parse_queue_dir_name(const char *name, guint *adapter, guint *domain)
{
    guint v[6];

    if (strlen(name) != 7 || name[2] != '.')
        return FALSE;
    for (int i = 0, k = 0; i < 7; i++) {
        if (i == 2)
            continue;
        if (!g_ascii_isxdigit(name[i]) || g_ascii_isupper(name[i]))
            return FALSE;
        v[k++] = g_ascii_xdigit_value(name[i]);
    }
    *adapter = v[0] << 4 | v[1];
    *domain = v[2] << 12 | v[3] << 8 | v[4] << 4 | v[5];
    return *domain <= 0xff;
}

static gboolean
card_present(ApsimHost *host, guint adapter)
{
    return apsim_host_card(host, adapter) != NULL;
}

static gboolean
queue_present(ApsimHost *host, guint adapter, guint domain)
{
    return apsim_host_queue(host, adapter, domain) != NULL;
}

static ApsimMdev *
lookup_mdev(ApsimHost *host, const char *name)
{
    return apm_uuid_is_valid(name) ? apsim_host_lookup_mdev(host, name) : NULL;
}

/* Resolves one component below a directory node; the node becomes the child. */
static gboolean
step(ApsimHost *host, ApsimNode *node, const char *name)
{
    guint a, d;

    switch (node->dir) {
    case APSIM_DIR_ROOT:
        if (g_str_equal(name, "bus"))
            return set_dir(node, APSIM_DIR_BUS);
        if (g_str_equal(name, "devices"))
            return set_dir(node, APSIM_DIR_DEVICES);
        if (g_str_equal(name, "class"))
            return set_dir(node, APSIM_DIR_CLASS);
        if (g_str_equal(name, "kernel"))
            return set_dir(node, APSIM_DIR_KERNEL);
        return FALSE;
    case APSIM_DIR_BUS:
        if (g_str_equal(name, "ap"))
            return set_dir(node, APSIM_DIR_BUS_AP);
        if (g_str_equal(name, "mdev"))
            return set_dir(node, APSIM_DIR_BUS_MDEV);
        if (g_str_equal(name, "matrix"))
            return set_dir(node, APSIM_DIR_BUS_MATRIX);
        return FALSE;
    case APSIM_DIR_BUS_AP:
        if (g_str_equal(name, "devices"))
            return set_dir(node, APSIM_DIR_BUS_AP_DEVICES);
        if (g_str_equal(name, "drivers"))
            return set_dir(node, APSIM_DIR_BUS_AP_DRIVERS);
        return set_attr(host, node, name);
    case APSIM_DIR_BUS_AP_DEVICES:
        if (parse_card_name(name, &a) && card_present(host, a))
            return set_link(node, g_strdup_printf("../../../devices/ap/%s", name));
        if (parse_queue_dir_name(name, &a, &d) && queue_present(host, a, d))
            return set_link(node, g_strdup_printf("../../../devices/ap/card%02x/%s", a, name));
        return FALSE;
    case APSIM_DIR_BUS_AP_DRIVERS:
        for (guint i = 0; i < G_N_ELEMENTS(card_drivers); i++) {
            if (g_str_equal(name, card_drivers[i])) {
                node->drv = i;
                return set_dir(node, APSIM_DIR_BUS_AP_DRIVER);
            }
        }
        return FALSE;
    case APSIM_DIR_BUS_AP_DRIVER:
        if (node->drv == 0 && parse_card_name(name, &a) && card_present(host, a))
            return set_link(node, g_strdup_printf("../../../../devices/ap/%s", name));
        if (node->drv > 0 && parse_queue_dir_name(name, &a, &d) && queue_present(host, a, d) &&
            apsim_host_queue_driver(host, apsim_queue_slot(host, a, d)) ==
                (node->drv == 1 ? APSIM_DRV_ZCRYPT : APSIM_DRV_VFIO))
            return set_link(node, g_strdup_printf("../../../../devices/ap/card%02x/%s", a, name));
        return set_attr(host, node, name);
    case APSIM_DIR_BUS_MDEV:
        if (g_str_equal(name, "devices"))
            return set_dir(node, APSIM_DIR_BUS_MDEV_DEVICES);
        if (g_str_equal(name, "drivers"))
            return set_dir(node, APSIM_DIR_BUS_MDEV_DRIVERS);
        return FALSE;
    case APSIM_DIR_BUS_MDEV_DEVICES:
    case APSIM_DIR_BUS_MDEV_DRIVER:
    case APSIM_DIR_MDEV_TYPE_DEVICES:
    case APSIM_DIR_IOMMU_GROUP_DEVICES: {
        g_autoptr(ApsimMdev) m = lookup_mdev(host, name);

        if (!m)
            return FALSE;
        if (node->dir == APSIM_DIR_IOMMU_GROUP_DEVICES && m->iommu_group != node->iommu_group)
            return FALSE;
        if (node->dir == APSIM_DIR_BUS_MDEV_DEVICES)
            return set_link(node, g_strdup_printf("../../../devices/vfio_ap/matrix/%s", name));
        if (node->dir == APSIM_DIR_MDEV_TYPE_DEVICES)
            return set_link(node, g_strdup_printf("../../../%s", name));
        return set_link(node, g_strdup_printf("../../../../devices/vfio_ap/matrix/%s", name));
    }
    case APSIM_DIR_BUS_MDEV_DRIVERS:
        if (g_str_equal(name, "vfio_ap_mdev"))
            return set_dir(node, APSIM_DIR_BUS_MDEV_DRIVER);
        return FALSE;
    case APSIM_DIR_BUS_MATRIX:
        if (g_str_equal(name, "devices"))
            return set_dir(node, APSIM_DIR_BUS_MATRIX_DEVICES);
        if (g_str_equal(name, "drivers"))
            return set_dir(node, APSIM_DIR_BUS_MATRIX_DRIVERS);
        return FALSE;
    case APSIM_DIR_BUS_MATRIX_DEVICES:
        if (g_str_equal(name, "matrix"))
            return set_link(node, g_strdup("../../../devices/vfio_ap/matrix"));
        return FALSE;
    case APSIM_DIR_BUS_MATRIX_DRIVERS:
        if (g_str_equal(name, "vfio_ap"))
            return set_dir(node, APSIM_DIR_BUS_MATRIX_DRIVER);
        return FALSE;
    case APSIM_DIR_BUS_MATRIX_DRIVER:
        if (g_str_equal(name, "matrix"))
            return set_link(node, g_strdup("../../../../devices/vfio_ap/matrix"));
        return FALSE;
    case APSIM_DIR_DEVICES:
        if (g_str_equal(name, "ap"))
            return set_dir(node, APSIM_DIR_AP_ROOT);
        if (g_str_equal(name, "vfio_ap"))
            return set_dir(node, APSIM_DIR_VFIO_AP);
        if (g_str_equal(name, "system"))
            return set_dir(node, APSIM_DIR_SYSTEM);
        return FALSE;
    case APSIM_DIR_AP_ROOT:
        if (parse_card_name(name, &a) && card_present(host, a)) {
            node->obj.adapter = a;
            return set_dir(node, APSIM_DIR_CARD);
        }
        return FALSE;
    case APSIM_DIR_CARD:
        if (parse_queue_dir_name(name, &a, &d) && a == node->obj.adapter && queue_present(host, a, d)) {
            node->obj.domain = d;
            return set_dir(node, APSIM_DIR_QUEUE);
        }
        if (g_str_equal(name, "driver"))
            return set_link(node, g_strdup("../../../bus/ap/drivers/cex4card"));
        if (g_str_equal(name, "subsystem"))
            return set_link(node, g_strdup("../../../bus/ap"));
        return set_attr(host, node, name);
    case APSIM_DIR_QUEUE:
        if (g_str_equal(name, "driver")) {
            ApsimDriver drv = apsim_host_queue_driver(host, apsim_queue_slot(host, node->obj.adapter,
                                                                             node->obj.domain));

            if (drv == APSIM_DRV_NONE)
                return FALSE;
            return set_link(node, g_strdup_printf("../../../../bus/ap/drivers/%s", apsim_driver_name(drv)));
        }
        if (g_str_equal(name, "subsystem"))
            return set_link(node, g_strdup("../../../../bus/ap"));
        return set_attr(host, node, name);
    case APSIM_DIR_VFIO_AP:
        if (g_str_equal(name, "matrix"))
            return set_dir(node, APSIM_DIR_MATRIX);
        return FALSE;
    case APSIM_DIR_MATRIX:
        if (g_str_equal(name, "mdev_supported_types"))
            return set_dir(node, APSIM_DIR_MDEV_TYPES);
        if (g_str_equal(name, "driver"))
            return set_link(node, g_strdup("../../../bus/matrix/drivers/vfio_ap"));
        if (g_str_equal(name, "subsystem"))
            return set_link(node, g_strdup("../../../bus/matrix"));
        {
            ApsimMdev *m = lookup_mdev(host, name);

            if (m) {
                node->obj.mdev = m;
                return set_dir(node, APSIM_DIR_MDEV);
            }
        }
        return set_attr(host, node, name);
    case APSIM_DIR_MDEV_TYPES:
        if (g_str_equal(name, "vfio_ap-passthrough"))
            return set_dir(node, APSIM_DIR_MDEV_TYPE);
        return FALSE;
    case APSIM_DIR_MDEV_TYPE:
        if (g_str_equal(name, "devices"))
            return set_dir(node, APSIM_DIR_MDEV_TYPE_DEVICES);
        return set_attr(host, node, name);
    case APSIM_DIR_MDEV:
        if (g_str_equal(name, "mdev_type"))
            return set_link(node, g_strdup("../mdev_supported_types/vfio_ap-passthrough"));
        if (g_str_equal(name, "iommu_group"))
            return set_link(node, g_strdup_printf("../../../../kernel/iommu_groups/%u", node->obj.mdev->iommu_group));
        if (g_str_equal(name, "driver"))
            return set_link(node, g_strdup("../../../../bus/mdev/drivers/vfio_ap_mdev"));
        if (g_str_equal(name, "subsystem"))
            return set_link(node, g_strdup("../../../../bus/mdev"));
        return set_attr(host, node, name);
    case APSIM_DIR_CLASS:
        if (g_str_equal(name, "mdev_bus"))
            return set_dir(node, APSIM_DIR_CLASS_MDEV_BUS);
        return FALSE;
    case APSIM_DIR_CLASS_MDEV_BUS:
        if (g_str_equal(name, "matrix"))
            return set_link(node, g_strdup("../../devices/vfio_ap/matrix"));
        return FALSE;
    case APSIM_DIR_KERNEL:
        if (g_str_equal(name, "iommu_groups"))
            return set_dir(node, APSIM_DIR_IOMMU_GROUPS);
        return FALSE;
    case APSIM_DIR_IOMMU_GROUPS: {
        g_autoptr(GPtrArray) names = NULL;
        guint64 group;
        char *end;

        group = g_ascii_strtoull(name, &end, 10);
        if (!*name || *end || (name[0] == '0' && name[1]))
            return FALSE;
        names = apsim_host_list_mdevs(host);
        for (guint i = 0; i < names->len; i++) {
            g_autoptr(ApsimMdev) m = apsim_host_lookup_mdev(host, g_ptr_array_index(names, i));

            if (m && m->iommu_group == group) {
                node->iommu_group = (guint) group;
                return set_dir(node, APSIM_DIR_IOMMU_GROUP);
            }
        }
        return FALSE;
    }
    case APSIM_DIR_IOMMU_GROUP:
        if (g_str_equal(name, "devices"))
            return set_dir(node, APSIM_DIR_IOMMU_GROUP_DEVICES);
        return FALSE;
    case APSIM_DIR_SYSTEM:
        if (g_str_equal(name, "cpu"))
            return set_dir(node, APSIM_DIR_CPUS);
        return FALSE;
    case APSIM_DIR_CPUS:
        return set_attr(host, node, name);
    }
    return FALSE;
}

gboolean
apsim_sysfs_resolve(ApsimHost *host, const char *path, ApsimNode *node)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);

    memset(node, 0, sizeof(*node));
    node->type = APSIM_NODE_DIR;
    node->dir = APSIM_DIR_ROOT;
    for (guint i = 0; parts[i]; i++) {
        if (!*parts[i])
            continue;
        if (node->type != APSIM_NODE_DIR || !step(host, node, parts[i])) {
            apsim_sysfs_node_clear(node);
            return FALSE;
        }
    }
    return TRUE;
}

static void
add(GArray *entries, ApsimNodeType type, char *name)
{
    ApsimDirEntry e = { name, type };

    g_array_append_val(entries, e);
}

static void
add_attrs(ApsimHost *host, GArray *entries, const ApsimNode *dir)
{
    ApsimNode probe = *dir;
    const ApsimAttr *attrs;
    guint n;

    probe.target = NULL;
    switch (dir->dir) {
    case APSIM_DIR_BUS_AP:
        probe.obj.kind = APSIM_OBJ_BUS;
        break;
    case APSIM_DIR_CARD:
        probe.obj.kind = APSIM_OBJ_CARD;
        break;
    case APSIM_DIR_QUEUE:
        probe.obj.kind = APSIM_OBJ_QUEUE;
        break;
    case APSIM_DIR_BUS_AP_DRIVER:
        if (dir->drv == 0)
            return;
        probe.obj.kind = APSIM_OBJ_AP_DRIVER;
        probe.obj.driver = dir->drv == 1 ? APSIM_DRV_ZCRYPT : APSIM_DRV_VFIO;
        break;
    case APSIM_DIR_MATRIX:
        probe.obj.kind = APSIM_OBJ_MATRIX;
        break;
    case APSIM_DIR_MDEV_TYPE:
        probe.obj.kind = APSIM_OBJ_MDEV_TYPE;
        break;
    case APSIM_DIR_MDEV:
        probe.obj.kind = APSIM_OBJ_MDEV;
        break;
    case APSIM_DIR_CPUS:
        probe.obj.kind = APSIM_OBJ_CPUS;
        break;
    default:
        return;
    }
    attrs = apsim_attrs_for(probe.obj.kind, &n);
    for (guint i = 0; i < n; i++)
        if (!attrs[i].visible || attrs[i].visible(host, &probe.obj))
            add(entries, APSIM_NODE_ATTR, g_strdup(attrs[i].name));
}

static void
add_mdevs(ApsimHost *host, GArray *entries, ApsimNodeType type, gint64 group)
{
    g_autoptr(GPtrArray) names = apsim_host_list_mdevs(host);

    for (guint i = 0; i < names->len; i++) {
        if (group >= 0) {
            g_autoptr(ApsimMdev) m = apsim_host_lookup_mdev(host, g_ptr_array_index(names, i));

            if (!m || m->iommu_group != group)
                continue;
        }
        add(entries, type, g_strdup(g_ptr_array_index(names, i)));
    }
}

static void
add_queues(ApsimHost *host, GArray *entries, ApsimDriver only, gboolean any_driver, ApsimNodeType type)
{
    ApmMask cards;

    apsim_host_present_cards(host, &cards);
    APM_MASK_FOREACH(a, &cards) {
        ApmMask domains;

        apsim_host_present_queues(host, a, &domains);
        APM_MASK_FOREACH(d, &domains) {
            if (any_driver || apsim_host_queue_driver(host, apsim_queue_slot(host, a, d)) == only)
                add(entries, type, g_strdup_printf("%02x.%04x", a, d));
        }
    }
}

static void
add_cards(ApsimHost *host, GArray *entries, ApsimNodeType type)
{
    ApmMask cards;

    apsim_host_present_cards(host, &cards);
    APM_MASK_FOREACH(a, &cards)
        add(entries, type, g_strdup_printf("card%02x", a));
}

GArray *
apsim_sysfs_list(ApsimHost *host, const ApsimNode *dir)
{
    GArray *e = g_array_new(FALSE, FALSE, sizeof(ApsimDirEntry));

    switch (dir->dir) {
    case APSIM_DIR_ROOT:
        add(e, APSIM_NODE_DIR, g_strdup("bus"));
        add(e, APSIM_NODE_DIR, g_strdup("class"));
        add(e, APSIM_NODE_DIR, g_strdup("devices"));
        add(e, APSIM_NODE_DIR, g_strdup("kernel"));
        break;
    case APSIM_DIR_BUS:
        add(e, APSIM_NODE_DIR, g_strdup("ap"));
        add(e, APSIM_NODE_DIR, g_strdup("matrix"));
        add(e, APSIM_NODE_DIR, g_strdup("mdev"));
        break;
    case APSIM_DIR_BUS_AP:
        add(e, APSIM_NODE_DIR, g_strdup("devices"));
        add(e, APSIM_NODE_DIR, g_strdup("drivers"));
        add_attrs(host, e, dir);
        break;
    case APSIM_DIR_BUS_AP_DEVICES:
        add_cards(host, e, APSIM_NODE_LINK);
        add_queues(host, e, APSIM_DRV_NONE, TRUE, APSIM_NODE_LINK);
        break;
    case APSIM_DIR_BUS_AP_DRIVERS:
        for (guint i = 0; i < G_N_ELEMENTS(card_drivers); i++)
            add(e, APSIM_NODE_DIR, g_strdup(card_drivers[i]));
        break;
    case APSIM_DIR_BUS_AP_DRIVER:
        if (dir->drv == 0)
            add_cards(host, e, APSIM_NODE_LINK);
        else
            add_queues(host, e, dir->drv == 1 ? APSIM_DRV_ZCRYPT : APSIM_DRV_VFIO, FALSE, APSIM_NODE_LINK);
        add_attrs(host, e, dir);
        break;
    case APSIM_DIR_BUS_MDEV:
    case APSIM_DIR_BUS_MATRIX:
        add(e, APSIM_NODE_DIR, g_strdup("devices"));
        add(e, APSIM_NODE_DIR, g_strdup("drivers"));
        break;
    case APSIM_DIR_BUS_MDEV_DEVICES:
    case APSIM_DIR_BUS_MDEV_DRIVER:
    case APSIM_DIR_MDEV_TYPE_DEVICES:
        add_mdevs(host, e, APSIM_NODE_LINK, -1);
        break;
    case APSIM_DIR_IOMMU_GROUP_DEVICES:
        add_mdevs(host, e, APSIM_NODE_LINK, dir->iommu_group);
        break;
    case APSIM_DIR_BUS_MDEV_DRIVERS:
        add(e, APSIM_NODE_DIR, g_strdup("vfio_ap_mdev"));
        break;
    case APSIM_DIR_BUS_MATRIX_DEVICES:
    case APSIM_DIR_BUS_MATRIX_DRIVER:
    case APSIM_DIR_CLASS_MDEV_BUS:
        add(e, APSIM_NODE_LINK, g_strdup("matrix"));
        break;
    case APSIM_DIR_BUS_MATRIX_DRIVERS:
        add(e, APSIM_NODE_DIR, g_strdup("vfio_ap"));
        break;
    case APSIM_DIR_DEVICES:
        add(e, APSIM_NODE_DIR, g_strdup("ap"));
        add(e, APSIM_NODE_DIR, g_strdup("system"));
        add(e, APSIM_NODE_DIR, g_strdup("vfio_ap"));
        break;
    case APSIM_DIR_SYSTEM:
        add(e, APSIM_NODE_DIR, g_strdup("cpu"));
        break;
    case APSIM_DIR_CPUS:
        add_attrs(host, e, dir);
        break;
    case APSIM_DIR_AP_ROOT:
        add_cards(host, e, APSIM_NODE_DIR);
        break;
    case APSIM_DIR_CARD: {
        ApmMask domains;

        apsim_host_present_queues(host, dir->obj.adapter, &domains);
        APM_MASK_FOREACH(d, &domains)
            add(e, APSIM_NODE_DIR, g_strdup_printf("%02x.%04x", dir->obj.adapter, d));
        add(e, APSIM_NODE_LINK, g_strdup("driver"));
        add(e, APSIM_NODE_LINK, g_strdup("subsystem"));
        add_attrs(host, e, dir);
        break;
    }
    case APSIM_DIR_QUEUE:
        if (apsim_host_queue_driver(host, apsim_queue_slot(host, dir->obj.adapter, dir->obj.domain)) !=
            APSIM_DRV_NONE)
            add(e, APSIM_NODE_LINK, g_strdup("driver"));
        add(e, APSIM_NODE_LINK, g_strdup("subsystem"));
        add_attrs(host, e, dir);
        break;
    case APSIM_DIR_VFIO_AP:
        add(e, APSIM_NODE_DIR, g_strdup("matrix"));
        break;
    case APSIM_DIR_MATRIX:
        add(e, APSIM_NODE_DIR, g_strdup("mdev_supported_types"));
        add(e, APSIM_NODE_LINK, g_strdup("driver"));
        add(e, APSIM_NODE_LINK, g_strdup("subsystem"));
        add_mdevs(host, e, APSIM_NODE_DIR, -1);
        add_attrs(host, e, dir);
        break;
    case APSIM_DIR_MDEV_TYPES:
        add(e, APSIM_NODE_DIR, g_strdup("vfio_ap-passthrough"));
        break;
    case APSIM_DIR_MDEV_TYPE:
        add(e, APSIM_NODE_DIR, g_strdup("devices"));
        add_attrs(host, e, dir);
        break;
    case APSIM_DIR_MDEV:
        add(e, APSIM_NODE_LINK, g_strdup("driver"));
        add(e, APSIM_NODE_LINK, g_strdup("iommu_group"));
        add(e, APSIM_NODE_LINK, g_strdup("mdev_type"));
        add(e, APSIM_NODE_LINK, g_strdup("subsystem"));
        add_attrs(host, e, dir);
        break;
    case APSIM_DIR_CLASS:
        add(e, APSIM_NODE_DIR, g_strdup("mdev_bus"));
        break;
    case APSIM_DIR_KERNEL:
        add(e, APSIM_NODE_DIR, g_strdup("iommu_groups"));
        break;
    case APSIM_DIR_IOMMU_GROUPS: {
        g_autoptr(GPtrArray) names = apsim_host_list_mdevs(host);

        for (guint i = 0; i < names->len; i++) {
            g_autoptr(ApsimMdev) m = apsim_host_lookup_mdev(host, g_ptr_array_index(names, i));

            if (m)
                add(e, APSIM_NODE_DIR, g_strdup_printf("%u", m->iommu_group));
        }
        break;
    }
    case APSIM_DIR_IOMMU_GROUP:
        add(e, APSIM_NODE_DIR, g_strdup("devices"));
        break;
    }
    return e;
}

void
apsim_sysfs_entries_free(GArray *entries)
{
    for (guint i = 0; i < entries->len; i++)
        g_free(g_array_index(entries, ApsimDirEntry, i).name);
    g_array_unref(entries);
}

int
apsim_sysfs_read(ApsimHost *host, const ApsimNode *node, GString *out)
{
    if (node->type != APSIM_NODE_ATTR)
        return -EISDIR;
    if (!node->attr->show)
        return -EACCES;
    return node->attr->show(host, &node->obj, out);
}

#define APSIM_PAGE_SIZE 4096

int
apsim_sysfs_write(ApsimHost *host, const ApsimNode *node, const char *buf, gsize len)
{
    g_autofree char *copy = NULL;
    int rc;

    if (node->type != APSIM_NODE_ATTR)
        return -EISDIR;
    if (!node->attr->store)
        return -EACCES;
    if (len > APSIM_PAGE_SIZE)
        return -E2BIG;
    rc = apsim_host_fault_check(host, node->attr->name);
    if (rc)
        return rc;
    copy = g_strndup(buf, len); /* sysfs hands the store a NUL-terminated copy */
    return node->attr->store(host, &node->obj, copy, len);
}
