/* test-lock.c: ranked locks, lock sets and the lock-order checker */
#include "config.h"

#include "apm-lock.h"
#include "apm-test.h"

/* The kernel's order, as apsim will mirror it (spec/kernel-ap.md §3.2). */
static const ApmLockClass attr_class = { "ap_attr_mutex", 10 };
static const ApmLockClass guests_class = { "guests_lock", 20 };
static const ApmLockClass kvm_class = { "kvm->lock", 30 };
static const ApmLockClass mdevs_class = { "mdevs_lock", 40 };
/* The PQAP handler takes the rwsem for reading and then mdevs_lock; set_kvm drops the rwsem before the
 * update locks. So the rwsem ranks just below mdevs_lock. */
static const ApmLockClass pqap_class = { "pqap_hook_rwsem", 35 };
static const char host_lock[] = "s390apconfig.lock"; /* identifies a lock file to the checker */

static void
skip_without_checker(void)
{
    if (!apm_lockdep_enabled())
        g_test_skip("the lock-order checker is compiled out (-Dlockdep=disabled or a release build)");
}

static void
test_set_takes_rank_order_releases_reverse(void)
{
    ApmLock attr, guests, kvm, mdevs;
    ApmLockSet set;

    apm_lock_init(&attr, &attr_class, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&guests, &guests_class, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&kvm, &kvm_class, APM_LOCK_MUTEX, "kvm->lock of guest g1");
    apm_lock_init(&mdevs, &mdevs_class, APM_LOCK_MUTEX, NULL);
    apm_lock_set_init(&set);
    /* added in the wrong order, with a NULL for "no guest attached" */
    apm_lock_set_add(&set, &mdevs);
    apm_lock_set_add(&set, NULL);
    apm_lock_set_add(&set, &kvm);
    apm_lock_set_add(&set, &guests);
    apm_lock_set_add(&set, &attr);
    apm_lock_set_acquire(&set);
    g_assert_cmpuint(set.n, ==, 4);
    g_assert_true(set.locks[0] == &attr && set.locks[1] == &guests && set.locks[2] == &kvm &&
                  set.locks[3] == &mdevs);
    if (apm_lockdep_enabled()) {
        g_assert_true(apm_lock_held(&attr) && apm_lock_held(&mdevs));
    }
    apm_lock_set_release(&set);
    if (apm_lockdep_enabled()) {
        g_assert_false(apm_lock_held(&attr));
        g_assert_false(apm_lock_held(&mdevs));
    }
    /* released for real: another set can take them again */
    apm_lock_set_acquire(&set);
    apm_lock_set_release(&set);
    apm_lock_clear(&attr);
    apm_lock_clear(&guests);
    apm_lock_clear(&kvm);
    apm_lock_clear(&mdevs);
}

/* Each violation runs in a child process, which must abort with a report naming both locks. */
static void
violation_out_of_order(void)
{
    ApmLock guests, mdevs;

    apm_lock_init(&guests, &guests_class, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&mdevs, &mdevs_class, APM_LOCK_MUTEX, NULL);
    apm_lock_acquire(&mdevs);
    apm_lock_acquire(&guests); /* the 2021 inversion: guests_lock after mdevs_lock */
}

static void
violation_recursive(void)
{
    ApmLock guests;

    apm_lock_init(&guests, &guests_class, APM_LOCK_MUTEX, NULL);
    apm_lock_acquire(&guests);
    apm_lock_acquire(&guests);
}

static void
violation_same_class(void)
{
    ApmLock kvm1, kvm2;

    apm_lock_init(&kvm1, &kvm_class, APM_LOCK_MUTEX, "kvm->lock of guest g1");
    apm_lock_init(&kvm2, &kvm_class, APM_LOCK_MUTEX, "kvm->lock of guest g2");
    apm_lock_acquire(&kvm1);
    apm_lock_acquire(&kvm2);
}

static void
violation_read_side(void)
{
    ApmLock mdevs, pqap;

    apm_lock_init(&mdevs, &mdevs_class, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&pqap, &pqap_class, APM_LOCK_RWLOCK, NULL);
    apm_lock_acquire_read(&pqap);
    apm_lock_acquire(&mdevs); /* fine: the PQAP handler's order */
    apm_lock_release(&mdevs);
    apm_lock_release(&pqap);
    /* a cross-process lock registered by hand: the host config lock after guests_lock is wrong */
    {
        ApmLock guests;

        apm_lock_init(&guests, &guests_class, APM_LOCK_MUTEX, NULL);
        apm_lock_acquire(&guests);
        apm_lockdep_acquire(&attr_class, host_lock, "/run/lock/s390apconfig.lock");
    }
}

static void
violation_assert_none_held(void)
{
    ApmLock guests;

    apm_lock_init(&guests, &guests_class, APM_LOCK_MUTEX, NULL);
    apm_lock_acquire(&guests);
    apm_lockdep_assert_none_held("running mdevctl");
}

typedef struct {
    const char *name;
    void (*body)(void);
    const char *expect[3];
} Violation;

static const Violation violations[] = {
    { "out-of-order", violation_out_of_order, { "guests_lock", "mdevs_lock", "must come later" } },
    { "recursive", violation_recursive, { "guests_lock", "recursive", NULL } },
    { "same-class-nested", violation_same_class, { "guest g1", "guest g2", "same class" } },
    { "lockfile-after-guests-lock", violation_read_side, { "s390apconfig.lock", "guests_lock", NULL } },
    { "locked-while-running-a-tool", violation_assert_none_held, { "running mdevctl", "guests_lock", NULL } },
};

static void
test_violation(gconstpointer data)
{
    const Violation *v = data;

    skip_without_checker();
    if (!apm_lockdep_enabled())
        return;
    if (g_test_subprocess()) {
        v->body();
        exit(0); /* not reached when the checker works */
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*lock-order violation*");
    for (guint i = 0; i < G_N_ELEMENTS(v->expect) && v->expect[i]; i++) {
        g_autofree char *pattern = g_strdup_printf("*%s*", v->expect[i]);

        g_test_trap_assert_stderr(pattern);
    }
}

static void
test_lockfile_class_in_order_is_fine(void)
{
    ApmLock guests;

    apm_lock_init(&guests, &guests_class, APM_LOCK_MUTEX, NULL);
    apm_lockdep_acquire(&attr_class, host_lock, "/run/lock/s390apconfig.lock");
    apm_lock_acquire(&guests);
    apm_lock_release(&guests);
    apm_lockdep_release(host_lock);
    apm_lock_clear(&guests);
}

/* Threads take overlapping sets in rank order; counters guarded by the sets must add up, and contention is
 * counted. Run under ThreadSanitizer in the concurrency suite. */
typedef struct {
    ApmLock guests, kvm[2], mdevs;
    ApmLock pqap;
    guint64 counter_guests;
    guint64 counter_mdevs;
    guint64 counter_kvm[2];
} Shared;

#define THREADS 8
#define ROUNDS 2000

static gpointer
worker(gpointer data)
{
    Shared *s = data;
    guint seed = GPOINTER_TO_UINT(g_thread_self());

    for (int r = 0; r < ROUNDS; r++) {
        int guest = (r + seed) % 2;
        ApmLockSet set;

        if (r % 5 == 4) {
            /* the PQAP path: rwsem read, then mdevs_lock */
            apm_lock_acquire_read(&s->pqap);
            apm_lock_acquire(&s->mdevs);
            s->counter_mdevs++;
            apm_lock_release(&s->mdevs);
            apm_lock_release(&s->pqap);
            continue;
        }
        apm_lock_set_init(&set);
        apm_lock_set_add(&set, &s->mdevs);
        apm_lock_set_add(&set, &s->kvm[guest]);
        apm_lock_set_add(&set, &s->guests);
        apm_lock_set_acquire(&set);
        s->counter_guests++;
        s->counter_kvm[guest]++;
        s->counter_mdevs++;
        apm_lock_set_release(&set);
    }
    return NULL;
}

static void
test_threads_contend_without_deadlock(void)
{
    Shared s = { 0 };
    GThread *threads[THREADS];
    ApmLockStats stats;

    apm_lock_init(&s.guests, &guests_class, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&s.kvm[0], &kvm_class, APM_LOCK_MUTEX, "kvm->lock of guest g0");
    apm_lock_init(&s.kvm[1], &kvm_class, APM_LOCK_MUTEX, "kvm->lock of guest g1");
    apm_lock_init(&s.mdevs, &mdevs_class, APM_LOCK_MUTEX, NULL);
    apm_lock_init(&s.pqap, &pqap_class, APM_LOCK_RWLOCK, NULL);
    for (int t = 0; t < THREADS; t++)
        threads[t] = g_thread_new("worker", worker, &s);
    for (int t = 0; t < THREADS; t++)
        g_thread_join(threads[t]);
    g_assert_cmpuint(s.counter_mdevs, ==, THREADS * ROUNDS);
    g_assert_cmpuint(s.counter_guests, ==, s.counter_kvm[0] + s.counter_kvm[1]);
    g_assert_cmpuint(s.counter_guests, ==, THREADS * (ROUNDS - ROUNDS / 5));
    apm_lock_get_stats(&s.mdevs, &stats);
    g_assert_cmpuint(stats.acquisitions, ==, THREADS * ROUNDS);
    g_assert_cmpuint(stats.contended, <=, stats.acquisitions);
    apm_lock_clear(&s.guests);
    apm_lock_clear(&s.kvm[0]);
    apm_lock_clear(&s.kvm[1]);
    apm_lock_clear(&s.mdevs);
    apm_lock_clear(&s.pqap);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/lock/set-takes-rank-order-releases-reverse", test_set_takes_rank_order_releases_reverse);
    g_test_add_func("/lock/lockfile-class-in-order-is-fine", test_lockfile_class_in_order_is_fine);
    for (guint i = 0; i < G_N_ELEMENTS(violations); i++) {
        g_autofree char *path = g_strdup_printf("/lock/checker/aborts-on-%s", violations[i].name);

        g_test_add_data_func(path, &violations[i], test_violation);
    }
    g_test_add_func("/lock/threads-contend-without-deadlock", test_threads_contend_without_deadlock);
    return g_test_run();
}
