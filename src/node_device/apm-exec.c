/* apm-exec.c: executing plans */
#include "config.h"
#include "apm-exec.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-host.h"
#include "apm-i18n.h"
#include "apm-lockfile.h"
#include "apm-ondemand.h"
#include "apm-sysfs.h"

const ApmLockClass apm_class_host_config_lock = { "host config lock", 10 };

#define TYPE_DIR "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough"

void
apm_exec_options_init(ApmExecOptions *options)
{
    memset(options, 0, sizeof(*options));
    options->lock_timeout_ms = 100 * 1000;
}

ApmLockfile *
apm_exec_lock(const char *root, const ApmExecOptions *options, GError **error)
{
    g_autofree char *lock_path = apm_lockfile_host_config_path(root);
    ApmLockfileOptions lock_options;

    ApmLockfile *lock;

    apm_lockfile_options_init(&lock_options);
    lock_options.timeout_ms = options->lock_timeout_ms;
    lock_options.lockdep_class = &apm_class_host_config_lock;
    lock = apm_lockfile_acquire(lock_path, getpid(), &lock_options, error);
    if (lock)
        apm_ondemand_repair(root, options->repairs);
    return lock;
}

gboolean
apm_exec_session_begin(ApmExecSession *s, const char *root, const ApmExecOptions *options, GPtrArray *repairs,
                       GError **error)
{
    memset(s, 0, sizeof(*s));
    s->root = root;
    if (options)
        s->options = *options;
    else
        apm_exec_options_init(&s->options);
    if (!s->options.repairs)
        s->options.repairs = repairs; /* what the lock's holder repaired first */
    if (!s->options.lock_held) {
        s->lock = apm_exec_lock(root, &s->options, error);
        if (!s->lock)
            return FALSE;
        s->options.lock_held = TRUE;
    }
    s->host = apm_host_read_detail(root, APM_HOST_READ_ON_DEMAND, NULL, error);
    if (!s->host || (s->options.annotate && !s->options.annotate(s->host, s->options.annotate_data, error))) {
        apm_exec_session_end(s);
        return FALSE;
    }
    /* the plans are made from this snapshot: the executor writes through its folders and reads back into it */
    s->options.snapshot = s->host;
    return TRUE;
}

void
apm_exec_session_end(ApmExecSession *s)
{
    if (s->lock)
        apm_lockfile_release(s->lock, NULL);
    s->lock = NULL;
    s->options.snapshot = NULL;
    g_clear_pointer(&s->host, apm_host_free);
}

static char *
write_path(const ApmPlan *plan, const ApmWrite *w)
{
    char uuid[APM_UUID_TEXT_LEN + 1];

    if (g_str_equal(w->attr, "create"))
        return g_strdup(TYPE_DIR "/create");
    return g_strdup_printf("/sys/devices/vfio_ap/matrix/%s/%s", apm_uuid_format(&plan->uuid, uuid), w->attr);
}

/* What a refused write meant, in words: the kernel's errno for this attribute (spec/kernel-ap.md §1.5-§1.6). */
static char *
explain(const char *root, const ApmPlan *plan, const ApmWrite *w, int err)
{
    g_autofree char *value = g_strchomp(g_strdup(w->value));

    switch (err) {
    case EADDRINUSE: {
        g_autoptr(ApmHost) host = apm_host_read_detail(root, APM_HOST_READ_ON_DEMAND, NULL, NULL);
        GString *who = g_string_new(NULL);
        ApmApqnIter iter;
        ApmApqn apqn;

        apm_apqn_iter_init(&iter, &plan->matrix.adapters, &plan->matrix.domains);
        while (host && apm_apqn_iter_next(&iter, &apqn)) {
            const ApmMdevInfo *owner = apm_host_mdev_for_apqn(host, apqn);
            char name[APM_APQN_TEXT_LEN + 1];

            if (owner && !apm_uuid_equal(&owner->uuid, &plan->uuid)) {
                g_autofree char *holder = apm_plan_describe_owner(owner);

                g_string_append_printf(who, _("%sAPQN %s is assigned to %s"), who->len ? "; " : "",
                                       apm_apqn_format(apqn, name), holder);
            }
        }
        if (!who->len)
            g_string_append(who, _("another mdev took one of its APQNs"));
        return g_string_free(who, FALSE);
    }
    case EADDRNOTAVAIL:
        return g_strdup(_("an APQN is reserved for the host's default drivers by apmask and aqmask"));
    case ENODEV:
        return g_strdup_printf(_("%s %s is above this host's limit"), w->attr, value);
    case EEXIST:
        return g_strdup(_("an mdev with this UUID exists already"));
    case EUSERS:
        return g_strdup(_("no more mdevs can be created (65,536 exist)"));
    case EBUSY:
        return g_strdup(_("the kernel refuses changes while a guest uses the mdev (a kernel before 6.0)"));
    default:
        return g_strdup(g_strerror(err));
    }
}

static void
compare(const char *root, const ApmPlan *plan, ApmHost *snapshot, GPtrArray *differences)
{
    g_autoptr(ApmMdevInfo) read = NULL;
    const ApmMdevInfo *m;
    char uuid[APM_UUID_TEXT_LEN + 1];

    if (snapshot && snapshot->detail == APM_HOST_READ_ON_DEMAND) {
        apm_host_refresh_mdev(snapshot, &plan->uuid);
        m = apm_host_mdev(snapshot, &plan->uuid);
    } else {
        m = read = apm_host_read_mdev(root, &plan->uuid);
    }

    apm_uuid_format(&plan->uuid, uuid);
    if (!m) {
        g_ptr_array_add(differences, g_strdup_printf(_("mdev %s cannot be read back"), uuid));
        return;
    }
    if (!apm_matrix_equal(&m->matrix, &plan->matrix)) {
        g_autofree char *want = apm_matrix_format_ap_config(&plan->matrix);
        g_autofree char *got = apm_matrix_format_ap_config(&m->matrix);

        g_ptr_array_add(differences, g_strdup_printf(_("mdev %s holds %s but the plan was %s"), uuid,
                                                     g_strchomp(got), g_strchomp(want)));
    }
    if (!apm_mask_equal(&m->guest_matrix.adapters, &plan->guest_matrix.adapters) ||
        !apm_mask_equal(&m->guest_matrix.domains, &plan->guest_matrix.domains)) {
        g_autofree char *want = apm_matrix_format_apqns(&plan->guest_matrix);
        g_autofree char *got = apm_matrix_format_apqns(&m->guest_matrix);

        g_ptr_array_add(differences,
                        g_strdup_printf(_("a guest of mdev %s would get [%s] rather than the predicted [%s]"), uuid,
                                        g_strdelimit(g_strchomp(got), "\n", ' '),
                                        g_strdelimit(g_strchomp(want), "\n", ' ')));
    }
}

static const char *
kind_words(ApmPlanKind kind)
{
    switch (kind) {
    case APM_PLAN_START:
        return _("Starting");
    case APM_PLAN_UPDATE_LIVE:
        return _("Updating");
    case APM_PLAN_STOP:
        return _("Stopping");
    case APM_PLAN_DEFINE:
    default:
        return _("Changing");
    }
}

/* Takes back the writes made so far, last first; a start is taken back by removing the mdev it created. */
static gboolean
undo(const char *root, const ApmPlan *plan, guint done, gboolean created)
{
    char uuid[APM_UUID_TEXT_LEN + 1];
    gboolean ok = TRUE;

    apm_uuid_format(&plan->uuid, uuid);
    if (created) {
        g_autofree char *remove = g_strdup_printf("/sys/devices/vfio_ap/matrix/%s/remove", uuid);

        return apm_sysfs_write(root, remove, "1\n", NULL);
    }
    while (done-- > 0) {
        const ApmWrite *w = g_ptr_array_index(plan->writes, done);
        g_autofree char *path = NULL;

        if (!w->undo_attr) {
            ok = FALSE;
            continue;
        }
        path = g_strdup_printf("/sys/devices/vfio_ap/matrix/%s/%s", uuid, w->undo_attr);
        ok &= apm_sysfs_write(root, path, w->undo_value, NULL);
    }
    return ok;
}

static void
compare_stopped(const char *root, const ApmPlan *plan, GPtrArray *differences)
{
    g_autoptr(ApmHost) host = apm_host_read_detail(root, APM_HOST_READ_ON_DEMAND, NULL, NULL);
    char uuid[APM_UUID_TEXT_LEN + 1];

    if (host && apm_host_mdev(host, &plan->uuid))
        g_ptr_array_add(differences, g_strdup_printf(_("mdev %s is still there after its removal"),
                                                     apm_uuid_format(&plan->uuid, uuid)));
}

gboolean
apm_exec_plan(const char *root, const ApmPlan *plan, const ApmExecOptions *options, GPtrArray *differences,
              GError **error)
{
    ApmExecOptions defaults;
    g_autoptr(ApmLockfile) lock = NULL;
    gboolean created = FALSE;
    guint done;

    if (!apm_plan_check(plan, error))
        return FALSE;
    if (!options) {
        apm_exec_options_init(&defaults);
        options = &defaults;
    }
    if (!options->lock_held) {
        lock = apm_exec_lock(root, options, error);
        if (!lock)
            return FALSE;
    }

    for (done = 0; done < plan->writes->len; done++) {
        const ApmWrite *w = g_ptr_array_index(plan->writes, done);
        g_autofree char *path = write_path(plan, w);
        g_autoptr(GError) local = NULL;
        gboolean written;

        if (options->snapshot) {
            g_autofree char *dir = g_path_get_dirname(path);

            written = apm_sysfs_dirs_write(options->snapshot->dirs, dir, w->attr, w->value, &local);
        } else {
            written = apm_sysfs_write(root, path, w->value, &local);
        }
        if (written) {
            created |= g_str_equal(w->attr, "create");
            continue;
        }
        {
            g_autofree char *why = explain(root, plan, w, apm_error_errno(local));
            g_autofree char *value = g_strchomp(g_strdup(w->value));
            char uuid[APM_UUID_TEXT_LEN + 1];
            gboolean undone = undo(root, plan, done, created);

            apm_uuid_format(&plan->uuid, uuid);
            g_strdelimit(value, "\n", ' ');
            g_set_error(error, APM_ERROR, APM_ERROR_CONFLICT,
                        undone ? _("%s mdev %s failed at %s=%s: %s. Everything it had written was taken back.")
                               : _("%s mdev %s failed at %s=%s: %s. Taking back what it had written failed too; "
                                   "check the mdev with apmatrix nodedev-dumpxml."),
                        kind_words(plan->kind), uuid, w->attr, value, why);
        }
        if (lock)
            apm_lockfile_release(g_steal_pointer(&lock), NULL);
        return FALSE;
    }
    if (lock)
        apm_lockfile_release(g_steal_pointer(&lock), NULL);
    if (differences) {
        if (plan->kind == APM_PLAN_STOP)
            compare_stopped(root, plan, differences);
        else if (plan->writes->len)
            compare(root, plan, options->snapshot, differences);
    }
    return TRUE;
}

gboolean
apm_exec_take_back(const char *root, const ApmPlan *plan)
{
    return undo(root, plan, plan->writes->len, plan->kind == APM_PLAN_START);
}

gboolean
apm_exec_start(const char *root, const ApmPlan *plan, const ApmExecOptions *options, GPtrArray *differences,
               GError **error)
{
    return apm_exec_plan(root, plan, options, differences, error);
}
