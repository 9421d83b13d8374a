/* apm-host.c: the AP host snapshot */
#include "config.h"
#include "apm-host.h"

#include <errno.h>
#include <string.h>

#include "apm-error.h"
#include "apm-file.h"
#include "apm-hostdev.h"
#include "apm-i18n.h"
#include "apm-kstrto.h"
#include "apm-sysfs.h"

typedef struct {
    ApmHost *host;
    GHashTable *seen; /* paths read: a second read of one file is a bug (NULL for a queue read on demand) */
    gboolean no_guest_matrix; /* the snapshot of a planned change: the mdevs' guest_matrix is read when asked */
} Reader;

/* queue_index entry of an APQN asked for on demand that has no queue device */
static ApmQueueInfo absent_queue;

/* Where a path is read from: the directory kept open and the rest. A queue's files are read from its card's
 * folder (a snapshot reads many queues, and only so many folders are kept open). */
static void
split_path(const char *path, char **dir, const char **name)
{
    static const char cards[] = "/sys/devices/ap/card";
    const char *slash = strrchr(path, '/');

    if (g_str_has_prefix(path, cards) && strlen(path) > sizeof(cards) + 2 && path[sizeof(cards) + 1] == '/') {
        *dir = g_strndup(path, sizeof(cards) + 1);
        *name = path + sizeof(cards) + 2;
        return;
    }
    *dir = g_strndup(path, (gsize) (slash - path));
    *name = slash + 1;
}

static char *
host_read_link_name(ApmHost *host, const char *path)
{
    g_autofree char *dir = NULL;
    const char *name;

    split_path(path, &dir, &name);
    return apm_sysfs_dirs_read_link_name(host->dirs, dir, name, NULL);
}

static gboolean
host_exists(ApmHost *host, const char *path)
{
    g_autofree char *dir = NULL;
    const char *name;

    split_path(path, &dir, &name);
    return apm_sysfs_dirs_exists(host->dirs, dir, name);
}

/* One attribute, trailing newline stripped; NULL and why if unreadable. */
static char *
read_attr_error(Reader *r, const char *path, GError **error)
{
    g_autofree char *dir = NULL;
    const char *name;

    g_assert(!r->seen || g_hash_table_add(r->seen, g_strdup(path)));
    split_path(path, &dir, &name);
    r->host->files_read++;
    return apm_sysfs_dirs_read_line(r->host->dirs, dir, name, error);
}

/* The same, with a problem noted when noted is set */
static char *
read_attr(Reader *r, const char *path, gboolean noted)
{
    g_autoptr(GError) error = NULL;
    char *value = read_attr_error(r, path, &error);

    if (!value && noted)
        g_ptr_array_add(r->host->problems, g_strdup(error->message));
    return value;
}

static gboolean
read_uint(Reader *r, const char *path, guint *out)
{
    g_autofree char *text = read_attr(r, path, TRUE);
    guint64 v;

    if (!text || apm_kstrtoul(text, 10, &v) < 0 || v > G_MAXUINT)
        return FALSE;
    *out = (guint) v;
    return TRUE;
}

static gboolean
read_mask(Reader *r, const char *path, ApmMask *out)
{
    g_autofree char *text = read_attr(r, path, TRUE);

    return text && apm_mask_parse_hex(text, out) == 0;
}

static ApmDriver
driver_of(Reader *r, const char *devpath, char **name_out)
{
    g_autofree char *link = g_strconcat(devpath, "/driver", NULL);
    g_autofree char *name = host_read_link_name(r->host, link);

    if (name_out)
        *name_out = g_strdup(name);
    if (!name)
        return APM_DRIVER_NONE;
    if (g_str_equal(name, "vfio_ap"))
        return APM_DRIVER_VFIO_AP;
    if (g_str_has_prefix(name, "cex"))
        return APM_DRIVER_ZCRYPT;
    return APM_DRIVER_OTHER;
}

static void
card_free(ApmCardInfo *c)
{
    g_free(c->type);
    g_free(c->mode);
    g_free(c->driver);
    g_free(c);
}

static void
queue_free(ApmQueueInfo *q)
{
    g_free(q->status);
    g_free(q->driver_name);
    g_free(q);
}

static char *
uevent_value(const char *uevent, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(uevent ? uevent : "", "\n", -1);
    gsize klen = strlen(key);

    for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], key) && lines[i][klen] == '=')
            return g_strdup(lines[i] + klen + 1);
    return NULL;
}

/* One queue device: its driver and, for a full read, the state its driver shows (zcrypt online, vfio_ap status).
 * NULL when the device does not exist (only asked for queues read on demand). */
static ApmQueueInfo *
read_queue_info(Reader *r, ApmApqn apqn, gboolean check_exists)
{
    ApmQueueInfo *q = g_new0(ApmQueueInfo, 1);
    char name[APM_APQN_TEXT_LEN + 1];
    g_autofree char *dev = g_strdup_printf("/sys/devices/ap/card%02x/%s", apqn.adapter, apm_apqn_format(apqn, name));
    g_autofree char *path = NULL;

    q->apqn = apqn;
    q->driver = driver_of(r, dev, &q->driver_name);
    if (q->driver == APM_DRIVER_NONE && check_exists && !host_exists(r->host, dev)) {
        queue_free(q);
        return NULL;
    }
    if (r->host->detail == APM_HOST_READ_NAMES || r->host->detail == APM_HOST_READ_DRIVERS)
        return q;
    if (q->driver == APM_DRIVER_ZCRYPT) {
        g_autofree char *online = NULL;

        path = g_strconcat(dev, "/online", NULL);
        online = read_attr(r, path, FALSE);
        q->online = online && g_str_equal(online, "1");
    } else if (q->driver == APM_DRIVER_VFIO_AP) {
        path = g_strconcat(dev, "/status", NULL);
        q->status = read_attr(r, path, FALSE);
    }
    return q;
}

static void
read_queue(Reader *r, guint card, const char *name)
{
    ApmQueueInfo *q;
    ApmApqn apqn;

    if (!apm_apqn_parse(name, &apqn, NULL) || apqn.adapter != card)
        return;
    if (r->host->detail == APM_HOST_READ_NAMES) {
        q = g_new0(ApmQueueInfo, 1);
        q->apqn = apqn;
    } else {
        q = read_queue_info(r, apqn, FALSE);
    }
    g_ptr_array_add(r->host->queues, q);
    r->host->queue_index[apm_apqn_index(q->apqn)] = q;
}

static void
read_card(Reader *r, const char *name)
{
    ApmCardInfo *c = g_new0(ApmCardInfo, 1);
    g_autofree char *dev = g_strdup_printf("/sys/devices/ap/%s", name);
    g_autofree char *p_hwtype = g_strconcat(dev, "/hwtype", NULL);
    g_autofree char *p_type = g_strconcat(dev, "/type", NULL);
    g_autofree char *p_uevent = g_strconcat(dev, "/uevent", NULL);
    g_autofree char *p_config = g_strconcat(dev, "/config", NULL);
    g_autofree char *p_online = g_strconcat(dev, "/online", NULL);
    g_autofree char *p_chkstop = g_strconcat(dev, "/chkstop", NULL);
    g_autofree char *uevent = NULL, *config = NULL, *online = NULL, *chkstop = NULL;
    g_autoptr(GPtrArray) entries = NULL;

    c->id = g_ascii_xdigit_value(name[4]) << 4 | g_ascii_xdigit_value(name[5]);
    if (r->host->detail != APM_HOST_READ_NAMES)
        driver_of(r, dev, &c->driver);
    if (r->host->detail != APM_HOST_READ_FULL) {
        c->config = TRUE;
        goto queues;
    }
    read_uint(r, p_hwtype, &c->hwtype);
    c->type = read_attr(r, p_type, FALSE);
    uevent = read_attr(r, p_uevent, FALSE);
    c->mode = uevent_value(uevent, "MODE");
    config = read_attr(r, p_config, FALSE);
    online = read_attr(r, p_online, FALSE);
    chkstop = read_attr(r, p_chkstop, FALSE);
    c->config = !config || g_str_equal(config, "1");
    c->online = online && g_str_equal(online, "1");
    c->chkstop = chkstop && g_str_equal(chkstop, "1");
queues:
    g_ptr_array_add(r->host->cards, c);
    entries = apm_sysfs_dirs_list(r->host->dirs, dev, NULL);
    for (guint i = 0; entries && i < entries->len; i++) {
        const char *e = g_ptr_array_index(entries, i);

        if (strlen(e) == 7 && e[2] == '.')
            read_queue(r, c->id, e);
    }
}

/* What the guest of an mdev gets (its guest_matrix), from the mdev's folder dev */
static void
read_guest_matrix(Reader *r, ApmMdevInfo *m, const char *dev)
{
    g_autofree char *path = g_strconcat(dev, "/guest_matrix", NULL);
    g_autofree char *guest = read_attr(r, path, TRUE);
    g_autoptr(GError) error = NULL;

    m->guest_matrix_read = TRUE;
    apm_matrix_clear(&m->guest_matrix);
    if (guest && !apm_matrix_parse_apqns(guest, &m->guest_matrix, &error))
        g_ptr_array_add(r->host->problems, g_strdup_printf("%s: %s", dev, error->message));
}

static ApmMdevInfo *
read_mdev_info(Reader *r, const char *name)
{
    ApmMdevInfo *m = g_new0(ApmMdevInfo, 1);
    g_autofree char *dev = g_strdup_printf("/sys/devices/vfio_ap/matrix/%s", name);
    g_autofree char *p_ap_config = g_strconcat(dev, "/ap_config", NULL);
    g_autoptr(GError) error = NULL;
    /* a planned change needs the assignments; not the driver or the IOMMU group, which only the node-device XML
     * shows, nor (until asked) what the guests get */
    gboolean for_plan = r->host->detail == APM_HOST_READ_ON_DEMAND;

    apm_uuid_parse(name, &m->uuid);
    m->iommu_group = -1;
    /* the matrix device's features name ap_config where the kernel has it; a snapshot of one mdev looks */
    m->has_ap_config = (r->host->matrix_features &&
                        g_strv_contains((const char *const *) r->host->matrix_features, "ap_config")) ||
                       host_exists(r->host, p_ap_config);
    if (for_plan && m->has_ap_config) {
        /* the three masks of the assignment in one file, where matrix and control_domains take two */
        g_autofree char *config = read_attr(r, p_ap_config, TRUE);

        if (config && apm_matrix_parse_ap_config(config, &m->matrix) != 0)
            g_ptr_array_add(r->host->problems,
                            g_strdup_printf(_("%s: ap_config is not three masks: '%s'"), dev, config));
    } else {
        g_autofree char *p_matrix = g_strconcat(dev, "/matrix", NULL);
        g_autofree char *p_cdoms = g_strconcat(dev, "/control_domains", NULL);
        /* matrix text has a line per APQN: the files end with a newline the reader strips */
        g_autofree char *matrix = read_attr(r, p_matrix, TRUE);
        g_autofree char *cdoms = read_attr(r, p_cdoms, TRUE);

        if ((matrix && !apm_matrix_parse_apqns(matrix, &m->matrix, &error)) ||
            (cdoms && !apm_matrix_parse_control_domains(cdoms, &m->matrix.control_domains, &error)))
            g_ptr_array_add(r->host->problems, g_strdup_printf("%s: %s", dev, error->message));
    }
    if (!r->no_guest_matrix)
        read_guest_matrix(r, m, dev);
    if (!for_plan) {
        g_autofree char *p_group = g_strconcat(dev, "/iommu_group", NULL);
        g_autofree char *group = NULL;

        driver_of(r, dev, &m->driver);
        group = host_read_link_name(r->host, p_group);
        if (group)
            m->iommu_group = atoi(group);
    }
    return m;
}

static void
read_mdev(Reader *r, const char *name)
{
    g_ptr_array_add(r->host->mdevs, read_mdev_info(r, name));
}

void
apm_mdev_info_free(ApmMdevInfo *m)
{
    g_free(m->guest);
    g_free(m->driver);
    g_free(m);
}

gboolean
apm_host_parse_udev_masks(const char *rules, ApmMask *apmask, ApmMask *aqmask, guint *set)
{
    g_auto(GStrv) lines = g_strsplit(rules, "\n", -1);
    gboolean ok = TRUE;

    if (set)
        *set = 0;
    for (guint i = 0; lines[i]; i++) {
        const char *line = lines[i];
        const char *names[] = { "apmask}", "aqmask}" };
        ApmMask *masks[] = { apmask, aqmask };

        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '#')
            continue;
        for (guint k = 0; k < 2; k++) {
            const char *at = line;

            /* ATTR{../../bus/ap/apmask}="0x..." (an assignment: one '=', not '==') */
            while ((at = strstr(at, "ATTR{"))) {
                const char *close = strchr(at, '}');
                g_autofree char *value = NULL;
                const char *q;

                at += 5;
                if (!close || close - at < 6 || strncmp(close - 6, names[k], 7) != 0 || close[1] != '=' ||
                    close[2] != '"')
                    continue;
                q = strchr(close + 3, '"');
                if (!q)
                    return FALSE;
                value = g_strndup(close + 3, (gsize) (q - close - 3));
                if (apm_mask_parse_kernel(value, masks[k], masks[k]) != 0)
                    ok = FALSE;
                else if (set)
                    *set |= 1u << k;
            }
        }
    }
    return ok;
}

/* 41-ap.rules holds two rules; a megabyte is far more than any such file */
#define APM_RULES_MAX (1024 * 1024)

static void
read_persistent_masks(Reader *r)
{
    static const char *const rules_path = "/etc/udev/rules.d/41-ap.rules";
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;

    r->host->persistent_apmask = r->host->apmask;
    r->host->persistent_aqmask = r->host->aqmask;
    if (!apm_sysfs_exists(r->host->root, rules_path))
        return; /* ap-check's rule: without the rules file the live masks are what the host boots with */
    {
        g_autofree char *full = g_build_filename(r->host->root, rules_path, NULL);

        /* root's file, but read as one a clumsy hand or a link could make anything: not followed, not waited on,
         * and no larger than a rules file can sensibly be */
        if (!(text = apm_file_read_untrusted(full, APM_RULES_MAX, APM_FILE_ANY_OWNER, NULL, &error))) {
            g_ptr_array_add(r->host->problems, g_strdup(error->message));
            return;
        }
    }
    r->host->files_read++;
    {
        /* the rule runs at boot, on the kernel's default masks (every ID the host's): a relative value such as
         * apmask="-4" edits those, not today's live masks. A mask the rule does not set is what ap-check takes,
         * the live one. */
        ApmMask apmask, aqmask;
        guint set;

        apm_mask_set_all(&apmask);
        apm_mask_set_all(&aqmask);
        if (!apm_host_parse_udev_masks(text, &apmask, &aqmask, &set)) {
            g_ptr_array_add(r->host->problems,
                            g_strdup_printf(_("%s: a mask is not in the kernel's form; the live masks stand in"),
                                            rules_path));
        } else {
            if (set & 1)
                r->host->persistent_apmask = apmask;
            if (set & 2)
                r->host->persistent_aqmask = aqmask;
        }
    }
    r->host->persistent_masks_from = g_strdup(rules_path);
}

/* libvirt's status file of a running guest (/run/libvirt/qemu/NAME.xml): its name and the mdev it uses */
static void
read_guest_status(ApmHost *host, const char *file)
{
    g_autofree char *path = g_strconcat("/run/libvirt/qemu/", file, NULL);
    g_autofree char *full = g_build_filename(host->root, path, NULL);
    g_autofree char *text = NULL;
    g_autoptr(ApmDomainInfo) info = NULL;
    gsize length = 0;

    /* no link followed, no FIFO waited on, nothing larger than a domain read */
    if (!(text = apm_file_read_untrusted(full, APM_DOMAIN_XML_MAX, APM_FILE_ANY_OWNER, &length, NULL)))
        return;
    host->files_read++;
    /* a file libvirt is writing, or not a guest of the AP matrix: no guest to name */
    if (!(info = apm_domain_info_parse(text, length, path, NULL)))
        return;
    for (guint i = 0; i < info->hostdevs->len; i++) {
        const ApmHostdev *h = g_ptr_array_index(info->hostdevs, i);

        for (guint k = 0; k < host->mdevs->len; k++) {
            ApmMdevInfo *m = g_ptr_array_index(host->mdevs, k);

            if (apm_uuid_equal(&m->uuid, &h->uuid) && !m->guest)
                m->guest = g_strdup(info->name);
        }
    }
}

static void
read_guests(ApmHost *host)
{
    g_autoptr(GPtrArray) files = NULL;

    if (!host->mdevs->len || !apm_sysfs_exists(host->root, "/run/libvirt/qemu"))
        return;
    files = apm_sysfs_list(host->root, "/run/libvirt/qemu", NULL);
    for (guint i = 0; files && i < files->len; i++) {
        const char *file = g_ptr_array_index(files, i);

        if (g_str_has_suffix(file, ".xml"))
            read_guest_status(host, file);
    }
}

ApmHost *
apm_host_read(const char *root, GError **error)
{
    return apm_host_read_detail(root, APM_HOST_READ_FULL, NULL, error);
}

ApmHost *
apm_host_read_with_progress(const char *root, ApmProgress *progress, GError **error)
{
    return apm_host_read_detail(root, APM_HOST_READ_FULL, progress, error);
}

/* Which cards and queues exist, from the bus's one folder of device links (no card folder is listed); FALSE
 * when there is no such folder (no AP bus) */
static gboolean
read_device_names(Reader *r)
{
    g_autoptr(GPtrArray) names = apm_sysfs_dirs_list(r->host->dirs, "/sys/bus/ap/devices", NULL);

    for (guint i = 0; names && i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        ApmApqn apqn;

        if (strlen(name) == 6 && g_str_has_prefix(name, "card") && g_ascii_isxdigit(name[4]) &&
            g_ascii_isxdigit(name[5])) {
            ApmCardInfo *c = g_new0(ApmCardInfo, 1);

            c->id = g_ascii_xdigit_value(name[4]) << 4 | g_ascii_xdigit_value(name[5]);
            c->config = TRUE;
            g_ptr_array_add(r->host->cards, c);
        } else if (strlen(name) == 7 && name[2] == '.' && apm_apqn_parse(name, &apqn, NULL)) {
            ApmQueueInfo *q = g_new0(ApmQueueInfo, 1);

            q->apqn = apqn;
            g_ptr_array_add(r->host->queues, q);
            r->host->queue_index[apm_apqn_index(apqn)] = q;
        }
    }
    return names != NULL;
}

/* Cards and their queues, at the snapshot's detail */
static void
read_devices(Reader *r, ApmProgress *progress)
{
    g_autoptr(GPtrArray) cards = NULL;

    if (r->host->detail == APM_HOST_READ_NAMES) {
        r->host->ap_bus = read_device_names(r);
        return;
    }
    cards = apm_sysfs_dirs_list(r->host->dirs, "/sys/devices/ap", NULL);

    for (guint i = 0; cards && i < cards->len; i++) {
        const char *name = g_ptr_array_index(cards, i);

        if (strlen(name) == 6 && g_str_has_prefix(name, "card"))
            read_card(r, name);
        apm_progress_update(progress, i + 1, cards->len);
    }
}

/* An empty snapshot of the host at root, or NULL (error set) when root does not exist */
static ApmHost *
host_new(const char *root, ApmHostRead detail, GError **error)
{
    g_autoptr(ApmHost) host = g_new0(ApmHost, 1);

    host->root = g_strdup(root ? root : "/");
    host->detail = detail;
    host->dirs = apm_sysfs_dirs_new(host->root);
    host->cards = g_ptr_array_new_with_free_func((GDestroyNotify) card_free);
    host->queues = g_ptr_array_new_with_free_func((GDestroyNotify) queue_free);
    host->queues_on_demand = g_ptr_array_new_with_free_func((GDestroyNotify) queue_free);
    host->queue_index = g_new0(ApmQueueInfo *, 256 * 256);
    host->asked = g_array_new(FALSE, FALSE, sizeof(guint));
    host->mdevs = g_ptr_array_new_with_free_func((GDestroyNotify) apm_mdev_info_free);
    host->problems = g_ptr_array_new_with_free_func(g_free);
    if (!apm_sysfs_exists(host->root, "/")) {
        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("The host root %s does not exist"), host->root);
        return NULL;
    }
    return g_steal_pointer(&host);
}

/* The mdev definitions in the store; a definition that cannot be read is a problem of the snapshot */
static void
read_definitions(ApmHost *host)
{
    GPtrArray *store_problems = NULL;
    g_autoptr(GError) local = NULL;

    host->definitions = apm_store_list(host->root, &store_problems, &local);
    if (!host->definitions) {
        host->definitions = g_ptr_array_new();
        g_ptr_array_add(host->problems, g_strdup(local->message));
    }
    for (guint i = 0; store_problems && i < store_problems->len; i++)
        g_ptr_array_add(host->problems, g_strdup(g_ptr_array_index(store_problems, i)));
    if (store_problems)
        g_ptr_array_unref(store_problems);
}

/* The active mdevs, each with its attributes */
static void
read_mdevs(Reader *r)
{
    g_autoptr(GPtrArray) mdevs = apm_sysfs_dirs_list(r->host->dirs, "/sys/devices/vfio_ap/matrix", NULL);

    for (guint i = 0; mdevs && i < mdevs->len; i++)
        if (apm_uuid_is_valid(g_ptr_array_index(mdevs, i)))
            read_mdev(r, g_ptr_array_index(mdevs, i));
}

ApmHost *
apm_host_read_nodedevs(const char *root, ApmHostRead detail, gboolean devices, gboolean matrix, gboolean mdevs,
                       ApmProgress *progress, GError **error)
{
    g_autoptr(ApmHost) host = NULL;
    Reader r = { NULL, NULL };

    g_return_val_if_fail(detail == APM_HOST_READ_NAMES || detail == APM_HOST_READ_DRIVERS, NULL);
    if (!(host = host_new(root, detail, error)))
        return NULL;
    r.host = host;
    r.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    host->bus_features = g_new0(char *, 1);
    host->matrix_features = g_new0(char *, 1);
    if (devices && detail == APM_HOST_READ_NAMES) {
        read_devices(&r, progress); /* the listing says whether there is an AP bus: one lookup fewer */
    } else {
        host->ap_bus = apm_sysfs_dirs_has_dir(host->dirs, "/sys/bus/ap");
        if (host->ap_bus && devices)
            read_devices(&r, progress);
    }
    /* whether the matrix device exists, only when its node device or the mdevs are asked for */
    if (matrix || mdevs)
        host->matrix_present = apm_sysfs_dirs_has_dir(host->dirs, "/sys/devices/vfio_ap/matrix");
    if (host->matrix_present && matrix && detail == APM_HOST_READ_DRIVERS)
        read_uint(&r, "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/available_instances",
                  &host->available_instances);
    if (host->matrix_present && mdevs)
        read_mdevs(&r);
    if (mdevs)
        read_definitions(host);
    else
        host->definitions = g_ptr_array_new();
    g_hash_table_unref(r.seen);
    return g_steal_pointer(&host);
}

ApmHost *
apm_host_read_detail(const char *root, ApmHostRead detail, ApmProgress *progress, GError **error)
{
    g_autoptr(ApmHost) host = host_new(root, detail, error);
    Reader r = { host, NULL, detail == APM_HOST_READ_ON_DEMAND };
    g_autofree char *features = NULL, *first = NULL, *bindings = NULL;
    g_autoptr(GError) first_error = NULL;

    if (!host)
        return NULL;
    r.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    /* the first attribute read also says whether there is an AP bus: a file kept open is read in one request,
     * where asking for the folder costs a lookup per path component */
    first = read_attr_error(&r, "/sys/bus/ap/ap_adapter_mask", &first_error);
    host->ap_bus = first || apm_sysfs_dirs_has_dir(host->dirs, "/sys/bus/ap");
    if (host->ap_bus) {
        if (!first)
            g_ptr_array_add(host->problems, g_strdup(first_error->message));
        else
            apm_mask_parse_hex(first, &host->qci.adapters);
        read_mask(&r, "/sys/bus/ap/ap_usage_domain_mask", &host->qci.domains);
        read_mask(&r, "/sys/bus/ap/ap_control_domain_mask", &host->qci.control_domains);
        read_uint(&r, "/sys/bus/ap/ap_max_adapter_id", &host->max_adapter_id);
        read_uint(&r, "/sys/bus/ap/ap_max_domain_id", &host->max_domain_id);
        read_mask(&r, "/sys/bus/ap/apmask", &host->apmask);
        read_mask(&r, "/sys/bus/ap/aqmask", &host->aqmask);
        /* bindings_complete_count came with 6.19, as did the all-ones in_use check */
        bindings = read_attr(&r, "/sys/bus/ap/bindings_complete_count", FALSE);
        host->mask_check_all_ones = bindings != NULL;
        features = read_attr(&r, "/sys/bus/ap/features", FALSE);
        host->bus_features = g_strsplit(features ? features : "", " ", -1);
        if (detail != APM_HOST_READ_ON_DEMAND)
            read_devices(&r, progress);
    }
    host->matrix_present = apm_sysfs_dirs_has_dir(host->dirs, "/sys/devices/vfio_ap/matrix");
    if (host->matrix_present) {
        g_autofree char *mf = read_attr(&r, "/sys/devices/vfio_ap/matrix/features", FALSE);

        host->matrix_features = g_strsplit(mf ? mf : "", " ", -1);
        /* only the matrix device's node-device XML shows how many more mdevs there may be */
        if (detail != APM_HOST_READ_ON_DEMAND)
            read_uint(&r, "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/available_instances",
                      &host->available_instances);
        read_mdevs(&r);
    } else {
        host->matrix_features = g_new0(char *, 1);
    }
    read_persistent_masks(&r);
    read_guests(host);
    read_definitions(host);
    g_hash_table_unref(r.seen);
    return g_steal_pointer(&host);
}

void
apm_host_free(ApmHost *host)
{
    if (!host)
        return;
    g_free(host->root);
    g_clear_pointer(&host->dirs, apm_sysfs_dirs_free);
    g_free(host->persistent_masks_from);
    g_strfreev(host->bus_features);
    g_strfreev(host->matrix_features);
    g_clear_pointer(&host->cards, g_ptr_array_unref);
    g_clear_pointer(&host->queues, g_ptr_array_unref);
    g_clear_pointer(&host->queues_on_demand, g_ptr_array_unref);
    g_free(host->queue_index);
    g_clear_pointer(&host->asked, g_array_unref);
    g_clear_pointer(&host->mdevs, g_ptr_array_unref);
    g_clear_pointer(&host->definitions, g_ptr_array_unref);
    g_clear_pointer(&host->problems, g_ptr_array_unref);
    g_free(host);
}

gboolean
apm_host_has_feature(const ApmHost *host, const char *feature)
{
    return (host->matrix_features && g_strv_contains((const char *const *) host->matrix_features, feature)) ||
           (host->bus_features && g_strv_contains((const char *const *) host->bus_features, feature));
}

const ApmQueueInfo *
apm_host_queue(const ApmHost *host, ApmApqn apqn)
{
    ApmQueueInfo **slot = &host->queue_index[apm_apqn_index(apqn)];

    if (*slot == &absent_queue)
        return NULL;
    if (!*slot && host->detail == APM_HOST_READ_ON_DEMAND) {
        /* a snapshot read on demand fills its index as it is asked (one thread at a time) */
        Reader r = { (ApmHost *) host, NULL };
        ApmQueueInfo *q = read_queue_info(&r, apqn, TRUE);
        guint index = apm_apqn_index(apqn);

        if (q)
            g_ptr_array_add(host->queues_on_demand, q);
        *slot = q ? q : &absent_queue;
        g_array_append_val(host->asked, index);
        return q;
    }
    return *slot;
}

/* Empties the queue index, so that queues are read again (on demand) when asked for */
static void
forget_queues(ApmHost *host)
{
    /* only the entries filled on demand: clearing all 65,536 would touch half a megabyte for a few queues */
    for (guint i = 0; i < host->asked->len; i++)
        host->queue_index[g_array_index(host->asked, guint, i)] = NULL;
    g_array_set_size(host->asked, 0);
    g_ptr_array_set_size(host->queues_on_demand, 0);
}

void
apm_host_load_queues(ApmHost *host)
{
    Reader r = { host, NULL };

    if (host->detail != APM_HOST_READ_ON_DEMAND)
        return;
    forget_queues(host);
    host->detail = APM_HOST_READ_FULL;
    read_devices(&r, NULL);
}

const ApmMdevInfo *
apm_host_mdev(const ApmHost *host, const ApmUuid *uuid)
{
    for (guint i = 0; i < host->mdevs->len; i++) {
        const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);

        if (apm_uuid_equal(&m->uuid, uuid))
            return m;
    }
    return NULL;
}

const ApmStoredDef *
apm_host_definition(const ApmHost *host, const ApmUuid *uuid)
{
    for (guint i = 0; i < host->definitions->len; i++) {
        const ApmStoredDef *d = g_ptr_array_index(host->definitions, i);

        if (apm_uuid_equal(&d->uuid, uuid))
            return d;
    }
    return NULL;
}

gboolean
apm_host_mdev_in_use(const ApmHost *host, const ApmMdevInfo *mdev)
{
    ApmApqnIter iter;
    ApmApqn apqn;

    apm_apqn_iter_init(&iter, &mdev->matrix.adapters, &mdev->matrix.domains);
    while (apm_apqn_iter_next(&iter, &apqn)) {
        const ApmQueueInfo *q = apm_host_queue(host, apqn);

        if (q && q->status && g_str_equal(q->status, "in use"))
            return TRUE;
    }
    return FALSE;
}

gboolean
apm_host_set_guest(ApmHost *host, const ApmUuid *uuid, const char *guest)
{
    ApmMdevInfo *m = (ApmMdevInfo *) apm_host_mdev(host, uuid);

    if (!m)
        return FALSE;
    g_free(m->guest);
    m->guest = g_strdup(guest);
    return TRUE;
}

const ApmMdevInfo *
apm_host_mdev_for_apqn(const ApmHost *host, ApmApqn apqn)
{
    for (guint i = 0; i < host->mdevs->len; i++) {
        const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);

        if (apm_matrix_has_apqn(&m->matrix, apqn))
            return m;
    }
    return NULL;
}

ApmMdevInfo *
apm_host_read_mdev(const char *root, const ApmUuid *uuid)
{
    ApmHost scratch = { .root = (char *) root, .detail = APM_HOST_READ_ON_DEMAND };
    Reader r = { &scratch, NULL };
    char name[APM_UUID_TEXT_LEN + 1];
    g_autofree char *dev = g_strconcat("/sys/devices/vfio_ap/matrix/", apm_uuid_format(uuid, name), NULL);
    ApmMdevInfo *m;

    if (!apm_sysfs_exists(root, dev))
        return NULL;
    scratch.problems = g_ptr_array_new_with_free_func(g_free);
    scratch.dirs = apm_sysfs_dirs_new(root);
    m = read_mdev_info(&r, name);
    apm_sysfs_dirs_free(scratch.dirs);
    g_ptr_array_unref(scratch.problems);
    return m;
}

void
apm_host_refresh_mdev(ApmHost *host, const ApmUuid *uuid)
{
    Reader r = { host, NULL };
    char name[APM_UUID_TEXT_LEN + 1];
    g_autofree char *dev = g_strconcat("/sys/devices/vfio_ap/matrix/", apm_uuid_format(uuid, name), NULL);

    g_return_if_fail(host->detail == APM_HOST_READ_ON_DEMAND);
    forget_queues(host);
    for (guint i = 0; i < host->mdevs->len; i++) {
        ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);

        if (apm_uuid_equal(&m->uuid, uuid)) {
            g_ptr_array_remove_index(host->mdevs, i);
            break;
        }
    }
    if (host_exists(host, dev))
        read_mdev(&r, name);
}

void
apm_host_refresh_mdevs(ApmHost *host)
{
    Reader r = { host, NULL };
    g_autoptr(GPtrArray) mdevs = NULL;

    g_return_if_fail(host->detail == APM_HOST_READ_ON_DEMAND);
    /* the queues' vfio_ap status follows the mdevs: those read on demand are read again when asked for */
    forget_queues(host);
    g_ptr_array_set_size(host->mdevs, 0);
    /* the host configuration and the masks decide what a guest gets: they may have changed too */
    if (host->ap_bus) {
        read_mask(&r, "/sys/bus/ap/ap_adapter_mask", &host->qci.adapters);
        read_mask(&r, "/sys/bus/ap/ap_usage_domain_mask", &host->qci.domains);
        read_mask(&r, "/sys/bus/ap/ap_control_domain_mask", &host->qci.control_domains);
        read_mask(&r, "/sys/bus/ap/apmask", &host->apmask);
        read_mask(&r, "/sys/bus/ap/aqmask", &host->aqmask);
    }
    mdevs = apm_sysfs_dirs_list(host->dirs, "/sys/devices/vfio_ap/matrix", NULL);
    for (guint i = 0; mdevs && i < mdevs->len; i++)
        if (apm_uuid_is_valid(g_ptr_array_index(mdevs, i)))
            read_mdev(&r, g_ptr_array_index(mdevs, i));
    read_guests(host);
}

void
apm_host_read_guest_matrices(ApmHost *host)
{
    Reader r = { host, NULL, FALSE };

    for (guint i = 0; i < host->mdevs->len; i++) {
        ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);
        char name[APM_UUID_TEXT_LEN + 1];
        g_autofree char *dev = NULL;

        if (m->guest_matrix_read)
            continue;
        dev = g_strconcat("/sys/devices/vfio_ap/matrix/", apm_uuid_format(&m->uuid, name), NULL);
        read_guest_matrix(&r, m, dev);
    }
}
