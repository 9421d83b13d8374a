/* apm-sysfs.h: root-relative sysfs and host-file I/O that keeps the kernel's errno */
#pragma once

#include <glib.h>

/* The host root: cli_root when given (--root), else $APMATRIX_ROOT, else "/". Returned string is owned by
 * the caller. */
char *apm_root_resolve(const char *cli_root);

/* root + relpath, where relpath is an absolute host path ("/sys/bus/ap/apmask"). */
char *apm_root_path(const char *root, const char *relpath);

/* Reads a whole attribute. On failure the error is APM_ERRNO_ERROR with the errno of open() or read(). */
gboolean apm_sysfs_read(const char *root, const char *relpath, char **contents, gsize *length, GError **error);

/* Reads an attribute and strips one trailing newline. NULL on failure. */
char *apm_sysfs_read_line(const char *root, const char *relpath, GError **error);

/* Writes value with one write() call of its whole length, as `echo -n value > attr` would. The kernel's
 * errno comes back as APM_ERRNO_ERROR (apm_error_errno() gives it); a short write is EIO. */
gboolean apm_sysfs_write(const char *root, const char *relpath, const char *value, GError **error);

/* The entries of a folder, sorted, without "." and "..". */
GPtrArray *apm_sysfs_list(const char *root, const char *relpath, GError **error);

/* The target of a symbolic link as stored. */
char *apm_sysfs_read_link(const char *root, const char *relpath, GError **error);

/* The last path component of a symbolic link's target ("vfio_ap" for a driver link). */
char *apm_sysfs_read_link_name(const char *root, const char *relpath, GError **error);

gboolean apm_sysfs_exists(const char *root, const char *relpath);

/* A reader that keeps the directories it reads from open (up to 64 of them) and reads files relative to them:
 * the path is walked once per directory rather than once per file, which a file system without a lookup cache
 * (FUSE without entry caching, as apsim serves /sys) feels most. Same results and errors as the functions above. */
typedef struct _ApmSysfsDirs ApmSysfsDirs;

ApmSysfsDirs *apm_sysfs_dirs_new(const char *root);
void apm_sysfs_dirs_free(ApmSysfsDirs *dirs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmSysfsDirs, apm_sysfs_dirs_free)
/* dir: the directory kept open ("/sys/bus/ap"); name: the file relative to it, which may go deeper
 * ("05.0047/online" in "/sys/devices/ap/card05") */
char *apm_sysfs_dirs_read_line(ApmSysfsDirs *dirs, const char *dir, const char *name, GError **error);
char *apm_sysfs_dirs_read_link_name(ApmSysfsDirs *dirs, const char *dir, const char *name, GError **error);
/* apm_sysfs_write() of dir/name, opened below the kept folder dir (errors name the whole path) */
gboolean apm_sysfs_dirs_write(ApmSysfsDirs *dirs, const char *dir, const char *name, const char *value,
                              GError **error);
gboolean apm_sysfs_dirs_exists(ApmSysfsDirs *dirs, const char *dir, const char *name);
/* Whether the folder dir exists; when it does it is kept open, so that asking costs no more than opening it */
gboolean apm_sysfs_dirs_has_dir(ApmSysfsDirs *dirs, const char *dir);
/* apm_sysfs_list() of a folder, listed through its kept descriptor (its path is not walked again) */
GPtrArray *apm_sysfs_dirs_list(ApmSysfsDirs *dirs, const char *dir, GError **error);
