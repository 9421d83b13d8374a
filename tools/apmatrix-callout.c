/* apmatrix-callout: mdevctl callout for vfio_ap-passthrough mdevs. See docs/apmatrix-callout.8.rst. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-exec.h"
#include "apm-host.h"
#include "apm-i18n.h"
#include "apm-lockfile.h"
#include "apm-ondemand.h"
#include "apm-planner.h"
#include "apm-store.h"
#include "apm-sysfs.h"

#define EXIT_NOT_MY_TYPE 2
#define AP_TYPE "vfio_ap-passthrough"

typedef struct {
    const char *type, *event, *action, *state, *uuid, *parent;
} Args;

static int
fail(const char *format, ...) G_GNUC_PRINTF(1, 2);

static int
fail(const char *format, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, format);
    text = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_printerr("%s\n", text); /* mdevctl puts the script's name before each line */
    return 1;
}

/* -t TYPE and the others: each exactly once, as mdevctl passes them */
static gboolean
take_option(const char *name, const char *value, gpointer data, GError **error)
{
    Args *a = data;
    static const char *const longs[] = { "--type", "--event", "--action", "--state", "--uuid", "--parent" };
    static const char shorts[] = { 't', 'e', 'a', 's', 'u', 'p' };
    const char **slots[] = { &a->type, &a->event, &a->action, &a->state, &a->uuid, &a->parent };

    for (guint k = 0; k < G_N_ELEMENTS(slots); k++) {
        if (!g_str_equal(name, longs[k]) && !(name[0] == '-' && name[1] == shorts[k] && !name[2]))
            continue;
        if (*slots[k]) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("%s is given twice"), name);
            return FALSE;
        }
        *slots[k] = g_strdup(value); /* GLib's string is gone after the call; kept to the end of the run */
        return TRUE;
    }
    return FALSE;
}

/* The options, declared once: the parser and --help come from GLib's option parser */
static gboolean
parse_args(int argc, char **argv, Args *a, gboolean *version, GError **error)
{
    const GOptionEntry entries[] = {
        { "type", 't', 0, G_OPTION_ARG_CALLBACK, (gpointer) take_option, N_("the mdev type"), N_("TYPE") },
        { "event", 'e', 0, G_OPTION_ARG_CALLBACK, (gpointer) take_option,
          N_("pre, post, get, live or notify"), N_("EVENT") },
        { "action", 'a', 0, G_OPTION_ARG_CALLBACK, (gpointer) take_option,
          N_("define, undefine, start, stop, modify, attributes or capabilities"), N_("ACTION") },
        { "state", 's', 0, G_OPTION_ARG_CALLBACK, (gpointer) take_option, N_("none, success or failure"),
          N_("STATE") },
        { "uuid", 'u', 0, G_OPTION_ARG_CALLBACK, (gpointer) take_option, N_("the mdev"), N_("UUID") },
        { "parent", 'p', 0, G_OPTION_ARG_CALLBACK, (gpointer) take_option, N_("the parent device (matrix)"),
          N_("PARENT") },
        { "version", 0, 0, G_OPTION_ARG_NONE, version, N_("print the version"), NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) context = g_option_context_new(NULL);
    GOptionGroup *group = g_option_group_new("apmatrix-callout", "", "", a, NULL);
    const char *const *slots[] = { &a->type, &a->event, &a->action, &a->state, &a->uuid, &a->parent };

    memset(a, 0, sizeof(*a));
    g_option_group_add_entries(group, entries);
    g_option_group_set_translation_domain(group, GETTEXT_PACKAGE);
    g_option_context_set_main_group(context, group);
    g_option_context_set_summary(context, _("The mdevctl callout for vfio_ap-passthrough mdevs: mdevctl passes each "
                                            "option exactly once and the device's JSON on standard input. See "
                                            "apmatrix-callout(8)."));
    if (!g_option_context_parse(context, &argc, &argv, error))
        return FALSE;
    if (*version)
        return TRUE;
    if (argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("'%s' is not an option"), argv[1]);
        return FALSE;
    }
    for (guint k = 0; k < G_N_ELEMENTS(slots); k++)
        if (!*slots[k]) {
            g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                _("-t, -e, -a, -s, -u and -p are each needed once, as mdevctl passes them"));
            return FALSE;
        }
    return TRUE;
}

/* mdevctl's JSON on standard input, all of it (its length: a NUL byte in it is the parser's to refuse, not a
 * place to stop reading); NULL when there is more than a configuration can be */
#define STDIN_MAX (1024 * 1024)
static char *
read_stdin(gsize *length)
{
    g_autoptr(GString) text = g_string_new(NULL);
    char buf[4096];
    ssize_t n;

    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0) {
        if (text->len + (gsize) n > STDIN_MAX)
            return NULL;
        g_string_append_len(text, buf, n);
    }
    if (length)
        *length = text->len;
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* The lock for mdevctl (our parent), kept from pre to post as ap-check keeps it. */
static ApmLockfile *
lock_for_parent(const char *root, gboolean reuse, GError **error)
{
    g_autofree char *path = apm_lockfile_host_config_path(root);
    ApmLockfileOptions o;

    ApmLockfile *lock;

    apm_lockfile_options_init(&o);
    o.reuse_if_owner = reuse;
    lock = apm_lockfile_acquire(path, getppid(), &o, error);
    if (lock && !reuse) {
        /* what a killed apmatrix left half done is put right before mdevctl changes anything */
        g_autoptr(GPtrArray) repaired = g_ptr_array_new_with_free_func(g_free);

        apm_ondemand_repair(root, repaired);
        for (guint i = 0; i < repaired->len; i++)
            g_printerr(_("apmatrix-callout: warning: %s\n"), (char *) g_ptr_array_index(repaired, i));
    }
    return lock;
}

static void
release_for_parent(const char *root)
{
    g_autofree char *path = apm_lockfile_host_config_path(root);

    apm_lockfile_release_for(path, getppid(), NULL);
}

static int
refuse_plan(const char *root, ApmPlan *plan)
{
    for (guint i = 0; i < plan->refusals->len; i++)
        g_printerr("%s\n", (char *) g_ptr_array_index(plan->refusals, i));
    release_for_parent(root);
    return 1;
}

/* pre: check and keep the lock for mdevctl; any refusal aborts mdevctl's action */
static int
handle_pre(const char *root, const Args *a, const ApmUuid *uuid)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmLockfile) lock = lock_for_parent(root, FALSE, &error);
    g_autofree char *input = NULL;
    gsize input_len = 0;
    g_autoptr(ApmMdevConfig) config = NULL;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmPlan) plan = NULL;

    if (!lock)
        return fail("%s", error->message);
    apm_lockfile_free(g_steal_pointer(&lock)); /* held on mdevctl's behalf until post */
    if (g_str_equal(a->action, "stop") || g_str_equal(a->action, "undefine"))
        return 0;
    if (g_str_equal(a->action, "define") || g_str_equal(a->action, "modify")) {
        g_autoptr(ApmMdevConfig) existing = apm_store_read(root, uuid, NULL);

        if (g_str_equal(a->action, "define") && existing) {
            release_for_parent(root);
            return fail(_("mdev %s is defined already"), a->uuid);
        }
        if (g_str_equal(a->action, "modify") && !existing) {
            release_for_parent(root);
            return fail(_("mdev %s is not defined"), a->uuid);
        }
    }
    if (!(input = read_stdin(&input_len))) {
        release_for_parent(root);
        return fail(_("the configuration on standard input is larger than 1 MiB"));
    }
    config = apm_mdev_config_parse(input, (gssize) input_len, &error);
    if (!config) {
        release_for_parent(root);
        return fail("%s", error->message);
    }
    if (!g_str_equal(config->mdev_type, AP_TYPE)) {
        release_for_parent(root);
        return fail(_("mdev type '%s' is not vfio_ap-passthrough"), config->mdev_type);
    }
    host = apm_host_read_detail(root, APM_HOST_READ_ON_DEMAND, NULL, &error);
    if (!host) {
        release_for_parent(root);
        return fail("%s", error->message);
    }
    plan = g_str_equal(a->action, "start") ? apm_plan_start(host, uuid, config, &error)
                                            : apm_plan_define(host, uuid, config, &error);
    if (!plan) {
        release_for_parent(root);
        return fail("%s", error->message);
    }
    if (plan->refusals->len)
        return refuse_plan(root, plan);
    for (guint i = 0; i < plan->warnings->len; i++)
        g_printerr(_("warning: %s\n"), (char *) g_ptr_array_index(plan->warnings, i));
    return 0;
}

/* The live change under the lock that handle_live holds */
static int
live_locked(const char *root, const ApmUuid *uuid, const ApmMdevConfig *config, const ApmExecOptions *options)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmHost) host = apm_host_read_detail(root, APM_HOST_READ_ON_DEMAND, NULL, &error);
    g_autoptr(ApmPlan) plan = NULL;
    g_autoptr(GPtrArray) differences = g_ptr_array_new_with_free_func(g_free);
    const ApmMdevInfo *mdev;

    if (!host)
        return fail("%s", error->message);
    mdev = apm_host_mdev(host, uuid);
    if (mdev && !mdev->has_ap_config)
        return fail("%s", _("The vfio_ap driver of this kernel has no ap_config attribute, so a live change "
                            "cannot be made in one step; stop and start the mdev instead"));
    plan = apm_plan_update_live(host, uuid, config, &error);
    if (!plan)
        return fail("%s", error->message);
    for (guint i = 0; i < plan->refusals->len; i++)
        g_printerr("%s\n", (char *) g_ptr_array_index(plan->refusals, i));
    for (guint i = 0; i < plan->warnings->len; i++)
        g_printerr(_("warning: %s\n"), (char *) g_ptr_array_index(plan->warnings, i));
    if (plan->refusals->len)
        return 1;
    if (!apm_exec_plan(root, plan, options, differences, &error))
        return fail("%s", error->message);
    for (guint i = 0; i < differences->len; i++)
        g_printerr("%s\n", (char *) g_ptr_array_index(differences, i));
    return 0;
}

/* live modify (mdevctl 1.3 modify --live): the running mdev gets the config's matrix in one ap_config write,
 * after the same checks as a start; the lock is this process's own, released when it is done */
static int
handle_live(const char *root, const ApmUuid *uuid)
{
    g_autoptr(GError) error = NULL;
    gsize input_len = 0;
    g_autofree char *input = read_stdin(&input_len);
    g_autoptr(ApmMdevConfig) config = input ? apm_mdev_config_parse(input, (gssize) input_len, &error) : NULL;
    ApmLockfile *lock;
    ApmExecOptions options;
    int rc;

    if (!config)
        return fail("%s", input ? error->message : _("the configuration on standard input is larger than 1 MiB"));
    if (!g_str_equal(config->mdev_type, AP_TYPE))
        return fail(_("mdev type '%s' is not vfio_ap-passthrough"), config->mdev_type);
    apm_exec_options_init(&options);
    lock = apm_exec_lock(root, &options, &error);
    if (!lock)
        return fail("%s", error->message);
    options.lock_held = TRUE;
    rc = live_locked(root, uuid, config, &options);
    apm_lockfile_release(lock, NULL);
    return rc;
}

/* get attributes: the active matrix as assign_* entries, in decimal (as ap-check prints them) */
static int
handle_get_attributes(const char *root, const char *uuid)
{
    g_autofree char *matrix_path = g_strdup_printf("/sys/devices/vfio_ap/matrix/%s/matrix", uuid);
    g_autofree char *cdom_path = g_strdup_printf("/sys/devices/vfio_ap/matrix/%s/control_domains", uuid);
    g_autofree char *mtext = apm_sysfs_read_line(root, matrix_path, NULL);
    g_autofree char *ctext = apm_sysfs_read_line(root, cdom_path, NULL);
    g_autoptr(GPtrArray) attrs = NULL;
    GString *out;
    ApmMatrix m;

    if (!mtext || !ctext || !apm_matrix_parse_apqns(mtext, &m, NULL) ||
        !apm_matrix_parse_control_domains(ctext, &m.control_domains, NULL))
        return 0; /* being torn down: nothing to say */
    attrs = apm_matrix_to_attrs(&m);
    out = g_string_new("[");
    for (guint i = 0; i < attrs->len; i++) {
        const ApmMdevAttr *a = g_ptr_array_index(attrs, i);

        g_string_append_printf(out, "%s{\"%s\":\"%s\"}", i ? "," : "", a->name, a->value);
    }
    g_string_append(out, "]\n");
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
    return 0;
}

/* get capabilities (mdevctl 1.3): the events and actions handled, intersected with what mdevctl provides */
static int
handle_capabilities(void)
{
    static const char *const events[] = { "pre", "post", "get", "live", "notify" };
    static const char *const actions[] = { "define", "undefine", "start", "stop", "modify", "attributes",
                                           "capabilities" };
    g_autofree char *input = read_stdin(NULL);
    GString *out = g_string_new("{\"supports\":{\"version\":2,\"actions\":[");

    if (!input)
        input = g_strdup("");

    for (guint i = 0; i < G_N_ELEMENTS(actions); i++)
        if (strstr(input, actions[i]))
            g_string_append_printf(out, "%s\"%s\"", out->str[out->len - 1] == '[' ? "" : ",", actions[i]);
    g_string_append(out, "],\"events\":[");
    for (guint i = 0; i < G_N_ELEMENTS(events); i++)
        if (strstr(input, events[i]))
            g_string_append_printf(out, "%s\"%s\"", out->str[out->len - 1] == '[' ? "" : ",", events[i]);
    g_string_append(out, "]}}\n");
    fputs(out->str, stdout);
    g_string_free(out, TRUE);
    return 0;
}

int
main(int argc, char **argv)
{
    g_autofree char *root = NULL;
    g_autoptr(GError) error = NULL;
    gboolean version = FALSE;
    ApmUuid uuid;
    static Args a; /* what it holds lives to the end of the run */

    apm_i18n_init();
    if (!parse_args(argc, argv, &a, &version, &error)) {
        g_printerr(_("apmatrix-callout: %s\nTry 'apmatrix-callout --help'.\n"), error->message);
        return 1;
    }
    if (version) {
        printf("apmatrix-callout %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (!g_str_equal(a.type, AP_TYPE))
        return EXIT_NOT_MY_TYPE; /* mdevctl asks the next callout */
    if (!apm_uuid_parse(a.uuid, &uuid))
        return fail(_("'%s' is not a UUID"), a.uuid);
    if (!g_str_equal(a.parent, "matrix"))
        return fail(_("Parent '%s' is not the AP matrix device (matrix)"), a.parent);
    root = apm_root_resolve(NULL);
    if (g_str_equal(a.event, "pre"))
        return handle_pre(root, &a, &uuid);
    if (g_str_equal(a.event, "post")) {
        release_for_parent(root);
        return 0;
    }
    if (g_str_equal(a.event, "live") && g_str_equal(a.action, "modify"))
        return handle_live(root, &uuid);
    if (g_str_equal(a.event, "get") && g_str_equal(a.action, "attributes"))
        return handle_get_attributes(root, a.uuid);
    if (g_str_equal(a.event, "get") && g_str_equal(a.action, "capabilities"))
        return handle_capabilities();
    if (g_str_equal(a.event, "notify"))
        return 0;
    return fail(_("Event %s with action %s is not handled"), a.event, a.action);
}
