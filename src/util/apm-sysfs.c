/* apm-sysfs.c: root-relative sysfs I/O */
#include "config.h"
#include "apm-sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

char *
apm_root_resolve(const char *cli_root)
{
    const char *env = g_getenv("APMATRIX_ROOT");

    if (cli_root && *cli_root)
        return g_strdup(cli_root);
    if (env && *env)
        return g_strdup(env);
    return g_strdup("/");
}

char *
apm_root_path(const char *root, const char *relpath)
{
    if (!root || !*root || g_str_equal(root, "/"))
        return g_strdup(relpath);
    while (*relpath == '/')
        relpath++;
    return g_build_filename(root, relpath, NULL);
}

/* Reads fd to its end (a sysfs attribute: to its first short read); closes fd */
static gboolean
read_fd(int fd, const char *relpath, const char *path, char **contents, gsize *length, GError **error)
{
    g_autoptr(GString) buf = g_string_sized_new(256);
    char chunk[4096];

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;

            close(fd);
            apm_set_errno_error(error, saved, _("Cannot read %s"), path);
            return FALSE;
        }
        if (n == 0)
            break;
        g_string_append_len(buf, chunk, n);
        /* a sysfs attribute comes whole in its first read (one page at most): a short read is its end, and the
         * read that would say so costs a round trip to the kernel (or to apsim) for nothing */
        if ((gsize) n < sizeof(chunk) && g_str_has_prefix(relpath, "/sys/"))
            break;
    }
    close(fd);
    if (length)
        *length = buf->len;
    *contents = g_string_free(g_steal_pointer(&buf), FALSE);
    return TRUE;
}

gboolean
apm_sysfs_read(const char *root, const char *relpath, char **contents, gsize *length, GError **error)
{
    g_autofree char *path = apm_root_path(root, relpath);
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        apm_set_errno_error(error, errno, _("Cannot open %s"), path);
        return FALSE;
    }
    return read_fd(fd, relpath, path, contents, length, error);
}

char *
apm_sysfs_read_line(const char *root, const char *relpath, GError **error)
{
    char *contents;
    gsize len;

    if (!apm_sysfs_read(root, relpath, &contents, &len, error))
        return NULL;
    if (len && contents[len - 1] == '\n')
        contents[len - 1] = '\0';
    return contents;
}

/* Writes value to name below dirfd (AT_FDCWD: name is a path) in one write(); path names the file in messages */
static gboolean
write_at(int dirfd, const char *name, const char *path, const char *value, GError **error)
{
    size_t len = strlen(value);
    g_autofree char *shown = g_strchomp(g_strndup(value, 80));
    ssize_t n;
    int fd;

    fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        apm_set_errno_error(error, errno, _("Cannot open %s for writing"), path);
        return FALSE;
    }
    do {
        n = write(fd, value, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int saved = errno;

        close(fd);
        apm_set_errno_error(error, saved, _("Writing '%s' to %s failed"), shown, path);
        return FALSE;
    }
    close(fd);
    if ((size_t) n != len) {
        apm_set_errno_error(error, EIO, _("Writing '%s' to %s stopped after %zd of %zu bytes"),
                            shown, path, n, len);
        return FALSE;
    }
    return TRUE;
}

gboolean
apm_sysfs_write(const char *root, const char *relpath, const char *value, GError **error)
{
    g_autofree char *path = apm_root_path(root, relpath);

    return write_at(AT_FDCWD, path, path, value, error);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
apm_sysfs_list(const char *root, const char *relpath, GError **error)
{
    g_autofree char *path = apm_root_path(root, relpath);
    GPtrArray *names;
    struct dirent *entry;
    DIR *dir;

    dir = opendir(path);
    if (!dir) {
        apm_set_errno_error(error, errno, _("Cannot list %s"), path);
        return NULL;
    }
    names = g_ptr_array_new_with_free_func(g_free);
    errno = 0;
    while ((entry = readdir(dir))) {
        if (g_str_equal(entry->d_name, ".") || g_str_equal(entry->d_name, ".."))
            continue;
        g_ptr_array_add(names, g_strdup(entry->d_name));
    }
    if (errno) {
        int saved = errno;

        closedir(dir);
        g_ptr_array_unref(names);
        apm_set_errno_error(error, saved, _("Cannot list %s"), path);
        return NULL;
    }
    closedir(dir);
    g_ptr_array_sort(names, compare_names);
    return names;
}

char *
apm_sysfs_read_link(const char *root, const char *relpath, GError **error)
{
    g_autofree char *path = apm_root_path(root, relpath);
    char target[4096];
    ssize_t n = readlink(path, target, sizeof(target) - 1);

    if (n < 0) {
        apm_set_errno_error(error, errno, _("Cannot read the link %s"), path);
        return NULL;
    }
    target[n] = '\0';
    return g_strdup(target);
}

char *
apm_sysfs_read_link_name(const char *root, const char *relpath, GError **error)
{
    g_autofree char *target = apm_sysfs_read_link(root, relpath, error);

    return target ? g_path_get_basename(target) : NULL;
}

gboolean
apm_sysfs_exists(const char *root, const char *relpath)
{
    g_autofree char *path = apm_root_path(root, relpath);
    struct stat st;

    return lstat(path, &st) == 0;
}

#define DIRS_MAX 64

struct _ApmSysfsDirs {
    char *root;
    GHashTable *fds; /* directory relpath -> fd + 1 (0 never stored) */
};

ApmSysfsDirs *
apm_sysfs_dirs_new(const char *root)
{
    ApmSysfsDirs *dirs = g_new0(ApmSysfsDirs, 1);

    dirs->root = g_strdup(root ? root : "/");
    dirs->fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return dirs;
}

static void
close_fd(gpointer key, gpointer value, gpointer data)
{
    (void) key;
    (void) data;
    close(GPOINTER_TO_INT(value) - 1);
}

void
apm_sysfs_dirs_free(ApmSysfsDirs *dirs)
{
    if (!dirs)
        return;
    g_hash_table_foreach(dirs->fds, close_fd, NULL);
    g_hash_table_unref(dirs->fds);
    g_free(dirs->root);
    g_free(dirs);
}

/* The open directory dir, or -1 when it cannot be kept (then the caller goes by the whole path) */
static int
dirs_fd(ApmSysfsDirs *dirs, const char *dir)
{
    gpointer found = g_hash_table_lookup(dirs->fds, dir);
    g_autofree char *path = NULL;
    int fd;

    if (found)
        return GPOINTER_TO_INT(found) - 1;
    if (g_hash_table_size(dirs->fds) >= DIRS_MAX)
        return -1;
    {
        /* below a folder already open, one name is looked up instead of the whole path */
        const char *slash = strrchr(dir, '/');
        g_autofree char *parent = slash && slash != dir ? g_strndup(dir, (gsize) (slash - dir)) : NULL;
        gpointer parent_fd = parent ? g_hash_table_lookup(dirs->fds, parent) : NULL;

        if (parent_fd) {
            fd = openat(GPOINTER_TO_INT(parent_fd) - 1, slash + 1, O_PATH | O_DIRECTORY | O_CLOEXEC);
        } else {
            path = apm_root_path(dirs->root, dir);
            fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        }
    }
    if (fd < 0)
        return -1;
    g_hash_table_insert(dirs->fds, g_strdup(dir), GINT_TO_POINTER(fd + 1));
    return fd;
}

char *
apm_sysfs_dirs_read_line(ApmSysfsDirs *dirs, const char *dir, const char *name, GError **error)
{
    g_autofree char *relpath = g_strconcat(dir, "/", name, NULL);
    g_autofree char *path = NULL;
    int dirfd = dirs_fd(dirs, dir);
    char *contents;
    gsize len;
    int fd;

    if (dirfd < 0)
        return apm_sysfs_read_line(dirs->root, relpath, error);
    path = apm_root_path(dirs->root, relpath);
    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        apm_set_errno_error(error, errno, _("Cannot open %s"), path);
        return NULL;
    }
    if (!read_fd(fd, relpath, path, &contents, &len, error))
        return NULL;
    if (len && contents[len - 1] == '\n')
        contents[len - 1] = '\0';
    return contents;
}

char *
apm_sysfs_dirs_read_link_name(ApmSysfsDirs *dirs, const char *dir, const char *name, GError **error)
{
    g_autofree char *relpath = g_strconcat(dir, "/", name, NULL);
    int dirfd = dirs_fd(dirs, dir);
    char target[4096];
    ssize_t n;

    if (dirfd < 0)
        return apm_sysfs_read_link_name(dirs->root, relpath, error);
    n = readlinkat(dirfd, name, target, sizeof(target) - 1);
    if (n < 0) {
        g_autofree char *path = apm_root_path(dirs->root, relpath);

        apm_set_errno_error(error, errno, _("Cannot read the link %s"), path);
        return NULL;
    }
    target[n] = '\0';
    return g_path_get_basename(target);
}

gboolean
apm_sysfs_dirs_write(ApmSysfsDirs *dirs, const char *dir, const char *name, const char *value, GError **error)
{
    g_autofree char *relpath = g_strconcat(dir, "/", name, NULL);
    g_autofree char *path = apm_root_path(dirs->root, relpath);
    int dirfd = dirs_fd(dirs, dir);

    if (dirfd < 0)
        return write_at(AT_FDCWD, path, path, value, error);
    return write_at(dirfd, name, path, value, error);
}

gboolean
apm_sysfs_dirs_exists(ApmSysfsDirs *dirs, const char *dir, const char *name)
{
    int dirfd = dirs_fd(dirs, dir);
    struct stat st;

    if (dirfd < 0) {
        g_autofree char *relpath = g_strconcat(dir, "/", name, NULL);

        return apm_sysfs_exists(dirs->root, relpath);
    }
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}
