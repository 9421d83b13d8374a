/* apm-sysfs.c: root-relative sysfs I/O */
#include "config.h"
#include "apm-sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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

/* Reads fd from offset 0 to its end (a sysfs attribute: to its first short read). A sysfs attribute read again
 * from offset 0 shows its value anew, so this serves a file kept open as well as a fresh one. */
static gboolean
read_fd_from_start(int fd, const char *relpath, const char *path, char **contents, gsize *length, GError **error)
{
    g_autoptr(GString) buf = g_string_sized_new(256);
    char chunk[4096];

    for (;;) {
        ssize_t n = pread(fd, chunk, sizeof(chunk), (off_t) buf->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            apm_set_errno_error(error, errno, _("Cannot read %s"), path);
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
    if (length)
        *length = buf->len;
    *contents = g_string_free(g_steal_pointer(&buf), FALSE);
    return TRUE;
}

/* read_fd_from_start(), then closes fd */
static gboolean
read_fd(int fd, const char *relpath, const char *path, char **contents, gsize *length, GError **error)
{
    gboolean ok = read_fd_from_start(fd, relpath, path, contents, length, error);

    close(fd);
    return ok;
}

/* ---- attribute files kept open ---------------------------------------------------------------------------
 * Opening an attribute costs a lookup and an open besides the read: on apsim's FUSE /sys, which has no lookup
 * cache, three round trips to the daemon where a read alone is one. A file read again from offset 0 shows the
 * attribute's current value (the kernel's seq_file starts over, as apsim does), and a file whose device went away
 * answers an error (ENODEV) rather than an old value. So the attributes read through an ApmSysfsDirs stay open
 * for the process (at most KEPT_MAX, the oldest closed first) and are read again with pread(); one that fails is
 * closed and opened afresh. Only where /sys is sysfs or a FUSE file system: a plain folder standing in for /sys
 * may have its files replaced by a rename, which a file kept open would not see. */
#define KEPT_MAX 64
#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572
#endif
#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

typedef struct {
    char *path;
    int fd;
    guint readers;  /* reads in progress (outside the lock): the file is closed when the last one ends */
    gboolean gone;  /* no longer kept: out of the table and the order */
} Kept;

/* a leaf, with nothing taken under it and no read made under it (a read may wait on a slow device); a pthread
 * mutex, which ThreadSanitizer sees */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *kept;           /* path -> Kept */
static GQueue kept_order = G_QUEUE_INIT; /* Kept, oldest first */
static GHashTable *kept_roots;     /* root -> 1 when its /sys keeps files, 2 when not */

static void
kept_free(Kept *k)
{
    close(k->fd);
    g_free(k->path);
    g_free(k);
}

/* Takes k out of the cache (kept_lock held); it is closed now, or by the last read in progress */
static void
kept_drop(Kept *k)
{
    if (!k->gone) {
        k->gone = TRUE;
        g_queue_remove(&kept_order, k);
        g_hash_table_remove(kept, k->path);
    }
    if (!k->readers)
        kept_free(k);
}

/* Whether files under root's /sys may be kept open (asked once per root) */
static gboolean
root_keeps_files(const char *root)
{
    gpointer known;
    gboolean keeps;

    pthread_mutex_lock(&kept_lock);
    if (!kept_roots) {
        kept_roots = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        kept = g_hash_table_new(g_str_hash, g_str_equal);
    }
    known = g_hash_table_lookup(kept_roots, root);
    if (!known) {
        g_autofree char *sys = apm_root_path(root, "/sys");
        struct statfs fs;

        keeps = statfs(sys, &fs) == 0 && (fs.f_type == SYSFS_MAGIC || fs.f_type == FUSE_SUPER_MAGIC);
        known = GINT_TO_POINTER(keeps ? 1 : 2);
        g_hash_table_insert(kept_roots, g_strdup(root), known);
    }
    pthread_mutex_unlock(&kept_lock);
    return GPOINTER_TO_INT(known) == 1;
}

/* The attribute at path read again through its kept file: FALSE when it is not kept, or the read failed (then it
 * is kept no longer, and the caller opens it afresh) */
static gboolean
kept_read(const char *relpath, const char *path, char **contents, gsize *length)
{
    Kept *k;
    gboolean ok;

    pthread_mutex_lock(&kept_lock);
    if ((k = g_hash_table_lookup(kept, path)))
        k->readers++;
    pthread_mutex_unlock(&kept_lock);
    if (!k)
        return FALSE;
    /* pread() has no file position: two threads may read one kept file at once */
    ok = read_fd_from_start(k->fd, relpath, path, contents, length, NULL);
    pthread_mutex_lock(&kept_lock);
    k->readers--;
    if (!ok || k->gone)
        kept_drop(k);
    pthread_mutex_unlock(&kept_lock);
    return ok;
}

/* Keeps fd open as the file of path (or closes it, when path is kept already) */
static void
kept_add(const char *path, int fd)
{
    Kept *k;

    pthread_mutex_lock(&kept_lock);
    if (g_hash_table_contains(kept, path)) {
        close(fd);
    } else {
        if (g_queue_get_length(&kept_order) >= KEPT_MAX)
            kept_drop(g_queue_peek_head(&kept_order));
        k = g_new0(Kept, 1);
        k->path = g_strdup(path);
        k->fd = fd;
        g_hash_table_insert(kept, k->path, k);
        g_queue_push_tail(&kept_order, k);
    }
    pthread_mutex_unlock(&kept_lock);
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

/* The entries of an open folder, sorted; closes dir. path names the folder in errors. */
static GPtrArray *
list_dir(DIR *dir, const char *path, GError **error)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *entry;

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

GPtrArray *
apm_sysfs_list(const char *root, const char *relpath, GError **error)
{
    g_autofree char *path = apm_root_path(root, relpath);
    DIR *dir = opendir(path);

    if (!dir) {
        apm_set_errno_error(error, errno, _("Cannot list %s"), path);
        return NULL;
    }
    return list_dir(dir, path, error);
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
    GHashTable *fds;  /* directory relpath -> fd + 1 (0 never stored) */
    gboolean keep;    /* the attributes read are kept open (root_keeps_files()) */
};

ApmSysfsDirs *
apm_sysfs_dirs_new(const char *root)
{
    ApmSysfsDirs *dirs = g_new0(ApmSysfsDirs, 1);

    dirs->root = g_strdup(root ? root : "/");
    dirs->fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    dirs->keep = root_keeps_files(dirs->root);
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
        /* below the nearest folder already open, only the names under it are looked up, not the whole path */
        g_autofree char *ancestor = g_strdup(dir);
        gpointer ancestor_fd = NULL;
        char *slash;

        while (!ancestor_fd && (slash = strrchr(ancestor, '/')) && slash != ancestor) {
            *slash = '\0';
            ancestor_fd = g_hash_table_lookup(dirs->fds, ancestor);
        }
        if (ancestor_fd) {
            fd = openat(GPOINTER_TO_INT(ancestor_fd) - 1, dir + strlen(ancestor) + 1, O_PATH | O_DIRECTORY | O_CLOEXEC);
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
    g_autofree char *path = apm_root_path(dirs->root, relpath);
    char *contents;
    gsize len;

    if (!dirs->keep || !kept_read(relpath, path, &contents, &len)) {
        int dirfd = dirs_fd(dirs, dir);
        int fd = openat(dirfd < 0 ? AT_FDCWD : dirfd, dirfd < 0 ? path : name, O_RDONLY | O_CLOEXEC);
        gboolean ok;

        if (fd < 0) {
            apm_set_errno_error(error, errno, _("Cannot open %s"), path);
            return NULL;
        }
        ok = read_fd_from_start(fd, relpath, path, &contents, &len, error);
        if (ok && dirs->keep)
            kept_add(path, fd);
        else
            close(fd);
        if (!ok)
            return NULL;
    }
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

gboolean
apm_sysfs_dirs_has_dir(ApmSysfsDirs *dirs, const char *dir)
{
    g_autofree char *path = NULL;

    if (dirs_fd(dirs, dir) >= 0)
        return TRUE;
    /* absent, or more folders open than are kept: asked by its whole path */
    path = apm_root_path(dirs->root, dir);
    return g_file_test(path, G_FILE_TEST_IS_DIR);
}

GPtrArray *
apm_sysfs_dirs_list(ApmSysfsDirs *dirs, const char *dir, GError **error)
{
    g_autofree char *path = apm_root_path(dirs->root, dir);
    int dirfd = dirs_fd(dirs, dir);
    DIR *d = NULL;
    int fd;

    if (dirfd < 0)
        return apm_sysfs_list(dirs->root, dir, error);
    /* "." below the kept folder is the folder itself: no name to look up */
    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !(d = fdopendir(fd))) {
        int saved = errno;

        if (fd >= 0)
            close(fd);
        apm_set_errno_error(error, saved, _("Cannot list %s"), path);
        return NULL;
    }
    return list_dir(d, path, error);
}
