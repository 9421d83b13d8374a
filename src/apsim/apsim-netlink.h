/* apsim-netlink.h: device events as libudev netlink messages (what systemd-udevd multicasts to its
 * monitors), for the private network namespace of `apsim exec` */
#pragma once

#include <glib.h>

/* MurmurHash2 with seed 0, as libudev hashes subsystem and devtype for its socket filters. */
guint32 apsim_murmur2(const char *text);

/* Builds the message for one event line of apsim's event stream ("add 12 DEVPATH=... SUBSYSTEM=..."). NULL
 * when the line is not an event. */
GBytes *apsim_netlink_udev_message(const char *line);

/* Subscribes to the events of the apsim whose control socket is socket_path and multicasts each one to the
 * udev netlink group of the current network namespace, until the stream ends. Returns 0 or an errno. */
int apsim_netlink_relay(const char *socket_path);
