/* test-apsim-stress.c: 8 concurrent writers mixing assign/unassign/ap_config/apmask/aqmask with guest
 * start/stop/attach/detach, a PQAP workload and host configuration changes, for a bounded time, under a
 * watchdog. Afterwards: no lock-order
 * report, no APQN in two mdevs, and every guest's APCB within matrix ∩ host configuration ∩ bound queues. */
#include "config.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>

#include "apm-error.h"
#include "apm-mask.h"
#include "apm-sysfs.h"
#include "apm-test.h"
#include "apsim-harness.h"

#define WRITERS 8
#define MDEVS 4
#define GUESTS 3
#define SECONDS 6

static const char *uuids[MDEVS] = { "a0000000-0000-4000-8000-000000000000", "a1111111-1111-4111-8111-111111111111",
                                    "a2222222-2222-4222-8222-222222222222", "a3333333-3333-4333-8333-333333333333" };

typedef struct {
    Sim *sim;
    gint64 deadline;
    gint progress;
    gint ok_writes;
    gint refused_writes;
    gint unexpected;
    GMutex report_lock;
    GString *report;
} Shared;

static void
unexpected(Shared *s, const char *what, int err)
{
    g_atomic_int_inc(&s->unexpected);
    g_mutex_lock(&s->report_lock);
    if (s->report->len < 4000)
        g_string_append_printf(s->report, "%s: %s\n", what, apm_test_errno_name(err));
    g_mutex_unlock(&s->report_lock);
}

/* errnos the kernel documents for these writes under contention */
static gboolean
documented(const char *attr, int err)
{
    if (err == 0)
        return TRUE;
    if (g_str_has_prefix(attr, "assign_") || g_str_equal(attr, "ap_config"))
        return err == EADDRINUSE || err == EADDRNOTAVAIL;
    if (g_str_equal(attr, "apmask") || g_str_equal(attr, "aqmask"))
        return err == EBUSY;
    return FALSE;
}

static gpointer
writer(gpointer data)
{
    Shared *s = data;
    GRand *rand = g_rand_new();

    while (g_get_monotonic_time() < s->deadline) {
        int op = g_rand_int_range(rand, 0, 10);
        const char *uuid = uuids[g_rand_int_range(rand, 0, MDEVS)];
        guint a = g_rand_int_range(rand, 0, 4), d = g_rand_int_range(rand, 0, 8);
        g_autofree char *path = NULL, *value = NULL;
        const char *attr;
        int err;

        switch (op) {
        case 0: case 1:
            attr = "assign_adapter";
            value = g_strdup_printf("%u", a);
            break;
        case 2: case 3:
            attr = "assign_domain";
            value = g_strdup_printf("%u", d);
            break;
        case 4:
            attr = g_rand_boolean(rand) ? "unassign_adapter" : "unassign_domain";
            value = g_strdup_printf("%u", g_str_equal(attr, "unassign_adapter") ? a : d);
            break;
        case 5:
            attr = g_rand_boolean(rand) ? "assign_control_domain" : "unassign_control_domain";
            value = g_strdup_printf("%u", d);
            break;
        case 6:
            attr = "ap_config";
            value = g_strdup_printf("0x%x,0x%02x,0x%02x\n", 1u << (3 - a), 1u << (7 - d), g_rand_int_range(rand, 0, 256));
            break;
        case 7:
            attr = "apmask";
            value = g_strdup_printf("%c%u", g_rand_boolean(rand) ? '+' : '-', a);
            break;
        case 8:
            attr = "aqmask";
            value = g_strdup_printf("%c%u", g_rand_boolean(rand) ? '+' : '-', d);
            break;
        default:
            attr = "matrix";
            break;
        }
        if (g_str_equal(attr, "matrix")) {
            path = g_strdup_printf("devices/vfio_ap/matrix/%s/guest_matrix", uuid);
            err = sim_read_errno(s->sim, path);
        } else if (g_str_equal(attr, "apmask") || g_str_equal(attr, "aqmask")) {
            path = g_strdup_printf("bus/ap/%s", attr);
            err = sim_write(s->sim, path, value);
        } else {
            path = g_strdup_printf("devices/vfio_ap/matrix/%s/%s", uuid, attr);
            err = sim_write(s->sim, path, value);
        }
        if (err == 0)
            g_atomic_int_inc(&s->ok_writes);
        else if (documented(attr, err))
            g_atomic_int_inc(&s->refused_writes);
        else
            unexpected(s, path, err);
        g_atomic_int_inc(&s->progress);
    }
    g_rand_free(rand);
    return NULL;
}

static gpointer
guest_driver(gpointer data)
{
    Shared *s = data;
    GRand *rand = g_rand_new();

    while (g_get_monotonic_time() < s->deadline) {
        guint g = g_rand_int_range(rand, 0, GUESTS);
        const char *uuid = uuids[g_rand_int_range(rand, 0, MDEVS)];
        g_autofree char *line = NULL;
        g_autofree char *reply = NULL;

        switch (g_rand_int_range(rand, 0, 4)) {
        case 0:
            line = g_strdup_printf("guest-start g%u%s", g, g_rand_boolean(rand) ? "" : " mdev=");
            if (g_str_has_suffix(line, "="))
                line = (g_free(line), g_strdup_printf("guest-start g%u mdev=%s", g, uuid));
            break;
        case 1:
            line = g_strdup_printf("guest-stop g%u", g);
            break;
        case 2:
            line = g_strdup_printf("guest-attach g%u %s", g, uuid);
            break;
        default:
            line = g_strdup_printf("guest-detach g%u", g);
            break;
        }
        /* refusals (already running, no such guest, EPERM, EBUSY) are part of the game */
        if (sim_ctl_fast(s->sim, &reply, line) && g_str_has_prefix(line, "guest-start")) {
            g_autofree char *workload = g_strdup_printf("guest-workload g%u on", g);

            sim_ctl_fast(s->sim, NULL, workload); /* its vCPU keeps issuing PQAP(AQIC) */
        }
        g_atomic_int_inc(&s->progress);
    }
    g_rand_free(rand);
    return NULL;
}

/* the host under the product's feet: adapters and domains leave and rejoin the configuration, cards are
 * deconfigured and checkstopped */
static gpointer
host_changer(gpointer data)
{
    Shared *s = data;
    GRand *rand = g_rand_new();

    while (g_get_monotonic_time() < s->deadline) {
        g_autofree char *line = NULL;
        guint id = g_rand_int_range(rand, 0, 4);
        const char *state = g_rand_boolean(rand) ? "on" : "off";

        switch (g_rand_int_range(rand, 0, 4)) {
        case 0:
            line = g_strdup_printf("config-adapter %u %s", id, state);
            break;
        case 1:
            line = g_strdup_printf("config-domain %u %s", g_rand_int_range(rand, 0, 8), state);
            break;
        case 2:
            line = g_strdup_printf("card-config %u %d", id, g_rand_boolean(rand));
            break;
        default:
            line = g_strdup_printf("card-chkstop %u %d", id, g_rand_int_range(rand, 0, 4) == 0);
            break;
        }
        sim_ctl_fast(s->sim, NULL, line); /* a card out of the configuration refuses card-config: fine */
        g_atomic_int_inc(&s->progress);
        g_usleep(20 * 1000);
    }
    g_rand_free(rand);
    return NULL;
}

static gpointer
pqap_workload(gpointer data)
{
    Shared *s = data;
    GRand *rand = g_rand_new();

    while (g_get_monotonic_time() < s->deadline) {
        g_autofree char *line = g_strdup_printf("pqap g%u %02x.%04x on", g_rand_int_range(rand, 0, GUESTS),
                                                g_rand_int_range(rand, 0, 4), g_rand_int_range(rand, 0, 8));

        sim_ctl_fast(s->sim, NULL, line);
        g_atomic_int_inc(&s->progress);
    }
    g_rand_free(rand);
    return NULL;
}

static gpointer
watchdog(gpointer data)
{
    Shared *s = data;
    int last = -1, still = 0;

    while (g_get_monotonic_time() < s->deadline + 2 * G_USEC_PER_SEC) {
        int now = g_atomic_int_get(&s->progress);

        g_usleep(G_USEC_PER_SEC);
        still = now == last ? still + 1 : 0;
        last = now;
        if (still >= 15) {
            g_printerr("watchdog: no progress for 15 s: deadlock\n");
            abort(); /* the harness stops apsim on abort */
        }
    }
    return NULL;
}

static ApmMask
list_mask(JsonObject *o, const char *key)
{
    ApmMask m;
    const char *text = json_object_get_string_member(o, key);

    apm_mask_clear_all(&m);
    if (*text)
        g_assert_true(apm_mask_parse_list(text, 255, key, &m, NULL));
    return m;
}

static gboolean
in_list(const char *list, const char *apqn)
{
    g_auto(GStrv) names = g_strsplit(list, " ", -1);

    return g_strv_contains((const char *const *) names, apqn);
}

static void
check_invariants(Sim *sim)
{
    g_autofree char *dump = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *root, *qci;
    JsonArray *mdevs, *guests;
    ApmMask owner_adapters[MDEVS], owner_domains[MDEVS];
    const char *vfio;
    ApmMask qa, qd;

    g_assert_true(sim_ctl_fast(sim, &dump, "dump"));
    g_assert_true(json_parser_load_from_data(parser, dump, -1, NULL));
    root = json_node_get_object(json_parser_get_root(parser));
    qci = json_object_get_object_member(root, "qci");
    qa = list_mask(qci, "adapters");
    qd = list_mask(qci, "domains");
    vfio = json_object_get_string_member(json_object_get_object_member(root, "queues"), "vfio_ap");
    mdevs = json_object_get_array_member(root, "mdevs");
    g_assert_cmpuint(json_array_get_length(mdevs), ==, MDEVS);
    for (guint i = 0; i < MDEVS; i++) {
        JsonObject *m = json_array_get_object_element(mdevs, i);
        JsonObject *matrix = json_object_get_object_member(m, "matrix");

        owner_adapters[i] = list_mask(matrix, "adapters");
        owner_domains[i] = list_mask(matrix, "domains");
        /* no APQN in two mdevs */
        for (guint k = 0; k < i; k++) {
            gboolean share = apm_mask_intersects(&owner_adapters[i], &owner_adapters[k]) &&
                             apm_mask_intersects(&owner_domains[i], &owner_domains[k]);

            g_assert_false(share);
        }
    }
    guests = json_object_get_array_member(root, "guests");
    for (guint i = 0; i < json_array_get_length(guests); i++) {
        JsonObject *g = json_array_get_object_element(guests, i);
        JsonObject *apcb = json_object_get_object_member(g, "apcb");
        ApmMask ga = list_mask(apcb, "adapters"), gd = list_mask(apcb, "domains");
        const char *mdev_name = json_object_get_null_member(g, "mdev") ? NULL : json_object_get_string_member(g, "mdev");

        if (!mdev_name) {
            g_assert_true(apm_mask_is_empty(&ga));
            continue;
        }
        for (guint k = 0; k < MDEVS; k++) {
            JsonObject *m = json_array_get_object_element(mdevs, k);
            const char *linked;

            if (!g_str_equal(json_object_get_string_member(m, "uuid"), mdev_name))
                continue;
            linked = json_object_get_string_member(m, "linked_queues");
            g_assert_true(apm_mask_is_subset(&ga, &owner_adapters[k]));
            g_assert_true(apm_mask_is_subset(&ga, &qa));
            APM_MASK_FOREACH(a, &ga) {
                g_assert_true(apm_mask_is_subset(&gd, &owner_domains[k]) || apm_mask_is_empty(&gd));
                g_assert_true(apm_mask_is_subset(&gd, &qd));
                APM_MASK_FOREACH(d, &gd) {
                    char apqn[8];

                    g_snprintf(apqn, sizeof(apqn), "%02x.%04x", a, d);
                    g_assert_true(in_list(vfio, apqn));   /* bound to vfio_ap */
                    g_assert_true(in_list(linked, apqn)); /* linked to this mdev */
                }
            }
        }
    }
}

static void
test_stress(void)
{
    Sim *sim = sim_start_text("[host]\nusage-domains=0-7\ncontrol-domains=0-7\napmask=0,1\naqmask=0-3\n"
                              "[cards]\nids=0-3\nhwtype=14\nmode=cca\n");
    Shared s = { 0 };
    GThread *threads[WRITERS + 4];

    for (guint i = 0; i < MDEVS; i++) {
        sim_mdev(sim, uuids[i], NULL, NULL, NULL);
    }
    s.sim = sim;
    s.report = g_string_new(NULL);
    g_mutex_init(&s.report_lock);
    s.deadline = g_get_monotonic_time() + SECONDS * G_USEC_PER_SEC;
    threads[0] = g_thread_new("watchdog", watchdog, &s);
    threads[1] = g_thread_new("guests", guest_driver, &s);
    threads[2] = g_thread_new("pqap", pqap_workload, &s);
    threads[3] = g_thread_new("host", host_changer, &s);
    for (guint i = 0; i < WRITERS; i++)
        threads[4 + i] = g_thread_new("writer", writer, &s);
    for (guint i = 0; i < WRITERS + 4; i++)
        g_thread_join(threads[i]);
    g_test_message("%d writes succeeded, %d refused with documented errors, %d unexpected", s.ok_writes,
                   s.refused_writes, s.unexpected);
    if (s.unexpected)
        g_test_message("%s", s.report->str);
    g_assert_cmpint(s.unexpected, ==, 0);
    g_assert_cmpint(s.ok_writes, >, 100);
    check_invariants(sim);
    sim_stop(sim); /* fails the test on any lock-order or sanitizer report in apsim's log */
    g_string_free(s.report, TRUE);
    g_mutex_clear(&s.report_lock);
}

/* ---- attribute files kept open, shared by threads ---------------------------------------------------------- */

#define KEPT_THREADS 4
#define KEPT_ROUNDS 40

typedef struct {
    Sim *sim;
    const char *mask_a, *mask_b; /* the two values aqmask takes while the readers run */
    gint failures;
} KeptRun;

/* Reads 96 queue attributes (more than a process keeps open: the oldest are closed while other threads read them)
 * and aqmask, which the main thread changes, through a new reader each round, as snapshots do */
static gpointer
kept_reader(gpointer data)
{
    KeptRun *run = data;

    for (int round = 0; round < KEPT_ROUNDS; round++) {
        g_autoptr(ApmSysfsDirs) dirs = apm_sysfs_dirs_new(run->sim->root);
        g_autofree char *mask = apm_sysfs_dirs_read_line(dirs, "/sys/bus/ap", "aqmask", NULL);

        if (!mask || (g_strcmp0(mask, run->mask_a) && g_strcmp0(mask, run->mask_b))) {
            g_atomic_int_inc(&run->failures);
            g_printerr("aqmask: %s\n", mask ? mask : "(unreadable)");
        }
        for (guint card = 0; card < 8; card++) {
            g_autofree char *dir = g_strdup_printf("/sys/devices/ap/card%02x", card);

            for (guint domain = 0; domain < 12; domain++) {
                g_autofree char *name = g_strdup_printf("%02x.%04x/online", card, domain);
                g_autoptr(GError) error = NULL;
                g_autofree char *online = apm_sysfs_dirs_read_line(dirs, dir, name, &error);

                if (g_strcmp0(online, "1")) {
                    g_atomic_int_inc(&run->failures);
                    g_printerr("%s/%s: %s\n", dir, name, online ? online : error->message);
                }
            }
        }
    }
    return NULL;
}

static void
test_kept_files(void)
{
    Sim *sim = sim_start("z16");
    KeptRun run = { sim, NULL, NULL, 0 };
    g_autofree char *a = NULL, *b = NULL;
    GThread *threads[KEPT_THREADS];

    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "-0x50"), ==, 0);
    a = g_strchomp(sim_read(sim, "bus/ap/aqmask"));
    g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", "+0x50"), ==, 0);
    b = g_strchomp(sim_read(sim, "bus/ap/aqmask"));
    run.mask_a = a;
    run.mask_b = b;
    for (guint i = 0; i < KEPT_THREADS; i++)
        threads[i] = g_thread_new("kept-reader", kept_reader, &run);
    for (guint i = 0; i < 50; i++)
        g_assert_cmpint(sim_write(sim, "bus/ap/aqmask", i % 2 ? "+0x50" : "-0x50"), ==, 0);
    for (guint i = 0; i < KEPT_THREADS; i++)
        g_thread_join(threads[i]);
    g_assert_cmpint(run.failures, ==, 0);
    sim_stop(sim);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    sim_init();
    g_test_add_func("/apsim/stress/8-writers-guests-pqap-keep-invariants", test_stress);
    g_test_add_func("/apsim/stress/attribute-files-kept-open-shared-by-threads", test_kept_files);
    return g_test_run();
}
