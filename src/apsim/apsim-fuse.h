/* apsim-fuse.h: the simulated /sys tree served through libfuse3, multi-threaded */
#pragma once

#include <glib.h>

#include "apsim-host.h"

typedef struct ApsimFuse ApsimFuse;

/* Mounts the tree at mountpoint. */
ApsimFuse *apsim_fuse_mount(ApsimHost *host, const char *mountpoint, GError **error);
/* Serves requests on many threads until apsim_fuse_exit or a signal; returns 0 on a clean exit. */
int apsim_fuse_loop(ApsimFuse *fuse);
/* Asks the loop to stop (async-signal-safe is not required: called from the control thread). */
void apsim_fuse_exit(ApsimFuse *fuse);
/* Unmounts and frees. */
void apsim_fuse_unmount(ApsimFuse *fuse);

/* Lets SIGTERM, SIGINT and SIGHUP end the loop (they must reach the thread that runs it). */
void apsim_fuse_handle_signals(ApsimFuse *fuse);
