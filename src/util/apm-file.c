/* apm-file.c: reading files that someone other than root may control */
#include "config.h"
#include "apm-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

static gboolean
owner_is_sane(const char *path, const struct stat *st, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    struct stat dst;

    if (st->st_nlink != 1) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("%s has %lu hard links; a file of this folder must have one"), path, (unsigned long) st->st_nlink);
        return FALSE;
    }
    if (lstat(dir, &dst) < 0) {
        apm_set_errno_error(error, errno, _("Cannot read %s"), dir);
        return FALSE;
    }
    if (st->st_uid != 0 && st->st_uid != dst.st_uid) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("%s belongs to user %u, neither root nor the owner of %s (user %u)"), path,
                    (unsigned) st->st_uid, dir, (unsigned) dst.st_uid);
        return FALSE;
    }
    return TRUE;
}

char *
apm_file_read_untrusted(const char *path, gsize max, ApmFileFlags flags, gsize *length, GError **error)
{
    g_autoptr(GString) text = NULL;
    struct stat st;
    char buf[8192];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

    if (fd < 0) {
        if (errno == ENOENT)
            g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND, _("%s does not exist"), path);
        else if (errno == ELOOP)
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s is a symbolic link, which is not followed"),
                        path);
        else
            apm_set_errno_error(error, errno, _("Cannot open %s"), path);
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        apm_set_errno_error(error, errno, _("Cannot read %s"), path);
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s is not a regular file"), path);
        close(fd);
        return NULL;
    }
    if ((flags & APM_FILE_FOLDER_OWNER) && !owner_is_sane(path, &st, error)) {
        close(fd);
        return NULL;
    }
    if ((guint64) st.st_size > max) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s is larger than %lu bytes"), path, (unsigned long) max);
        close(fd);
        return NULL;
    }
    text = g_string_sized_new((gsize) st.st_size + 1);
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (text->len + (gsize) n > max) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("%s is larger than %lu bytes"), path,
                        (unsigned long) max);
            close(fd);
            return NULL;
        }
        g_string_append_len(text, buf, n);
    }
    if (n < 0) {
        apm_set_errno_error(error, errno, _("Cannot read %s"), path);
        close(fd);
        return NULL;
    }
    close(fd);
    if (length)
        *length = text->len;
    return g_string_free(g_steal_pointer(&text), FALSE);
}

gboolean
apm_file_write_atomic(const char *path, const char *text, gsize length, mode_t mode, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = NULL;
    int fd = -1, dfd, saved = 0;
    gsize done = 0;

    for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
        g_free(tmp);
        tmp = g_strdup_printf("%s/.%s.%08x.tmp", dir, base, g_random_int());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST) {
            apm_set_errno_error(error, errno, _("Cannot create %s"), tmp);
            return FALSE;
        }
    }
    if (fd < 0) {
        apm_set_errno_error(error, EEXIST, _("Cannot create a temporary file in %s"), dir);
        return FALSE;
    }
    if (fchmod(fd, mode) < 0)
        saved = errno;
    while (!saved && done < length) {
        ssize_t n = write(fd, text + done, length - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            saved = n < 0 ? errno : EIO;
        else
            done += (gsize) n;
    }
    if (!saved && fsync(fd) < 0)
        saved = errno;
    if (close(fd) < 0 && !saved)
        saved = errno;
    if (saved) {
        unlink(tmp);
        apm_set_errno_error(error, saved, _("Cannot write %s"), tmp);
        return FALSE;
    }
    if (rename(tmp, path) < 0) {
        saved = errno;
        unlink(tmp);
        apm_set_errno_error(error, saved, _("Cannot put %s in place"), path);
        return FALSE;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return TRUE;
}
