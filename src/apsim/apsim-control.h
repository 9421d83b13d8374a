/* apsim-control.h: the control interface: a UNIX socket outside sys/ that changes the host under the product's
 * feet (guests, host configuration, faults) and reports its state */
#pragma once

#include <glib.h>

#include "apsim-host.h"
#include "apsim-qmp.h"
#include "apsim-udev.h"

typedef struct ApsimControl ApsimControl;

/* Runs one request line ("guest-start g1", "dump", ...) and returns the reply text; *ok tells success. Used
 * by the socket server and directly by tests. */
char *apsim_control_execute(ApsimHost *host, ApsimQmp *qmp, const char *line, gboolean *ok);

/* Serves requests on socket_path, one thread per connection. on_stop is called for "stop". */
ApsimControl *apsim_control_start(ApsimHost *host, ApsimQmp *qmp, ApsimUdev *udev, const char *socket_path,
                                  void (*on_stop)(gpointer), gpointer data, GError **error);
void apsim_control_free(ApsimControl *control);

/* Sends one request to a running apsim and returns its reply. */
char *apsim_control_request(const char *socket_path, const char *line, gboolean *ok, GError **error);
/* Sends a request whose answer is a stream ("events"), and copies the stream to out_fd as it comes, until apsim
 * closes it (or writing to out_fd fails: the reader went). FALSE with error when apsim cannot be reached or
 * refuses the request. */
gboolean apsim_control_stream(const char *socket_path, const char *line, int out_fd, GError **error);
