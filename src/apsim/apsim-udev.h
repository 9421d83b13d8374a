/* apsim-udev.h: a udev database for the simulated devices, so that libudev-based tools (udevadm, libvirt's
 * node-device driver) accept them as initialized devices */
#pragma once

#include <glib.h>

#include "apsim-host.h"

typedef struct ApsimUdev ApsimUdev;

/* Writes an entry under dir (ROOT/run/udev/data) for every device there is, then keeps the folder current as
 * devices come and go. */
ApsimUdev *apsim_udev_new(ApsimHost *host, const char *dir, GError **error);
void apsim_udev_free(ApsimUdev *udev);

/* Streams every device event to fd, one line each: "ACTION SEQNUM KEY=VALUE..." with DEVPATH, SUBSYSTEM,
 * DEVTYPE and the event's own properties, written after the database is updated. Returns once the reader
 * closes fd. */
void apsim_udev_stream_events(ApsimUdev *udev, int fd);

/* Ends every event stream (at shutdown). */
void apsim_udev_disconnect_all(ApsimUdev *udev);

/* The database file name of a device: "+ap:card05", "+ap:05.0047", "+matrix:matrix", "+mdev:<uuid>";
 * NULL for devices udev keeps no entry for. devpath is relative to /sys. */
char *apsim_udev_db_name(const char *devpath, const char *subsystem);
