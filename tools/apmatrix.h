/* apmatrix.h: what the command files of apmatrix share (options, exit codes, error reports) */
#pragma once

#include "apm-jsonio.h"

#include "apm-exec.h"
#include "apm-guests.h"
#include "apm-host.h"
#include "apm-hotplug.h"
#include "apm-lifecycle.h"

/* Exit codes, documented in apmatrix(1) */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,     /* could not read or write the host, or an internal error */
    EXIT_USAGE = 2,      /* a command or option is wrong */
    EXIT_INVALID = 3,    /* the input (XML, name) is not acceptable */
    EXIT_REFUSED = 4,    /* the request conflicts with the host's state; nothing was changed */
    EXIT_NOT_FOUND = 5,  /* no such device or definition */
    EXIT_LOCK = 6,       /* the host config lock could not be taken in time */
    EXIT_DIFFERS = 7,    /* done, but the kernel holds something other than predicted */
    EXIT_FINDINGS = 8,   /* check: the audit found something wrong */
    EXIT_PEER = 9,       /* a guest's QEMU monitor did not answer in time */
};

typedef struct Globals {
    const char *root_option;
    char *root;
    gboolean json;
    ApmExecOptions exec;
    const char *connect;   /* --connect URI: libvirt's guests */
    const char *qmp_dir;   /* --qmp-dir DIR: QEMU monitors */
    guint unplug_timeout_ms;
    gboolean problems_as_findings; /* check: what the host read could not read is a finding, not a warning */
} Globals;

/* A usage error on stderr, with the hint to --help; EXIT_USAGE */
int usage_error(const char *format, ...) G_GNUC_PRINTF(1, 2);
/* An error, on stderr in words or on stdout as JSON (with the outcome's warnings); the exit code for it */
int report_error(const Globals *g, const GError *error, const ApmOutcome *outcome);
/* The host snapshot, or NULL with the error reported and *code set */
ApmHost *read_host(const Globals *g, int *code);
/* The same at a lower detail, for a command that needs less of each card and queue */
ApmHost *read_host_detail(const Globals *g, ApmHostRead detail, int *code);
void print_json(JsonBuilder *b);
/* What a change did, in words: its warnings (stderr), the sentence (stdout), where the kernel differs (stderr) */
void print_outcome(const ApmOutcome *outcome, const char *sentence);
void add_strings(JsonBuilder *b, const char *member, const GPtrArray *list);
void add_apqns(JsonBuilder *b, const char *member, const ApmMatrix *m);
ApmGuests *open_guests(const Globals *g, GError **error);
void hotplug_init(const Globals *g, ApmHotplug *hp, ApmGuests *guests);

#include "apmatrix-cmd.h"

int cmd_matrix(Globals *g, const ApmArgs *args);
int cmd_mask(Globals *g, const ApmArgs *args);
int cmd_check(Globals *g, const ApmArgs *args);
/* The host (a progress line on a terminal) with the guests of the back-end when there is one (required: else an
 * error) */
ApmHost *read_host_with_guests(const Globals *g, gboolean required, int *code);
int cmd_pool_define(Globals *g, const ApmArgs *args);
int cmd_pool_list(Globals *g, const ApmArgs *args);
int cmd_pool_show(Globals *g, const ApmArgs *args);
int cmd_pool_grow(Globals *g, const ApmArgs *args);
int cmd_pool_shrink(Globals *g, const ApmArgs *args);
int cmd_pool_undefine(Globals *g, const ApmArgs *args);
int cmd_export_nova(Globals *g, const ApmArgs *args);
