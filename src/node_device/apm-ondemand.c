/* apm-ondemand.c: the records of mdevs started on demand, and the repair of a start a killed command left */
#include "config.h"
#include "apm-ondemand.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-file.h"
#include "apm-exec.h"
#include "apm-host.h"
#include "apm-i18n.h"
#include "apm-planner.h"
#include "apm-sysfs.h"

#define RECORD_DIR "run/apmatrix/on-demand"
#define RECORD_MAX 4096 /* a guest name (at most 200 bytes) and a word */

void
apm_ondemand_free(ApmOnDemand *record)
{
    if (!record)
        return;
    g_free(record->guest);
    g_free(record);
}

static char *
record_path(const char *root, const ApmUuid *uuid)
{
    char text[APM_UUID_TEXT_LEN + 1];

    return g_build_filename(root, RECORD_DIR, apm_uuid_format(uuid, text), NULL);
}

gboolean
apm_ondemand_write(const char *root, const ApmUuid *uuid, const char *guest, gboolean starting, GError **error)
{
    g_autofree char *path = record_path(root, uuid);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *text = g_strconcat(guest, "\n", starting ? "starting\n" : "", NULL);
    g_autoptr(GError) local = NULL;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot make the folder %s"), dir);
        return FALSE;
    }
    /* written aside and renamed into place: a kill leaves the old record or the new one, never half of one; the
     * mode is explicit, whatever the umask */
    if (apm_file_write_atomic(path, text, strlen(text), 0644, &local))
        return TRUE;
    g_set_error(error, APM_ERROR, local->code, _("Cannot remember that an mdev was started on demand (%s): %s"),
                path, local->message);
    return FALSE;
}

ApmOnDemand *
apm_ondemand_read(const char *root, const ApmUuid *uuid)
{
    g_autofree char *path = record_path(root, uuid);
    g_autoptr(ApmOnDemand) record = NULL;
    g_auto(GStrv) lines = NULL;
    char buf[RECORD_MAX + 1];
    struct stat st;
    ssize_t n;
    int fd;

    /* a plain file of ours: no link followed, no FIFO waited on, nothing larger than a record */
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > RECORD_MAX ||
        (n = read(fd, buf, RECORD_MAX)) <= 0) {
        close(fd);
        return NULL;
    }
    close(fd);
    buf[n] = '\0';
    lines = g_strsplit(buf, "\n", 3);
    if (!lines[0] || !*lines[0])
        return NULL;
    record = g_new0(ApmOnDemand, 1);
    record->uuid = *uuid;
    record->guest = g_strdup(lines[0]);
    record->starting = lines[1] && g_str_equal(lines[1], "starting");
    return g_steal_pointer(&record);
}

void
apm_ondemand_remove(const char *root, const ApmUuid *uuid)
{
    g_autofree char *path = record_path(root, uuid);

    (void) unlink(path);
}

static gint
by_uuid(gconstpointer a, gconstpointer b)
{
    const ApmOnDemand *x = *(ApmOnDemand *const *) a, *y = *(ApmOnDemand *const *) b;

    return memcmp(&x->uuid, &y->uuid, sizeof(x->uuid));
}

GPtrArray *
apm_ondemand_list(const char *root)
{
    g_autofree char *dir = g_build_filename(root, RECORD_DIR, NULL);
    GPtrArray *list = g_ptr_array_new_with_free_func((GDestroyNotify) apm_ondemand_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        ApmUuid uuid;
        ApmOnDemand *record;

        /* temporary files of a writer that was killed are not UUIDs */
        if (strlen(name) != APM_UUID_TEXT_LEN || !apm_uuid_parse(name, &uuid))
            continue;
        if ((record = apm_ondemand_read(root, &uuid)))
            g_ptr_array_add(list, record);
    }
    g_ptr_array_sort(list, by_uuid);
    return list;
}

/* One start cut short: taken back, or finished when a guest has the mdev already */
static void
repair_one(const char *root, ApmHost *host, const ApmOnDemand *record, GPtrArray *repaired)
{
    const ApmMdevInfo *m = apm_host_mdev(host, &record->uuid);
    const ApmStoredDef *d = apm_host_definition(host, &record->uuid);
    ApmExecOptions options;
    char text[APM_UUID_TEXT_LEN + 1];

    apm_uuid_format(&record->uuid, text);
    apm_exec_options_init(&options);
    options.lock_held = TRUE;
    options.snapshot = host;
    if (!m) {
        /* killed before it created the mdev, or after its executor took the start back */
        apm_ondemand_remove(root, &record->uuid);
        return;
    }
    if (!apm_host_mdev_in_use(host, m)) {
        g_autoptr(ApmPlan) stop = apm_plan_stop(host, &record->uuid);

        if (apm_plan_check(stop, NULL) && apm_exec_plan(root, stop, &options, NULL, NULL)) {
            apm_ondemand_remove(root, &record->uuid);
            if (repaired)
                g_ptr_array_add(repaired,
                                g_strdup_printf(_("mdev %s, which a killed apmatrix had left half started for guest "
                                                  "%s, was taken back"),
                                                text, record->guest));
        }
        return;
    }
    /* a guest opened it meanwhile: what it holds is made what its definition asks for */
    if (d) {
        g_autoptr(ApmPlan) finish = apm_plan_update_live(host, &record->uuid, d->config, NULL);

        if (!finish || !apm_plan_check(finish, NULL) || !apm_exec_plan(root, finish, &options, NULL, NULL))
            return;
    }
    if (apm_ondemand_write(root, &record->uuid, record->guest, FALSE, NULL) && repaired)
        g_ptr_array_add(repaired,
                        g_strdup_printf(_("mdev %s, which a killed apmatrix had left half started for guest %s, was "
                                          "finished (a guest uses it)"),
                                        text, record->guest));
}

void
apm_ondemand_repair(const char *root, GPtrArray *repaired)
{
    g_autoptr(GPtrArray) records = apm_ondemand_list(root);
    g_autoptr(ApmHost) host = NULL;

    for (guint i = 0; i < records->len; i++) {
        const ApmOnDemand *record = g_ptr_array_index(records, i);

        if (!record->starting)
            continue;
        if (!host && !(host = apm_host_read_detail(root, APM_HOST_READ_ON_DEMAND, NULL, NULL)))
            return;
        repair_one(root, host, record, repaired);
    }
}
