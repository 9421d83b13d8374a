/* apm-lock.h: ranked locks, taken in rank order, with a run-time lock-order checker in debug builds */
#pragma once

#include <glib.h>
#include <pthread.h>

/* A lock class: every lock of a class has the same rank. A thread may only take a lock whose rank is
 * higher than the rank of every lock it holds; two locks of one class never nest. */
typedef struct {
    const char *name;
    guint rank;
} ApmLockClass;

typedef enum {
    APM_LOCK_MUTEX,
    APM_LOCK_RWLOCK,
} ApmLockKind;

typedef struct {
    guint64 acquisitions; /* successful acquisitions, read or write */
    guint64 contended;    /* acquisitions that had to wait */
    guint64 wait_ns;      /* total time spent waiting */
} ApmLockStats;

typedef struct {
    const ApmLockClass *klass;
    char *name; /* instance, e.g. "kvm->lock of guest g1" */
    ApmLockKind kind;
    union {
        pthread_mutex_t mutex;
        pthread_rwlock_t rwlock;
    } u;
    guint64 acquisitions;
    guint64 contended;
    guint64 wait_ns;
} ApmLock;

void apm_lock_init(ApmLock *lock, const ApmLockClass *klass, ApmLockKind kind, const char *name);
void apm_lock_clear(ApmLock *lock);

/* Mutex, or the write side of a rwlock. */
void apm_lock_acquire(ApmLock *lock);
/* The read side of a rwlock. */
void apm_lock_acquire_read(ApmLock *lock);
void apm_lock_release(ApmLock *lock);

void apm_lock_get_stats(const ApmLock *lock, ApmLockStats *stats);

/* TRUE when the calling thread holds lock. Only meaningful with the checker; without it, always TRUE so
 * that assertions built on it hold. */
gboolean apm_lock_held(const ApmLock *lock);
#define apm_lock_assert_held(lock) g_assert(apm_lock_held(lock))

/* A set of locks taken together: added in any order (NULLs ignored), acquired in rank order, released in
 * the reverse order. */
#define APM_LOCK_SET_MAX 8

typedef struct {
    ApmLock *locks[APM_LOCK_SET_MAX];
    guint n;
} ApmLockSet;

void apm_lock_set_init(ApmLockSet *set);
void apm_lock_set_add(ApmLockSet *set, ApmLock *lock);
void apm_lock_set_acquire(ApmLockSet *set);
void apm_lock_set_release(ApmLockSet *set);

/* The checker, for locks that are not ApmLocks (lock files, cross-process job locks): call acquire
 * before blocking on the lock and release after dropping it. instance identifies the lock; name is shown in
 * reports. No-ops when the checker is compiled out. An out-of-order or recursive acquisition prints a report
 * naming the lock held and the lock wanted, and aborts. */
void apm_lockdep_acquire(const ApmLockClass *klass, const void *instance, const char *name);
void apm_lockdep_release(const void *instance);
gboolean apm_lockdep_holds(const void *instance);
/* Aborts with a report when the calling thread holds any checked lock (for calls that must run unlocked,
 * such as running mdevctl). what says what was about to happen. */
void apm_lockdep_assert_none_held(const char *what);
/* TRUE when the checker is compiled in. */
gboolean apm_lockdep_enabled(void);
