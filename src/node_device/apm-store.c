/* apm-store.c: mdev definitions in mdevctl's folder */
#include "config.h"
#include "apm-store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-file.h"
#include "apm-i18n.h"
#include "apm-sysfs.h"

#define MAX_CONFIG_SIZE (1024 * 1024)

void
apm_stored_def_free(ApmStoredDef *def)
{
    if (!def)
        return;
    apm_mdev_config_free(def->config);
    g_free(def);
}

/* The store folder must be a folder, not a link to one: definitions read from or written to wherever a link
 * points would be the host's boot configuration all the same (mdevctl reads them at boot) */
static gboolean
check_store_dir(const char *root, GError **error)
{
    g_autofree char *dir = apm_root_path(root, APM_STORE_DIR);
    struct stat st;

    if (lstat(dir, &st) < 0)
        return TRUE; /* missing: made when the first definition is written */
    if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("%s is not a folder (a symbolic link or something else is there); definitions are kept in a "
                      "folder of their own"), dir);
        return FALSE;
    }
    return TRUE;
}

static char *
def_path(const char *root, const ApmUuid *uuid)
{
    g_autofree char *dir = apm_root_path(root, APM_STORE_DIR);
    char name[APM_UUID_TEXT_LEN + 1];

    return g_build_filename(dir, apm_uuid_format(uuid, name), NULL);
}

/* Reads a regular file without following a link, at most MAX_CONFIG_SIZE bytes. */
static char *
read_regular(const char *path, GError **error)
{
    return apm_file_read_untrusted(path, MAX_CONFIG_SIZE, APM_FILE_ANY_OWNER, NULL, error);
}

ApmMdevConfig *
apm_store_read(const char *root, const ApmUuid *uuid, GError **error)
{
    g_autofree char *path = def_path(root, uuid);
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    ApmMdevConfig *config;

    if (!check_store_dir(root, error) || !(text = read_regular(path, error)))
        return NULL;
    config = apm_mdev_config_parse(text, -1, &local);
    if (!config)
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, "%s: %s", path, local->message);
    return config;
}

static gint
compare_defs(gconstpointer a, gconstpointer b)
{
    const ApmStoredDef *da = *(ApmStoredDef *const *) a, *db = *(ApmStoredDef *const *) b;

    return memcmp(da->uuid.bytes, db->uuid.bytes, sizeof(da->uuid.bytes));
}

GPtrArray *
apm_store_list(const char *root, GPtrArray **problems, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) names = NULL;
    GPtrArray *defs = NULL;

    if (problems)
        *problems = NULL;
    if (!check_store_dir(root, error))
        return NULL;
    names = apm_sysfs_list(root, APM_STORE_DIR, &local);
    defs = g_ptr_array_new_with_free_func((GDestroyNotify) apm_stored_def_free);
    if (problems)
        *problems = g_ptr_array_new_with_free_func(g_free);
    if (!names) {
        if (apm_error_errno(local) == ENOENT)
            return defs;
        g_ptr_array_unref(defs);
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autoptr(GError) why = NULL;
        ApmStoredDef *def;
        ApmUuid uuid;
        ApmMdevConfig *config;

        if (!apm_uuid_parse(name, &uuid))
            continue; /* mdevctl skips such names too; apmatrix never creates them */
        config = apm_store_read(root, &uuid, &why);
        if (!config) {
            if (problems)
                g_ptr_array_add(*problems, g_strdup(why->message));
            continue;
        }
        def = g_new0(ApmStoredDef, 1);
        def->uuid = uuid;
        def->config = config;
        g_ptr_array_add(defs, def);
    }
    g_ptr_array_sort(defs, compare_defs);
    return defs;
}

gboolean
apm_store_write(const char *root, const ApmUuid *uuid, const ApmMdevConfig *config, GError **error)
{
    g_autofree char *dir = apm_root_path(root, APM_STORE_DIR);
    g_autofree char *path = def_path(root, uuid);
    g_autofree char *text = apm_mdev_config_format(config);

    if (!check_store_dir(root, error))
        return FALSE;
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot create %s"), dir);
        return FALSE;
    }
    /* a dot name that is no UUID: mdevctl and apm_store_list skip it even if a crash leaves it behind */
    return apm_file_write_atomic(path, text, strlen(text), 0644, error);
}

gboolean
apm_store_remove(const char *root, const ApmUuid *uuid, GError **error)
{
    g_autofree char *path = def_path(root, uuid);

    if (unlink(path) < 0) {
        if (errno == ENOENT)
            g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("%s does not exist"), path);
        else
            apm_set_errno_error(error, errno, _("Cannot remove %s"), path);
        return FALSE;
    }
    return TRUE;
}
