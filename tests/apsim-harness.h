/* apsim-harness.h: tests drive a real apsim, started on a private temporary root, through its mounted tree */
#pragma once

#include <glib.h>

typedef struct {
    char *root;
    char *sys;
} Sim;

/* Call first in main(): runs the test in a private mount namespace (so no mount can outlive it in the host's
 * namespace) and makes an aborting test stop its simulators too. */
void sim_init(void);

/* Starts apsim with a built-in topology name or a topology file path. */
Sim *sim_start(const char *topology);
/* Starts apsim with a topology given as text. */
Sim *sim_start_text(const char *topology_text);
/* Stops apsim, fails the test if its log shows a sanitizer report or a lock-order violation, removes the
 * root. */
void sim_stop(Sim *sim);

/* One open() and one write() of value to ROOT/sys/path: 0 or the errno. */
int sim_write(Sim *sim, const char *path, const char *value);
/* The content of ROOT/sys/path; the test fails when it cannot be read. */
char *sim_read(Sim *sim, const char *path);
/* 0 or the errno of reading it. */
int sim_read_errno(Sim *sim, const char *path);
gboolean sim_exists(Sim *sim, const char *path);
char *sim_readlink(Sim *sim, const char *path);
/* Sorted names in a folder. */
char *sim_ls(Sim *sim, const char *path);

/* A control request; the test fails when apsim refuses it. */
void sim_ctl(Sim *sim, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* The same, returning the reply. */
char *sim_ctl_out(Sim *sim, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* A control request that may fail: returns TRUE on success, the reply in *reply. */
gboolean sim_ctl_try(Sim *sim, char **reply, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* Creates an mdev and assigns adapters, domains and control domains (human lists, may be NULL). */
void sim_mdev(Sim *sim, const char *uuid, const char *adapters, const char *domains, const char *cdoms);

/* The path of the apsim program under test. */
const char *sim_program(void);

/* A control request over the socket directly (no process per request, for load tests). Returns TRUE on
 * success; the reply in *reply when reply is not NULL. */
gboolean sim_ctl_fast(Sim *sim, char **reply, const char *line);
