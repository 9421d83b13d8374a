/* apsim-devfs.c: /dev/vfio as devtmpfs would keep it for the simulated host */
#include "config.h"
#include "apsim-devfs.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-i18n.h"

/* The container node has VFIO's own misc numbers. Nothing here can serve a VFIO container, and nobody opens it:
 * libvirt only looks for it. Group nodes are opened (libvirt's DAC driver locks them while it labels them), so
 * they are the null device's numbers, which open anywhere; their owner and mode are the kernel's (root, 0600). */
#define VFIO_MAJOR 10
#define VFIO_MINOR 196
#define GROUP_MAJOR 1
#define GROUP_MINOR 3

struct ApsimDevfs {
    ApsimHost *host;
    char *vfio_dir;
};

static int
make_node(const char *path, mode_t mode, unsigned int major, unsigned int minor)
{
    if (mknod(path, S_IFCHR | mode, makedev(major, minor)) < 0 && errno != EEXIST)
        return -errno;
    /* mknod is subject to the umask; the mode is the kernel's whatever the umask */
    return chmod(path, mode) < 0 ? -errno : 0;
}

static void
on_group(guint group, gboolean added, gpointer data)
{
    ApsimDevfs *devfs = data;
    g_autofree char *path = g_strdup_printf("%s/%u", devfs->vfio_dir, group);

    if (added) {
        int rc = make_node(path, 0600, GROUP_MAJOR, GROUP_MINOR);

        if (rc)
            g_warning("apsim: cannot make the vfio group node %s: %s", path, g_strerror(-rc));
    } else if (unlink(path) < 0 && errno != ENOENT) {
        g_warning("apsim: cannot remove the vfio group node %s: %s", path, g_strerror(errno));
    }
}

ApsimDevfs *
apsim_devfs_new(ApsimHost *host, const char *dir, GError **error)
{
    g_autofree char *vfio_dir = g_build_filename(dir, "vfio", NULL);
    g_autofree char *container = g_build_filename(vfio_dir, "vfio", NULL);
    ApsimDevfs *devfs;
    int rc;

    if (g_mkdir_with_parents(vfio_dir, 0755) < 0) {
        apm_set_errno_error(error, errno, _("Cannot create %s"), vfio_dir);
        return NULL;
    }
    rc = make_node(container, 0666, VFIO_MAJOR, VFIO_MINOR);
    if (rc) {
        apm_set_errno_error(error, -rc, _("Cannot make the device node %s"), container);
        return NULL;
    }
    devfs = g_new0(ApsimDevfs, 1);
    devfs->host = host;
    devfs->vfio_dir = g_steal_pointer(&vfio_dir);
    apsim_host_set_group_func(host, on_group, devfs);
    return devfs;
}

void
apsim_devfs_free(ApsimDevfs *devfs)
{
    if (!devfs)
        return;
    apsim_host_set_group_func(devfs->host, NULL, NULL);
    g_free(devfs->vfio_dir);
    g_free(devfs);
}
