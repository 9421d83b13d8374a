/* apsim-preload.c: LD_PRELOAD shim for programs run under `apsim exec`: the simulated /sys is a FUSE mount,
 * but systemd's device code (libudev, udevadm, libvirt's node-device driver) refuses any /sys whose
 * statfs() does not say sysfs. For paths and descriptors under /sys that are FUSE, report SYSFS_MAGIC. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#define SYSFS_MAGIC 0x62656572
#define FUSE_SUPER_MAGIC 0x65735546

int statfs(const char *path, struct statfs *buf);
int fstatfs(int fd, struct statfs *buf);
int statfs64(const char *path, struct statfs64 *buf);
int fstatfs64(int fd, struct statfs64 *buf);

static int
under_sys(const char *path)
{
    char resolved[4096];

    if (!path)
        return 0;
    if (!realpath(path, resolved))
        return strncmp(path, "/sys/", 5) == 0 || strcmp(path, "/sys") == 0;
    return strncmp(resolved, "/sys/", 5) == 0 || strcmp(resolved, "/sys") == 0;
}

static int
fd_under_sys(int fd)
{
    char link[64], target[4096];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/sys/", 5) == 0 || strcmp(target, "/sys") == 0;
}

#define SHIM(name, argtype, check)                                                                           \
    int name(argtype arg, struct statfs *buf)                                                                \
    {                                                                                                        \
        static int (*real)(argtype, struct statfs *);                                                       \
        int rc;                                                                                              \
        if (!real)                                                                                           \
            real = (int (*)(argtype, struct statfs *)) dlsym(RTLD_NEXT, #name);                             \
        rc = real(arg, buf);                                                                                 \
        if (rc == 0 && buf->f_type == FUSE_SUPER_MAGIC && check(arg))                                        \
            buf->f_type = SYSFS_MAGIC;                                                                       \
        return rc;                                                                                           \
    }

#define SHIM64(name, argtype, check)                                                                         \
    int name(argtype arg, struct statfs64 *buf)                                                              \
    {                                                                                                        \
        static int (*real)(argtype, struct statfs64 *);                                                     \
        int rc;                                                                                              \
        if (!real)                                                                                           \
            real = (int (*)(argtype, struct statfs64 *)) dlsym(RTLD_NEXT, #name);                           \
        rc = real(arg, buf);                                                                                 \
        if (rc == 0 && buf->f_type == FUSE_SUPER_MAGIC && check(arg))                                        \
            buf->f_type = SYSFS_MAGIC;                                                                       \
        return rc;                                                                                           \
    }

SHIM(statfs, const char *, under_sys)
SHIM(fstatfs, int, fd_under_sys)
SHIM64(statfs64, const char *, under_sys)
SHIM64(fstatfs64, int, fd_under_sys)
