/* apmatrix-cmd.c: the command table's parser, help and completion */
#include "config.h"
#include "apmatrix-cmd.h"

#include <stdio.h>
#include <string.h>

#include "apm-i18n.h"
#include "apmatrix.h"

struct _ApmArgs {
    GHashTable *values; /* option name → GPtrArray of values ("" for a BOOL) */
};

static ApmArgs *
args_new(void)
{
    ApmArgs *a = g_new0(ApmArgs, 1);

    a->values = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_ptr_array_unref);
    return a;
}

static void
args_free(ApmArgs *a)
{
    if (!a)
        return;
    g_hash_table_unref(a->values);
    g_free(a);
}

static void
args_add(ApmArgs *a, const ApmOptDef *def, const char *value)
{
    GPtrArray *list = g_hash_table_lookup(a->values, def->name);

    if (!list) {
        list = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(a->values, (gpointer) def->name, list);
    }
    g_ptr_array_add(list, g_strdup(value));
}

static gboolean
args_has(const ApmArgs *a, const char *name)
{
    return a && g_hash_table_contains(a->values, name);
}

gboolean
apm_args_bool(const ApmArgs *args, const char *name)
{
    return args_has(args, name);
}

const char *
apm_args_string(const ApmArgs *args, const char *name)
{
    GPtrArray *list = args ? g_hash_table_lookup(args->values, name) : NULL;

    return list && list->len ? g_ptr_array_index(list, list->len - 1) : NULL;
}

const GPtrArray *
apm_args_strings(const ApmArgs *args, const char *name)
{
    static GPtrArray *empty;
    GPtrArray *list = args ? g_hash_table_lookup(args->values, name) : NULL;

    if (!list) {
        if (g_once_init_enter(&empty))
            g_once_init_leave(&empty, g_ptr_array_new());
        return empty;
    }
    return list;
}

double
apm_args_seconds(const ApmArgs *args, const char *name, double fallback)
{
    const char *text = apm_args_string(args, name);

    return text ? g_ascii_strtod(text, NULL) : fallback;
}

void
apm_cmd_line_clear(ApmCmdLine *line)
{
    g_clear_pointer(&line->args, args_free);
    line->cmd = NULL;
}

/* ---- the table ----------------------------------------------------------------------------------------- */

static const ApmOptDef *
find_opt(const ApmOptDef *opts, const char *name)
{
    for (const ApmOptDef *o = opts; o && o->name; o++)
        if (g_str_equal(o->name, name) || (o->alias && g_str_equal(o->alias, name)))
            return o;
    return NULL;
}

static const ApmCmdDef *
find_cmd(const ApmCmdDef *table, const char *name)
{
    for (const ApmCmdDef *c = table; c->name; c++)
        if (g_str_equal(c->name, name))
            return c;
    return NULL;
}

static char *choices_text(const char *const *choices);

/* TRUE when word is the first word of commands of two words ("pool" of "pool define") */
static gboolean
is_group(const ApmCmdDef *table, const char *word)
{
    gsize n = strlen(word);

    for (const ApmCmdDef *c = table; c->name; c++)
        if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ')
            return TRUE;
    return FALSE;
}

/* The command named at argv[*i]: one word, or a group's two ("pool define"); *i is left on its last word. NULL
 * when there is none; *group gets the group's word when argv[*i] is a group without a known second word. */
static const ApmCmdDef *
find_cmd_at(const ApmCmdDef *table, int argc, char **argv, int *i, const char **group)
{
    *group = NULL;
    if (is_group(table, argv[*i])) {
        g_autofree char *name = *i + 1 < argc ? g_strconcat(argv[*i], " ", argv[*i + 1], NULL) : NULL;
        const ApmCmdDef *c = name ? find_cmd(table, name) : NULL;

        if (c) {
            (*i)++;
            return c;
        }
        *group = argv[*i];
        return NULL;
    }
    return find_cmd(table, argv[*i]);
}

/* "define, list or show": the second words of a group */
static char *
group_words(const ApmCmdDef *table, const char *group)
{
    g_autoptr(GPtrArray) words = g_ptr_array_new();
    gsize n = strlen(group);

    for (const ApmCmdDef *c = table; c->name; c++)
        if (strncmp(c->name, group, n) == 0 && c->name[n] == ' ' && !c->hidden)
            g_ptr_array_add(words, (gpointer) (c->name + n + 1));
    g_ptr_array_add(words, NULL);
    return choices_text((const char *const *) words->pdata);
}

/* "a, b or c" */
static char *
choices_text(const char *const *choices)
{
    g_autoptr(GString) out = g_string_new(NULL);
    guint n = g_strv_length((char **) choices);

    for (guint i = 0; i < n; i++) {
        if (i && i + 1 == n)
            g_string_append_printf(out, _(" or %s"), choices[i]);
        else
            g_string_append_printf(out, i ? ", %s" : "%s", choices[i]);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

/* A value of def as its type takes it, or a usage error */
static int
check_value(const ApmOptDef *def, const char *value)
{
    if (def->type == APM_OPT_SECONDS) {
        char *end;
        double seconds = g_ascii_strtod(value, &end);
        gboolean low = (def->flags & APM_OPT_ABOVE_MIN) ? seconds > def->min : seconds >= def->min;

        if (!*value || *end || !(low && seconds <= def->max))
            return (def->flags & APM_OPT_ABOVE_MIN)
                       ? usage_error(_("--%s takes seconds above %g up to %g, not '%s'"), def->name, def->min,
                                     def->max, value)
                       : usage_error(_("--%s takes seconds from %g to %g, not '%s'"), def->name, def->min, def->max,
                                     value);
    } else if (def->type == APM_OPT_CHOICE && !g_strv_contains(def->choices, value)) {
        g_autofree char *known = choices_text(def->choices);

        return usage_error(_("--%s takes %s, not '%s'"), def->name, known, value);
    }
    return -1;
}

/* ---- help ---------------------------------------------------------------------------------------------- */

static char *
opt_synopsis(const ApmOptDef *o)
{
    const char *value = o->value ? _(o->value) : "";

    if (o->flags & APM_OPT_POSITIONAL)
        return (o->flags & APM_OPT_REQUIRED) ? g_strdup(value) : g_strdup_printf("[%s]", value);
    if (o->type == APM_OPT_BOOL)
        return g_strdup_printf("[--%s]", o->name);
    return (o->flags & APM_OPT_REQUIRED) ? g_strdup_printf("--%s %s", o->name, value)
                                         : g_strdup_printf("[--%s %s]", o->name, value);
}

char *
apm_cmd_synopsis(const ApmCmdDef *cmd)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (const ApmOptDef *o = cmd->opts; o && o->name; o++) {
        g_autofree char *part = opt_synopsis(o);

        g_string_append_printf(out, "%s%s", out->len ? " " : "", part);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
print_opts(const ApmOptDef *opts)
{
    for (const ApmOptDef *o = opts; o && o->name; o++) {
        g_autofree char *left = (o->flags & APM_OPT_POSITIONAL) ? g_strdup(_(o->value))
                                : o->value ? g_strdup_printf("--%s %s", o->name, _(o->value))
                                           : g_strdup_printf("--%s", o->name);

        if (strlen(left) < 26)
            printf("  %-26s %s\n", left, _(o->help));
        else
            printf("  %s\n  %-26s %s\n", left, "", _(o->help));
    }
}

static void
print_main_help(const ApmCmdDef *table, const ApmOptDef *globals)
{
    printf("%s\n\n", _("Usage: apmatrix [OPTIONS] COMMAND [ARGS...] [OPTIONS]"));
    printf("%s\n\n", _("The IBM Z AP crypto matrix as libvirt's node devices, every change checked first."));
    printf("%s\n", _("Commands:"));
    for (const ApmCmdDef *c = table; c->name; c++) {
        g_autofree char *synopsis = NULL;

        if (c->hidden)
            continue;
        synopsis = apm_cmd_synopsis(c);
        if (*synopsis)
            printf("  %-18s %s\n", c->name, synopsis);
        else
            printf("  %s\n", c->name);
    }
    printf("\n%s\n", _("Options:"));
    print_opts(globals);
    printf("\n%s\n", _("Exit codes: 0 done, 1 failed, 2 usage, 3 invalid input, 4 refused, 5 not found, "
                       "6 lock not taken, 7 done but the kernel differs from the plan, 8 check found something. "
                       "See apmatrix(1)."));
}

static void
print_cmd_help(const ApmCmdDef *cmd)
{
    g_autofree char *synopsis = apm_cmd_synopsis(cmd);

    printf(_("Usage: apmatrix [OPTIONS] %s %s\n"), cmd->name, synopsis);
    printf("\n%s\n", _(cmd->summary));
    if (cmd->opts && cmd->opts->name) {
        printf("\n%s\n", _("Arguments and options:"));
        print_opts(cmd->opts);
    }
    printf("\n%s\n", _("See apmatrix(1) for what it does and for the global options."));
}

/* ---- parsing ------------------------------------------------------------------------------------------- */

static gboolean
is_option_word(const char *w)
{
    return (w[0] == '-' && w[1] == '-' && w[2]) || (w[0] == '-' && w[1] && w[1] != '-' && !w[2]);
}

/* The option a word names ("--name", "--name=value", "-h"), with its inline value */
static const ApmOptDef *
word_opt(const ApmCmdDef *cmd, const ApmOptDef *globals, const char *word, char **name, const char **inline_value)
{
    const char *eq;
    const ApmOptDef *def;

    *inline_value = NULL;
    if (word[1] != '-') {
        *name = g_strdup(word);
        return g_str_equal(word, "-h") ? find_opt(globals, "help") : NULL;
    }
    eq = strchr(word, '=');
    *name = eq ? g_strndup(word, (gsize) (eq - word)) : g_strdup(word);
    if (eq)
        *inline_value = eq + 1;
    def = cmd ? find_opt(cmd->opts, *name + 2) : NULL;
    return def ? def : find_opt(globals, *name + 2);
}

int
apm_cmd_parse(const ApmCmdDef *table, const ApmOptDef *globals, int argc, char **argv, ApmCmdLine *line)
{
    ApmArgs *a = args_new();
    gboolean words_only = FALSE;
    int code = -1;

    line->cmd = NULL;
    line->args = a;
    /* --help wins wherever it stands, before any other complaint, as with virsh */
    for (int i = 1; i < argc && !g_str_equal(argv[i], "--"); i++) {
        const char *group;

        if (!line->cmd && !is_option_word(argv[i]))
            line->cmd = find_cmd_at(table, argc, argv, &i, &group);
        if (g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h")) {
            if (line->cmd)
                print_cmd_help(line->cmd);
            else
                print_main_help(table, globals);
            return EXIT_OK;
        }
    }
    line->cmd = NULL;
    for (int i = 1; i < argc && code < 0; i++) {
        const char *w = argv[i];

        if (!words_only && g_str_equal(w, "--")) {
            words_only = TRUE;
        } else if (!words_only && is_option_word(w)) {
            g_autofree char *name = NULL;
            const char *value = NULL;
            const ApmOptDef *def = word_opt(line->cmd, globals, w, &name, &value);

            if (!def) {
                code = line->cmd ? usage_error(_("%s does not take '%s'"), line->cmd->name, w)
                                 : usage_error(_("Unknown option '%s'"), w);
            } else if (def->type == APM_OPT_BOOL) {
                if (value)
                    code = usage_error(_("%s takes no value"), name);
                else if (!args_has(a, def->name))
                    args_add(a, def, "");
            } else {
                if (!value) {
                    if (i + 1 >= argc) {
                        code = usage_error(_("%s needs a value"), name);
                        continue;
                    }
                    value = argv[++i];
                }
                if (args_has(a, def->name) && !(def->flags & APM_OPT_REPEAT))
                    code = usage_error(_("%s is given twice"), name);
                else if ((code = check_value(def, value)) < 0)
                    args_add(a, def, value);
            }
        } else if (!line->cmd) {
            const char *group;

            if (!(line->cmd = find_cmd_at(table, argc, argv, &i, &group))) {
                g_autofree char *words = group ? group_words(table, group) : NULL;

                if (group && i + 1 < argc && !is_option_word(argv[i + 1]))
                    code = usage_error(_("Unknown command '%s %s': %s takes %s"), group, argv[i + 1], group, words);
                else if (group)
                    code = usage_error(_("%s needs a command: %s"), group, words);
                else
                    code = usage_error(_("Unknown command '%s'"), w);
            }
        } else {
            const ApmOptDef *slot = NULL;

            for (const ApmOptDef *o = line->cmd->opts; o && o->name && !slot; o++)
                if ((o->flags & APM_OPT_POSITIONAL) && (!args_has(a, o->name) || (o->flags & APM_OPT_REPEAT)))
                    slot = o;
            if (!slot)
                code = usage_error(_("%s does not take '%s'"), line->cmd->name, w);
            else if ((code = check_value(slot, w)) < 0)
                args_add(a, slot, w);
        }
    }
    if (code >= 0)
        return code;
    if (apm_args_bool(a, "version")) {
        printf("apmatrix %s\n", PACKAGE_VERSION);
        return EXIT_OK;
    }
    if (!line->cmd)
        return usage_error("%s", _("No command given"));
    for (const ApmOptDef *o = line->cmd->opts; o && o->name; o++) {
        if ((o->flags & APM_OPT_REQUIRED) && !args_has(a, o->name))
            return (o->flags & APM_OPT_POSITIONAL)
                       ? usage_error(_("%s needs %s: %s"), line->cmd->name, _(o->value), _(o->help))
                       : usage_error(_("%s needs --%s"), line->cmd->name, o->name);
        if (o->conflicts && args_has(a, o->name)) {
            g_auto(GStrv) others = g_strsplit(o->conflicts, " ", -1);

            for (guint k = 0; others[k]; k++)
                if (args_has(a, others[k]))
                    return usage_error(_("--%s cannot go with --%s"), o->name, others[k]);
        }
    }
    return -1;
}

/* ---- completion ---------------------------------------------------------------------------------------- */

static void
offer(GPtrArray *out, const char *candidate, const char *prefix)
{
    if (g_str_has_prefix(candidate, prefix))
        g_ptr_array_add(out, g_strdup(candidate));
}

static void
offer_opts(GPtrArray *out, const ApmOptDef *opts, const ApmArgs *given, const char *prefix)
{
    for (const ApmOptDef *o = opts; o && o->name; o++) {
        g_autofree char *word = g_strconcat("--", o->name, NULL);

        if (!args_has(given, o->name) || (o->flags & APM_OPT_REPEAT))
            offer(out, word, prefix);
    }
}

static void
offer_values(GPtrArray *out, const ApmOptDef *def, const ApmArgs *given, const char *prefix, ApmCompleteNames names)
{
    switch (def->complete) {
    case APM_COMPLETE_FILE:
        g_ptr_array_add(out, g_strdup("@file"));
        return;
    case APM_COMPLETE_DIR:
        g_ptr_array_add(out, g_strdup("@dir"));
        return;
    case APM_COMPLETE_CHOICES: {
        /* a comma-separated list: the choices after its last comma */
        const char *comma = def->type == APM_OPT_CHOICE ? NULL : strrchr(prefix, ',');
        g_autofree char *head = comma ? g_strndup(prefix, (gsize) (comma - prefix + 1)) : g_strdup("");

        for (guint i = 0; def->choices && def->choices[i]; i++) {
            g_autofree char *word = g_strconcat(head, def->choices[i], NULL);

            offer(out, word, prefix);
        }
        return;
    }
    case APM_COMPLETE_NODEDEV:
    case APM_COMPLETE_MDEV:
    case APM_COMPLETE_GUEST:
    case APM_COMPLETE_POOL: {
        g_autoptr(GPtrArray) list = names ? names(def->complete, given) : NULL;

        for (guint i = 0; list && i < list->len; i++)
            offer(out, g_ptr_array_index(list, i), prefix);
        return;
    }
    default:
        return;
    }
}

GPtrArray *
apm_cmd_complete(const ApmCmdDef *table, const ApmOptDef *globals, char **words, int n, ApmCompleteNames names)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    ApmArgs *given = args_new();
    const ApmCmdDef *cmd = NULL;
    const char *current = n > 0 ? words[n - 1] : "";
    const ApmOptDef *pending = NULL; /* the option whose value is being completed */
    const char *pending_group = NULL; /* the group whose second word is being completed */

    /* the words before the current one, read as the parser reads them, errors ignored */
    for (int i = 0; i + 1 < n; i++) {
        const char *w = words[i];

        if (is_option_word(w)) {
            g_autofree char *name = NULL;
            const char *value = NULL;
            const ApmOptDef *def = word_opt(cmd, globals, w, &name, &value);

            if (def && def->type == APM_OPT_BOOL)
                args_add(given, def, "");
            else if (def && value)
                args_add(given, def, value);
            else if (def && i + 2 < n)
                args_add(given, def, words[++i]);
            else if (def)
                pending = def;
        } else if (!cmd) {
            const char *group;
            int k = i;

            if (is_group(table, w) && i + 2 >= n)
                pending_group = w; /* the current word is the group's second */
            else if ((cmd = find_cmd_at(table, n - 1, words, &k, &group)))
                i = k;
        } else {
            for (const ApmOptDef *o = cmd->opts; o && o->name; o++)
                if ((o->flags & APM_OPT_POSITIONAL) && !args_has(given, o->name)) {
                    args_add(given, o, w);
                    break;
                }
        }
    }
    if (pending) {
        offer_values(out, pending, given, current, names);
    } else if (current[0] == '-') {
        offer_opts(out, cmd ? cmd->opts : NULL, given, current);
        offer_opts(out, globals, given, current);
    } else if (pending_group) {
        gsize len = strlen(pending_group);

        for (const ApmCmdDef *c = table; c->name; c++)
            if (!c->hidden && strncmp(c->name, pending_group, len) == 0 && c->name[len] == ' ')
                offer(out, c->name + len + 1, current);
    } else if (!cmd) {
        /* a group is offered once, by its first word */
        for (const ApmCmdDef *c = table; c->name; c++) {
            const char *space = strchr(c->name, ' ');
            g_autofree char *word = space ? g_strndup(c->name, (gsize) (space - c->name)) : g_strdup(c->name);

            if (!c->hidden && (!space || c == table || !g_str_has_prefix((c - 1)->name, word) ||
                               (c - 1)->name[strlen(word)] != ' '))
                offer(out, word, current);
        }
    } else {
        for (const ApmOptDef *o = cmd->opts; o && o->name; o++)
            if ((o->flags & APM_OPT_POSITIONAL) && !args_has(given, o->name)) {
                offer_values(out, o, given, current, names);
                break;
            }
    }
    args_free(given);
    return out;
}
