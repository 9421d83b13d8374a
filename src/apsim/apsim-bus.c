/* apsim-bus.c: the AP bus attributes and the card and queue device attributes (spec/kernel-ap.md §1.1-§1.4) */
#include "config.h"
#include "apsim-attrs.h"
#include "apsim-host-private.h"

#include <errno.h>

#include "apm-kstrto.h"

const char *
apsim_driver_name(ApsimDriver driver)
{
    switch (driver) {
    case APSIM_DRV_ZCRYPT:
        return "cex4queue";
    case APSIM_DRV_VFIO:
        return "vfio_ap";
    case APSIM_DRV_NONE:
        break;
    }
    return NULL;
}

/* sscanf(buf, "%i") / "%d": optional blanks and sign, digits, anything after is ignored. */
static gboolean
scan_int(const char *buf, gboolean any_base, gint64 *out)
{
    const char *p = buf;
    gboolean neg = FALSE;
    const char *end;
    guint64 v;

    while (g_ascii_isspace(*p))
        p++;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!g_ascii_isdigit(*p))
        return FALSE;
    v = apm_simple_strtoul(p, &end, any_base ? 0 : 10);
    if (end == p || v > G_MAXINT32)
        return FALSE;
    *out = neg ? -(gint64) v : (gint64) v;
    return TRUE;
}

/* kstrtobool: y/Y/1/n/N/0 and on/off. */
static int
parse_bool(const char *buf, gboolean *out)
{
    switch (buf[0]) {
    case 'y': case 'Y': case '1':
        *out = TRUE;
        return 0;
    case 'n': case 'N': case '0':
        *out = FALSE;
        return 0;
    case 'o': case 'O':
        if (buf[1] == 'n' || buf[1] == 'N') {
            *out = TRUE;
            return 0;
        }
        if (buf[1] == 'f' || buf[1] == 'F') {
            *out = FALSE;
            return 0;
        }
        break;
    default:
        break;
    }
    return -EINVAL;
}

static void
append_mask(GString *out, const ApmMask *mask)
{
    char hex[APM_MASK_HEX_LEN + 1];

    g_string_append(out, apm_mask_format_hex(mask, hex));
    g_string_append_c(out, '\n');
}

/* ---- /sys/bus/ap ------------------------------------------------------------------------------------ */

static int
show_ap_domain(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->ap_attr_mutex);
    g_string_append_printf(out, "%d\n", host->ap_domain);
    apm_lock_release(&host->ap_attr_mutex);
    return 0;
}

static int
store_ap_domain(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    gint64 domain;
    int rc = 0;

    apm_lock_acquire(&host->ap_attr_mutex);
    if (!scan_int(buf, TRUE, &domain) || domain < 0 || domain > host->max_domain_id ||
        !apm_mask_test(&host->aqmask, domain))
        rc = -EINVAL;
    else
        host->ap_domain = (int) domain;
    apm_lock_release(&host->ap_attr_mutex);
    return rc;
}

/* The QCI masks: which = 0 adapters, 1 usage domains, 2 control domains. */
static int
show_qci_mask(ApsimHost *host, GString *out, int which)
{
    ApmMatrix qci;

    apsim_host_get_qci(host, &qci);
    append_mask(out, which == 0 ? &qci.adapters : which == 1 ? &qci.domains : &qci.control_domains);
    return 0;
}

static int
show_adapter_mask(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    return show_qci_mask(host, out, 0);
}

static int
show_usage_domain_mask(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    return show_qci_mask(host, out, 1);
}

static int
show_control_domain_mask(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    return show_qci_mask(host, out, 2);
}

static int
show_max_adapter_id(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "%u\n", host->max_adapter_id);
    return 0;
}

static int
show_max_domain_id(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "%u\n", host->max_domain_id);
    return 0;
}

static int
show_interrupts(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "1\n");
    return 0;
}

static int
show_config_time(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "%u\n", (guint) g_atomic_int_get((gint *) &host->config_time));
    return 0;
}

static int
store_config_time(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    gint64 t;

    if (!scan_int(buf, FALSE, &t) || t < 5 || t > 120)
        return -EINVAL;
    g_atomic_int_set((gint *) &host->config_time, (gint) t);
    return 0;
}

static int
show_poll_thread(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "%d\n", g_atomic_int_get(&host->poll_thread) ? 1 : 0);
    return 0;
}

static int
store_poll_thread(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    gboolean value;
    int rc = parse_bool(buf, &value);

    if (rc == 0)
        g_atomic_int_set(&host->poll_thread, value);
    return rc;
}

static int
show_poll_timeout(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->ap_attr_mutex);
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", host->poll_timeout);
    apm_lock_release(&host->ap_attr_mutex);
    return 0;
}

static int
store_poll_timeout(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    guint64 value;
    int rc = apm_kstrtoul(buf, 10, &value);

    if (rc)
        return rc;
    if (value > G_GUINT64_CONSTANT(120000000000))
        return -EINVAL;
    apm_lock_acquire(&host->ap_attr_mutex);
    host->poll_timeout = value;
    apm_lock_release(&host->ap_attr_mutex);
    return 0;
}

static int
show_apmask(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->ap_attr_mutex);
    append_mask(out, &host->apmask);
    apm_lock_release(&host->ap_attr_mutex);
    return 0;
}

static int
show_aqmask(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->ap_attr_mutex);
    append_mask(out, &host->aqmask);
    apm_lock_release(&host->ap_attr_mutex);
    return 0;
}

/* apmask_store / aqmask_store with apmask_commit / aqmask_commit (§1.3). */
static int
store_mask(ApsimHost *host, const char *buf, gboolean adapters)
{
    ApmMask *current = adapters ? &host->apmask : &host->aqmask;
    ApmMask newmask, reserved, all;
    gboolean changes = FALSE;
    const char *env[2] = { NULL, NULL };
    char hex[APM_MASK_HEX_LEN + 1];
    int rc;

    apm_mask_set_all(&all);
    apm_lock_acquire(&host->ap_attr_mutex);
    if (host->topology->driver_override && host->driver_override_ctr) {
        rc = -EINVAL;
        goto out;
    }
    rc = apm_mask_parse_kernel(buf, current, &newmask);
    if (rc)
        goto out;
    changes = !apm_mask_equal(current, &newmask);
    if (!changes)
        goto out;
    apm_mask_andnot(&reserved, &newmask, current);
    if (!apm_mask_is_empty(&reserved)) {
        /* 6.19+: the other dimension is all ones; before, the current other mask */
        const ApmMask *other = host->topology->driver_override ? &all : adapters ? &host->aqmask : &host->apmask;

        if (adapters ? apsim_vfio_in_use(host, &reserved, other) : apsim_vfio_in_use(host, other, &reserved)) {
            rc = -EBUSY;
            changes = FALSE;
            goto out;
        }
    }
    *current = newmask;
out:
    apm_lock_release(&host->ap_attr_mutex);
    if (rc)
        return rc;
    if (changes) {
        apsim_revise_bindings(host);
        env[0] = g_strdup_printf("%s=%s", adapters ? "APMASK" : "AQMASK", apm_mask_format_hex(&newmask, hex));
        apsim_emit_uevent(host, APSIM_UEVENT_CHANGE, "/devices/ap", "ap", env);
        g_free((char *) env[0]);
    }
    return 0;
}

static int
store_apmask(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_mask(host, buf, TRUE);
}

static int
store_aqmask(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    return store_mask(host, buf, FALSE);
}

static int
show_scans(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", host->scans);
    apm_lock_release(&host->devices);
    return 0;
}

static int
store_scans(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    ApmMatrix qci;

    apsim_host_get_qci(host, &qci);
    apsim_host_set_qci(host, &qci);
    return 0;
}

static int
show_bindings(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    guint total, bound;

    apm_lock_acquire(&host->devices);
    apsim_count_bindings_locked(host, &bound, &total);
    g_string_append_printf(out, "%u/%u%s\n", bound, total,
                           host->scans > 0 && bound == total ? " (complete)" : "");
    apm_lock_release(&host->devices);
    return 0;
}

static int
show_bindings_complete_count(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", host->bindings_complete_count);
    apm_lock_release(&host->devices);
    return 0;
}

static gboolean
newest_kernel(ApsimHost *host, const ApsimObject *obj)
{
    return host->topology->driver_override;
}

static int
show_features(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, host->topology->apxa ? "APSC APXA QACT RC8A APSB\n" : "APSC QACT RC8A APSB\n");
    return 0;
}

static const ApsimAttr bus_attrs[] = {
    { "ap_adapter_mask", 0444, show_adapter_mask, NULL, NULL },
    { "ap_control_domain_mask", 0444, show_control_domain_mask, NULL, NULL },
    { "ap_domain", 0644, show_ap_domain, store_ap_domain, NULL },
    { "ap_interrupts", 0444, show_interrupts, NULL, NULL },
    { "ap_max_adapter_id", 0444, show_max_adapter_id, NULL, NULL },
    { "ap_max_domain_id", 0444, show_max_domain_id, NULL, NULL },
    { "ap_usage_domain_mask", 0444, show_usage_domain_mask, NULL, NULL },
    { "apmask", 0644, show_apmask, store_apmask, NULL },
    { "aqmask", 0644, show_aqmask, store_aqmask, NULL },
    { "bindings", 0444, show_bindings, NULL, NULL },
    { "bindings_complete_count", 0444, show_bindings_complete_count, NULL, newest_kernel },
    { "config_time", 0644, show_config_time, store_config_time, NULL },
    { "features", 0444, show_features, NULL, NULL },
    { "poll_thread", 0644, show_poll_thread, store_poll_thread, NULL },
    { "poll_timeout", 0644, show_poll_timeout, store_poll_timeout, NULL },
    { "scans", 0644, show_scans, store_scans, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_bus_attrs, bus_attrs)

/* ---- cards ------------------------------------------------------------------------------------------ */

static guint32
card_functions(const ApsimCard *card)
{
    guint32 f = 0x80000000u; /* MEX4K */

    switch (card->mode) {
    case APSIM_MODE_CCA:
        f |= 0x10000000u;
        break;
    case APSIM_MODE_ACCEL:
        f |= 0x08000000u;
        break;
    case APSIM_MODE_EP11:
        f |= 0x04000000u;
        break;
    }
    return f | 0x00800000u; /* APXA capable */
}

#define CARD(obj) (&host->cards[(obj)->adapter])

static int
show_card_hwtype(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "%u\n", CARD(obj)->hwtype);
    return 0;
}

static int
show_card_raw_hwtype(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "%u\n", CARD(obj)->raw_hwtype);
    return 0;
}

static int
show_card_depth(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "8\n");
    return 0;
}

static int
show_card_functions(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "0x%08X\n", card_functions(CARD(obj)));
    return 0;
}

/* request_count of a card or a queue: any write resets it */
static guint64 *
request_counter(ApsimHost *host, const ApsimObject *obj)
{
    if (obj->kind == APSIM_OBJ_CARD)
        return &CARD(obj)->request_count;
    return &apsim_queue_slot(host, obj->adapter, obj->domain)->request_count;
}

static int
show_request_count(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n", *request_counter(host, obj));
    apm_lock_release(&host->devices);
    return 0;
}

static int
store_request_count(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    apm_lock_acquire(&host->devices);
    *request_counter(host, obj) = 0;
    apm_lock_release(&host->devices);
    return 0;
}

static int
show_zero(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "0\n");
    return 0;
}

static int
show_card_modalias(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "ap:t%02X\n", CARD(obj)->hwtype);
    return 0;
}

static int
show_card_config(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%d\n", CARD(obj)->config ? 1 : 0);
    apm_lock_release(&host->devices);
    return 0;
}

static int
store_card_config(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    gint64 cfg;

    if (!scan_int(buf, FALSE, &cfg) || cfg < 0 || cfg > 1)
        return -EINVAL;
    return apsim_host_card_set_config(host, obj->adapter, cfg == 1);
}

static int
show_card_chkstop(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%d\n", CARD(obj)->chkstop ? 1 : 0);
    apm_lock_release(&host->devices);
    return 0;
}

static int
show_card_max_msg_size(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, "12288\n");
    return 0;
}

static int
show_card_type(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_autofree char *name = apsim_card_type_name(CARD(obj)->hwtype, CARD(obj)->mode);

    g_string_append_printf(out, "%s\n", name);
    return 0;
}

static int
show_card_online(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%d\n", CARD(obj)->online && CARD(obj)->config ? 1 : 0);
    apm_lock_release(&host->devices);
    return 0;
}

/* zcrypt_card online_store: forces every zcrypt queue of the card to the same state. */
static int
store_card_online(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    ApsimCard *card = CARD(obj);
    gint64 online;
    int rc = 0;

    ApmMask changed;
    const char *env[] = { NULL, NULL };

    if (!scan_int(buf, FALSE, &online) || online < 0 || online > 1)
        return -EINVAL;
    env[0] = online ? "ONLINE=1" : "ONLINE=0";
    apm_mask_clear_all(&changed);
    apm_lock_acquire(&host->devices);
    if (online && (!card->config || card->chkstop)) {
        rc = -ENODEV;
    } else {
        card->online = online;
        for (guint d = 0; d < 256; d++) {
            ApsimQueue *q = apsim_queue_slot(host, card->id, d);

            if (q->present && q->driver == APSIM_DRV_ZCRYPT && q->online != (online == 1)) {
                q->online = online;
                apm_mask_set(&changed, d);
            }
        }
    }
    apm_lock_release(&host->devices);
    if (rc)
        return rc;
    /* zcrypt's online_store: ONLINE= for the card, and for each queue whose state it changed */
    apsim_emit_ap_uevent(host, APSIM_UEVENT_CHANGE, card->id, -1, env);
    APM_MASK_FOREACH(d, &changed)
        apsim_emit_ap_uevent(host, APSIM_UEVENT_CHANGE, card->id, d, env);
    return 0;
}

static int
show_card_uevent(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append_printf(out, "DEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=%04X\nMODALIAS=ap:t%02X\nMODE=%s\n", CARD(obj)->hwtype,
                           CARD(obj)->hwtype, apsim_card_mode_name(CARD(obj)->mode));
    return 0;
}

static const ApsimAttr card_attrs[] = {
    { "ap_functions", 0444, show_card_functions, NULL, NULL },
    { "chkstop", 0444, show_card_chkstop, NULL, NULL },
    { "config", 0644, show_card_config, store_card_config, NULL },
    { "depth", 0444, show_card_depth, NULL, NULL },
    { "hwtype", 0444, show_card_hwtype, NULL, NULL },
    { "load", 0444, show_zero, NULL, NULL },
    { "max_msg_size", 0444, show_card_max_msg_size, NULL, NULL },
    { "modalias", 0444, show_card_modalias, NULL, NULL },
    { "online", 0644, show_card_online, store_card_online, NULL },
    { "pendingq_count", 0444, show_zero, NULL, NULL },
    { "raw_hwtype", 0444, show_card_raw_hwtype, NULL, NULL },
    { "request_count", 0644, show_request_count, store_request_count, NULL },
    { "requestq_count", 0444, show_zero, NULL, NULL },
    { "type", 0444, show_card_type, NULL, NULL },
    { "uevent", 0644, show_card_uevent, NULL, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_card_attrs, card_attrs)

/* ---- queues ----------------------------------------------------------------------------------------- */

#define QUEUE(obj) apsim_queue_slot(host, (obj)->adapter, (obj)->domain)

static gboolean
bound_to(ApsimHost *host, const ApsimObject *obj, ApsimDriver driver)
{
    return apsim_host_queue_driver(host, QUEUE(obj)) == driver;
}

static gboolean
zcrypt_bound(ApsimHost *host, const ApsimObject *obj)
{
    return bound_to(host, obj, APSIM_DRV_ZCRYPT);
}

static gboolean
vfio_bound(ApsimHost *host, const ApsimObject *obj)
{
    return bound_to(host, obj, APSIM_DRV_VFIO);
}

static int
show_queue_reset(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    g_string_append(out, bound_to(host, obj, APSIM_DRV_ZCRYPT) ? "Reset Timer armed.\n" : "No Reset Timer set.\n");
    return 0;
}

static int
store_queue_reset(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    apm_lock_acquire(&host->mdevs_lock);
    QUEUE(obj)->resets++;
    QUEUE(obj)->irq_enabled = FALSE;
    apm_lock_release(&host->mdevs_lock);
    return 0;
}

static int
show_queue_interrupt(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    gboolean enabled;

    if (bound_to(host, obj, APSIM_DRV_ZCRYPT)) {
        g_string_append(out, "Interrupts enabled.\n");
        return 0;
    }
    apm_lock_acquire(&host->mdevs_lock);
    enabled = QUEUE(obj)->irq_enabled;
    apm_lock_release(&host->mdevs_lock);
    g_string_append(out, enabled ? "Interrupts enabled.\n" : "Interrupts disabled.\n");
    return 0;
}

static int
show_queue_config(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    return show_card_config(host, obj, out);
}

static int
show_queue_chkstop(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    return show_card_chkstop(host, obj, out);
}

static int
show_queue_functions(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    gboolean chkstop;

    apm_lock_acquire(&host->devices);
    chkstop = CARD(obj)->chkstop;
    apm_lock_release(&host->devices);
    if (chkstop)
        return -EIO; /* TAPQ fails on a checkstopped adapter */
    return show_card_functions(host, obj, out);
}

static int
show_queue_driver_override(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->ap_attr_mutex);
    g_string_append_printf(out, "%s\n", QUEUE(obj)->driver_override ? QUEUE(obj)->driver_override : "");
    apm_lock_release(&host->ap_attr_mutex);
    return 0;
}

/* driver_override_store (6.19): refused while the masks are in use; driver_set_override's rules. */
static int
store_queue_driver_override(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    ApsimQueue *q = QUEUE(obj);
    gboolean had;
    g_autofree char *value = NULL;
    int rc = 0;

    if (len >= 4096)
        return -EINVAL;
    value = g_strndup(buf, len);
    if (*value && value[strlen(value) - 1] == '\n')
        value[strlen(value) - 1] = '\0';
    apm_lock_acquire(&host->ap_attr_mutex);
    if (!apm_mask_is_full(&host->apmask) || !apm_mask_is_full(&host->aqmask)) {
        rc = -EINVAL;
        goto out;
    }
    had = q->driver_override != NULL;
    g_free(q->driver_override);
    q->driver_override = *value ? g_steal_pointer(&value) : NULL;
    if (had && !q->driver_override)
        host->driver_override_ctr--;
    else if (!had && q->driver_override)
        host->driver_override_ctr++;
out:
    apm_lock_release(&host->ap_attr_mutex);
    return rc;
}

static gboolean
has_driver_override(ApsimHost *host, const ApsimObject *obj)
{
    return host->topology->driver_override;
}

static int
show_queue_online(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    apm_lock_acquire(&host->devices);
    g_string_append_printf(out, "%d\n", QUEUE(obj)->online ? 1 : 0);
    apm_lock_release(&host->devices);
    return 0;
}

static int
store_queue_online(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    ApsimCard *card = CARD(obj);
    gint64 online;
    int rc = 0;

    if (!scan_int(buf, FALSE, &online) || online < 0 || online > 1)
        return -EINVAL;
    apm_lock_acquire(&host->devices);
    if (online && (!card->config || card->chkstop))
        rc = -ENODEV;
    else if (online && !card->online)
        rc = -EINVAL;
    else
        QUEUE(obj)->online = online;
    apm_lock_release(&host->devices);
    if (rc == 0) {
        const char *env[] = { online ? "ONLINE=1" : "ONLINE=0", NULL };

        apsim_emit_ap_uevent(host, APSIM_UEVENT_CHANGE, obj->adapter, (int) obj->domain, env);
    }
    return rc;
}

/* status_show: guests then mdevs; "in use" when a guest holds the mdev and the APQN is in its shadow APCB. */
static int
show_queue_status(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    ApmApqn apqn = { obj->adapter, obj->domain };
    const char *status = "unassigned";

    apm_lock_acquire(&host->guests_lock);
    apm_lock_acquire(&host->mdevs_lock);
    for (guint i = 0; i < host->mdev_list->len; i++) {
        ApsimMdev *m = g_ptr_array_index(host->mdev_list, i);

        if (!apm_matrix_has_apqn(&m->matrix, apqn))
            continue;
        status = m->guest && apm_matrix_has_apqn(&m->shadow, apqn) ? "in use" : "assigned";
        break;
    }
    apm_lock_release(&host->mdevs_lock);
    apm_lock_release(&host->guests_lock);
    g_string_append_printf(out, "%s\n", status);
    return 0;
}

static int
show_queue_uevent(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    ApsimDriver driver = apsim_host_queue_driver(host, QUEUE(obj));

    g_string_append(out, "DEVTYPE=ap_queue\n");
    if (driver != APSIM_DRV_NONE)
        g_string_append_printf(out, "DRIVER=%s\n", apsim_driver_name(driver));
    /* ap_uevent gives a queue its card's mode only; DEV_TYPE and MODALIAS are a card's */
    g_string_append_printf(out, "MODE=%s\n", apsim_card_mode_name(CARD(obj)->mode));
    return 0;
}

static const ApsimAttr queue_attrs[] = {
    { "ap_functions", 0444, show_queue_functions, NULL, NULL },
    { "chkstop", 0444, show_queue_chkstop, NULL, NULL },
    { "config", 0444, show_queue_config, NULL, NULL },
    { "driver_override", 0644, show_queue_driver_override, store_queue_driver_override, has_driver_override },
    { "interrupt", 0444, show_queue_interrupt, NULL, NULL },
    { "load", 0444, show_zero, NULL, zcrypt_bound },
    { "online", 0644, show_queue_online, store_queue_online, zcrypt_bound },
    { "pendingq_count", 0444, show_zero, NULL, NULL },
    { "request_count", 0644, show_request_count, store_request_count, NULL },
    { "requestq_count", 0444, show_zero, NULL, NULL },
    { "reset", 0644, show_queue_reset, store_queue_reset, NULL },
    { "status", 0444, show_queue_status, NULL, vfio_bound },
    { "uevent", 0644, show_queue_uevent, NULL, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_queue_attrs, queue_attrs)

/* ---- /sys/bus/ap/drivers/NAME/{bind,unbind} ----------------------------------------------------------- */

static int
parse_queue_name(const char *buf, gsize len, guint *adapter, guint *domain)
{
    g_autofree char *name = g_strstrip(g_strndup(buf, len));
    ApmApqn apqn;

    if (strlen(name) != 7 || !apm_apqn_parse(name, &apqn, NULL))
        return -ENODEV;
    *adapter = apqn.adapter;
    *domain = apqn.domain;
    return 0;
}

static int
store_driver_bind(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    guint a, d;
    ApsimQueue *q;
    int rc = parse_queue_name(buf, len, &a, &d);

    if (rc)
        return rc;
    q = apsim_host_queue(host, a, d);
    if (!q)
        return -ENODEV;
    if (apsim_host_queue_driver(host, q) != APSIM_DRV_NONE)
        return -EBUSY;
    return apsim_host_bind_queue(host, q, obj->driver);
}

static int
store_driver_unbind(ApsimHost *host, const ApsimObject *obj, const char *buf, gsize len)
{
    guint a, d;
    ApsimQueue *q;
    int rc = parse_queue_name(buf, len, &a, &d);

    if (rc)
        return rc;
    q = apsim_host_queue(host, a, d);
    if (!q || apsim_host_queue_driver(host, q) != obj->driver)
        return -ENODEV;
    apsim_host_unbind_queue(host, q);
    return 0;
}

static const ApsimAttr ap_driver_attrs[] = {
    { "bind", 0200, NULL, store_driver_bind, NULL },
    { "unbind", 0200, NULL, store_driver_unbind, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_ap_driver_attrs, ap_driver_attrs)
