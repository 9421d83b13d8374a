/* apmatrix-cmd.h: apmatrix's command table. Every command is declared once, as virsh declares its commands
 * (vshCmdDef, vshCmdOptDef): its name, its arguments and options with their value types, and its help. The
 * parser, the --help texts, the man-page consistency test and the bash completion (apmatrix complete) all read
 * the table; the global options are a table of the same kind, taken before or after the command alike. */
#pragma once

#include <glib.h>

typedef enum {
    APM_OPT_BOOL,    /* --name */
    APM_OPT_STRING,  /* --name VALUE or --name=VALUE */
    APM_OPT_SECONDS, /* a number of seconds from min to max (above min with APM_OPT_ABOVE_MIN) */
    APM_OPT_CHOICE,  /* one of choices */
} ApmOptType;

typedef enum {
    APM_OPT_POSITIONAL = 1 << 0, /* an argument, taken in order; --NAME VALUE gives it too, as in virsh */
    APM_OPT_REQUIRED = 1 << 1,
    APM_OPT_REPEAT = 1 << 2,     /* may be given more than once, every value kept */
    APM_OPT_ABOVE_MIN = 1 << 3,
} ApmOptFlags;

/* What the completion offers for a value */
typedef enum {
    APM_COMPLETE_NONE,
    APM_COMPLETE_CHOICES, /* the option's choices (after the last comma, for a comma-separated list) */
    APM_COMPLETE_FILE,
    APM_COMPLETE_DIR,
    APM_COMPLETE_NODEDEV,
    APM_COMPLETE_MDEV,    /* an mdev's UUID */
    APM_COMPLETE_GUEST,
    APM_COMPLETE_POOL,    /* a pool's name */
} ApmComplete;

typedef struct {
    const char *name;  /* without the dashes; a positional's name is its --NAME too */
    ApmOptType type;
    guint flags;       /* ApmOptFlags */
    const char *value; /* the value in usage texts (FILE, CAP[,CAP...]); NULL for a BOOL */
    const char *help;  /* N_() */
    ApmComplete complete;
    const char *const *choices; /* NULL-terminated */
    double min, max;            /* APM_OPT_SECONDS */
    const char *conflicts;      /* the names of the options it cannot go with, space-separated */
    const char *alias;          /* another name for it */
} ApmOptDef;

typedef struct _ApmArgs ApmArgs;
struct Globals;

typedef struct {
    const char *name;
    int (*run)(struct Globals *g, const ApmArgs *args);
    const ApmOptDef *opts; /* ends with an entry whose name is NULL */
    const char *summary;   /* N_(): what it does, one sentence */
    gboolean hidden;       /* not in --help (complete) */
} ApmCmdDef;

/* A parsed command line: the command and every option given, global or the command's */
typedef struct {
    const ApmCmdDef *cmd; /* NULL when no command was given */
    ApmArgs *args;
} ApmCmdLine;

/* Parses argv[1..argc-1] against the commands of table (ending with a NULL name) and the global options. -1 when
 * the command is to run; else the exit code, the usage error or the --help or --version text printed. */
int apm_cmd_parse(const ApmCmdDef *table, const ApmOptDef *globals, int argc, char **argv, ApmCmdLine *line);
void apm_cmd_line_clear(ApmCmdLine *line);

/* The values of an option: whether a BOOL was given; the value of a STRING, SECONDS or CHOICE (its last, NULL
 * when not given); every value of a REPEAT option, in order; seconds as a number (fallback when not given). */
gboolean apm_args_bool(const ApmArgs *args, const char *name);
const char *apm_args_string(const ApmArgs *args, const char *name);
const GPtrArray *apm_args_strings(const ApmArgs *args, const char *name);
double apm_args_seconds(const ApmArgs *args, const char *name, double fallback);

/* The synopsis of a command from its table ("NAME [--inactive] [--all] [--cap CAP[,CAP...]]") */
char *apm_cmd_synopsis(const ApmCmdDef *cmd);

/* Candidates for the last of words (the command line after the program's name, the last word being completed,
 * maybe empty): commands, options, or an option's or argument's values; a value of a file or a folder is the
 * single candidate "@file" or "@dir", for the shell to complete. names gives the dynamic values (node devices,
 * mdevs, guests), with the global options of the words already parsed. */
typedef GPtrArray *(*ApmCompleteNames)(ApmComplete kind, const ApmArgs *globals);
GPtrArray *apm_cmd_complete(const ApmCmdDef *table, const ApmOptDef *globals, char **words, int n,
                            ApmCompleteNames names);
