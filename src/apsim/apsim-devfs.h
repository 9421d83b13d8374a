/* apsim-devfs.h: the device nodes that the simulated host's vfio core would have devtmpfs make, under a folder of
 * apsim's own (ROOT/dev): vfio/vfio, and vfio/GROUP for each mdev's IOMMU group while the mdev exists */
#pragma once

#include <glib.h>

#include "apsim-host.h"

typedef struct ApsimDevfs ApsimDevfs;

/* dir must be on a file system that allows device nodes (apsim start mounts a tmpfs without nodev there) */
ApsimDevfs *apsim_devfs_new(ApsimHost *host, const char *dir, GError **error);
void apsim_devfs_free(ApsimDevfs *devfs);
