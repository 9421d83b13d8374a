/* apm-lock.c: ranked locks and the lock-order checker */
#include "config.h"
#include "apm-lock.h"

#include <stdio.h>
#include <stdlib.h>

#include "apm-i18n.h"

#define HELD_MAX 32

typedef struct {
    const ApmLockClass *klass;
    const void *instance;
    const char *name;
} HeldLock;

#if APM_LOCK_DEBUG
static _Thread_local HeldLock held[HELD_MAX];
static _Thread_local guint held_depth;

G_GNUC_NORETURN static void
report_and_abort(const char *problem, const ApmLockClass *klass, const char *name, const HeldLock *culprit)
{
    fprintf(stderr, _("apmatrix: lock-order violation: %s\n"), problem);
    fprintf(stderr, _("  wanted: %s \"%s\" (rank %u)\n"), klass->name, name, klass->rank);
    if (culprit)
        fprintf(stderr, _("  held:   %s \"%s\" (rank %u)\n"), culprit->klass->name, culprit->name,
                culprit->klass->rank);
    fprintf(stderr, _("  locks held by this thread, oldest first:\n"));
    for (guint i = 0; i < held_depth; i++)
        fprintf(stderr, "    %u. %s \"%s\" (rank %u)\n", i + 1, held[i].klass->name, held[i].name,
                held[i].klass->rank);
    fflush(stderr);
    abort();
}
#endif

gboolean
apm_lockdep_enabled(void)
{
    return APM_LOCK_DEBUG;
}

void
apm_lockdep_acquire(const ApmLockClass *klass, const void *instance, const char *name)
{
#if APM_LOCK_DEBUG
    for (guint i = 0; i < held_depth; i++) {
        if (held[i].instance == instance)
            report_and_abort(_("recursive acquisition of a lock this thread already holds"), klass, name,
                             &held[i]);
        if (held[i].klass == klass)
            report_and_abort(_("two locks of the same class nested"), klass, name, &held[i]);
        if (held[i].klass->rank > klass->rank)
            report_and_abort(_("acquired after a lock that must come later in the order"), klass, name,
                             &held[i]);
    }
    if (held_depth == HELD_MAX)
        report_and_abort(_("too many locks held at once"), klass, name, NULL);
    held[held_depth++] = (HeldLock) { klass, instance, name };
#else
    (void) klass;
    (void) instance;
    (void) name;
#endif
}

void
apm_lockdep_release(const void *instance)
{
#if APM_LOCK_DEBUG
    for (guint i = held_depth; i-- > 0;) {
        if (held[i].instance != instance)
            continue;
        memmove(&held[i], &held[i + 1], (held_depth - i - 1) * sizeof(HeldLock));
        held_depth--;
        return;
    }
    fprintf(stderr, _("apmatrix: lock-order violation: released a lock this thread does not hold\n"));
    abort();
#else
    (void) instance;
#endif
}

gboolean
apm_lockdep_holds(const void *instance)
{
#if APM_LOCK_DEBUG
    for (guint i = 0; i < held_depth; i++)
        if (held[i].instance == instance)
            return TRUE;
    return FALSE;
#else
    (void) instance;
    return TRUE;
#endif
}

void
apm_lockdep_assert_none_held(const char *what)
{
#if APM_LOCK_DEBUG
    if (held_depth == 0)
        return;
    fprintf(stderr, _("apmatrix: lock-order violation: %s while holding locks\n"), what);
    for (guint i = 0; i < held_depth; i++)
        fprintf(stderr, "    %u. %s \"%s\" (rank %u)\n", i + 1, held[i].klass->name, held[i].name,
                held[i].klass->rank);
    fflush(stderr);
    abort();
#else
    (void) what;
#endif
}

void
apm_lock_init(ApmLock *lock, const ApmLockClass *klass, ApmLockKind kind, const char *name)
{
    memset(lock, 0, sizeof(*lock));
    lock->klass = klass;
    lock->kind = kind;
    lock->name = g_strdup(name ? name : klass->name);
    if (kind == APM_LOCK_MUTEX)
        pthread_mutex_init(&lock->u.mutex, NULL);
    else
        pthread_rwlock_init(&lock->u.rwlock, NULL);
}

void
apm_lock_clear(ApmLock *lock)
{
    if (!lock->klass)
        return;
    if (lock->kind == APM_LOCK_MUTEX)
        pthread_mutex_destroy(&lock->u.mutex);
    else
        pthread_rwlock_destroy(&lock->u.rwlock);
    g_clear_pointer(&lock->name, g_free);
    lock->klass = NULL;
}

static void
account(ApmLock *lock, gboolean waited, gint64 start)
{
    __atomic_add_fetch(&lock->acquisitions, 1, __ATOMIC_RELAXED);
    if (waited) {
        __atomic_add_fetch(&lock->contended, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&lock->wait_ns, (guint64) (g_get_monotonic_time() - start) * 1000, __ATOMIC_RELAXED);
    }
}

void
apm_lock_acquire(ApmLock *lock)
{
    gboolean waited = FALSE;
    gint64 start = 0;

    apm_lockdep_acquire(lock->klass, lock, lock->name);
    if (lock->kind == APM_LOCK_MUTEX) {
        if (pthread_mutex_trylock(&lock->u.mutex) != 0) {
            waited = TRUE;
            start = g_get_monotonic_time();
            pthread_mutex_lock(&lock->u.mutex);
        }
    } else if (pthread_rwlock_trywrlock(&lock->u.rwlock) != 0) {
        waited = TRUE;
        start = g_get_monotonic_time();
        pthread_rwlock_wrlock(&lock->u.rwlock);
    }
    account(lock, waited, start);
}

void
apm_lock_acquire_read(ApmLock *lock)
{
    gboolean waited = FALSE;
    gint64 start = 0;

    g_return_if_fail(lock->kind == APM_LOCK_RWLOCK);
    apm_lockdep_acquire(lock->klass, lock, lock->name);
    if (pthread_rwlock_tryrdlock(&lock->u.rwlock) != 0) {
        waited = TRUE;
        start = g_get_monotonic_time();
        pthread_rwlock_rdlock(&lock->u.rwlock);
    }
    account(lock, waited, start);
}

void
apm_lock_release(ApmLock *lock)
{
    if (lock->kind == APM_LOCK_MUTEX)
        pthread_mutex_unlock(&lock->u.mutex);
    else
        pthread_rwlock_unlock(&lock->u.rwlock);
    apm_lockdep_release(lock);
}

void
apm_lock_get_stats(const ApmLock *lock, ApmLockStats *stats)
{
    stats->acquisitions = __atomic_load_n(&lock->acquisitions, __ATOMIC_RELAXED);
    stats->contended = __atomic_load_n(&lock->contended, __ATOMIC_RELAXED);
    stats->wait_ns = __atomic_load_n(&lock->wait_ns, __ATOMIC_RELAXED);
}

gboolean
apm_lock_held(const ApmLock *lock)
{
    return apm_lockdep_holds(lock);
}

void
apm_lock_set_init(ApmLockSet *set)
{
    set->n = 0;
}

void
apm_lock_set_add(ApmLockSet *set, ApmLock *lock)
{
    if (!lock)
        return;
    g_assert(set->n < APM_LOCK_SET_MAX);
    set->locks[set->n++] = lock;
}

static int
compare_rank(const void *a, const void *b)
{
    const ApmLock *la = *(ApmLock *const *) a;
    const ApmLock *lb = *(ApmLock *const *) b;

    return (la->klass->rank > lb->klass->rank) - (la->klass->rank < lb->klass->rank);
}

void
apm_lock_set_acquire(ApmLockSet *set)
{
    qsort(set->locks, set->n, sizeof(set->locks[0]), compare_rank);
    for (guint i = 0; i < set->n; i++)
        apm_lock_acquire(set->locks[i]);
}

void
apm_lock_set_release(ApmLockSet *set)
{
    for (guint i = set->n; i-- > 0;)
        apm_lock_release(set->locks[i]);
}
