/* apm-guestjob.h: the per-guest job lock (mirrors kvm->lock): one attach, detach, plug or unplug at a time on
 * one guest, across processes; other guests go on in parallel. And the product's other lock classes, in the
 * order of DESIGN.md "Lock-safe order": host config lock (10) -> guests lock (20) -> guest job (30) -> mdev
 * state lock (40). */
#pragma once

#include <glib.h>

#include "apm-lock.h"

extern const ApmLockClass apm_class_guests_lock;
extern const ApmLockClass apm_class_guest_job;
extern const ApmLockClass apm_class_mdev_state_lock;

typedef struct ApmGuestJob ApmGuestJob;

/* Takes guest name's job lock (an flock on ROOT/run/apmatrix/guests/NAME.lock), waiting up to timeout_ms
 * (APM_ERROR_LOCK naming the guest when it is still busy). */
ApmGuestJob *apm_guest_job_begin(const char *root, const char *name, guint timeout_ms, GError **error);
void apm_guest_job_end(ApmGuestJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmGuestJob, apm_guest_job_end)
