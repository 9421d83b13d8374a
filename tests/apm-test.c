/* apm-test.c: helpers shared by the unit tests */
#include "config.h"
#include "apm-test.h"

#include <errno.h>
#include <ftw.h>

char *
apm_test_tmpdir_new(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("apmatrix-test-XXXXXX", &error);

    g_assert_no_error(error);
    return dir;
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove(path);
}

void
apm_test_tmpdir_free(char *dir)
{
    if (!dir)
        return;
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_free(dir);
}

void
apm_test_write_file(const char *root, const char *relpath, const char *contents)
{
    g_autofree char *path = g_build_filename(root, relpath, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_file_set_contents(path, contents, -1, &error);
    g_assert_no_error(error);
}

const char *
apm_test_errno_name(int err)
{
    static char buf[16];

    switch (err) {
    case 0: return "0";
    case EINVAL: return "EINVAL";
    case ERANGE: return "ERANGE";
    case ENODEV: return "ENODEV";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EBUSY: return "EBUSY";
    case ENOENT: return "ENOENT";
    case ENOSPC: return "ENOSPC";
    case EEXIST: return "EEXIST";
    case EUSERS: return "EUSERS";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case E2BIG: return "E2BIG";
    case EIO: return "EIO";
    case ENODATA: return "ENODATA";
    default:
        g_snprintf(buf, sizeof(buf), "%d", err);
        return buf;
    }
}

gint
apm_test_strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}
