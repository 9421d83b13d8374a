/* apsim-qmp.h: each simulated guest's QEMU front: its QMP monitors (greeting, qmp_capabilities, device_add and
 * device_del of vfio-ap with DEVICE_DELETED, run state, what libvirt's QEMU driver asks), on a UNIX socket of
 * apsim's own for guests started through the control interface, or behind an apsim-qemu process that libvirt
 * started as its emulator (see apsim-qemu(1)) */
#pragma once

#include <glib.h>

#include "apsim-host.h"

typedef struct ApsimQmp ApsimQmp;

/* Serves the guests' monitors from its own thread; sockets live in dir as <guest>.sock. Installs itself as
 * the host's request-IRQ handler: a guest that is not an "old QEMU" unplugs its vfio-ap device when asked. */
ApsimQmp *apsim_qmp_new(ApsimHost *host, const char *dir);
void apsim_qmp_free(ApsimQmp *qmp);
/* Serves the QEMU-front socket at path, through which apsim-qemu processes start their guests and relay their
 * monitors (mode 0666: libvirt runs its QEMU as an unprivileged user) */
gboolean apsim_qmp_listen_qemu(ApsimQmp *qmp, const char *path, GError **error);

/* Starts a guest with its monitor; with cold_mdev, the vfio-ap device (id "hostdev0") is plugged before the
 * guest runs. */
gboolean apsim_qmp_start_guest(ApsimQmp *qmp, const char *name, gboolean old_qemu, const char *cold_mdev,
                               GError **error);
/* Stops a guest: its device is closed, its monitor says SHUTDOWN and goes away. */
gboolean apsim_qmp_stop_guest(ApsimQmp *qmp, const char *name, GError **error);
/* device_add / device_del as the monitor would run them (for the control interface). */
gboolean apsim_qmp_device_add(ApsimQmp *qmp, const char *name, const char *mdev, const char *id, GError **error);
gboolean apsim_qmp_device_del(ApsimQmp *qmp, const char *name, GError **error);
/* With hang, the guest accepts device_del but never completes the unplug (no DEVICE_DELETED), as a guest that
 * ignores the unplug; turning it off completes an unplug that is pending. */
gboolean apsim_qmp_hang_unplug(ApsimQmp *qmp, const char *name, gboolean hang, GError **error);
