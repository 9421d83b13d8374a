/* apm-sysfs.c: root-relative sysfs I/O */
#include "config.h"
#include "apm-sysfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

gboolean
apm_sysfs_read(const char *root, const char *relpath, char **contents, gsize *length, GError **error)
{
    g_autofree char *path = apm_root_path(root, relpath);
    g_autoptr(GString) buf = g_string_sized_new(256);
    char chunk[4096];
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        apm_set_errno_error(error, errno, _("Cannot open %s"), path);
        return FALSE;
    }
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

gboolean
apm_sysfs_write(const char *root, const char *relpath, const char *value, GError **error)
{
    g_autofree char *path = apm_root_path(root, relpath);
    size_t len = strlen(value);
    g_autofree char *shown = g_strchomp(g_strndup(value, 80));
    ssize_t n;
    int fd;

    fd = open(path, O_WRONLY | O_CLOEXEC);
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
