/* apmatrix: the AP matrix as libvirt's node devices, with virsh's command names. See docs/apmatrix.1.rst. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include "apm-jsonio.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apm-devices.h"
#include "apm-error.h"
#include "apm-guests.h"
#include "apm-host.h"
#include "apm-hotplug.h"
#include "apm-i18n.h"
#include "apm-lifecycle.h"
#include "apm-nodedev.h"
#include "apm-sysfs.h"
#include "apmatrix.h"

typedef struct {
    const char *name;
    int (*run)(Globals *g, int argc, char **argv);
    const char *usage;
} Command;

int G_GNUC_PRINTF(1, 2)
usage_error(const char *format, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, format);
    text = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_printerr("apmatrix: %s\n", text);
    g_printerr("%s\n", _("Try 'apmatrix --help'."));
    return EXIT_USAGE;
}

static const char *
code_name(int code)
{
    switch (code) {
    case APM_ERROR_INVALID:
        return "invalid";
    case APM_ERROR_NOT_FOUND:
        return "not-found";
    case APM_ERROR_CONFLICT:
        return "refused";
    case APM_ERROR_LOCK:
    case APM_ERROR_TIMEOUT:
        return "lock";
    case APM_ERROR_UNSUPPORTED:
        return "unsupported";
    default:
        return "failed";
    }
}

static int
exit_for(const GError *error)
{
    if (error->domain != APM_ERROR)
        return EXIT_FAILED;
    switch (error->code) {
    case APM_ERROR_INVALID:
        return EXIT_INVALID;
    case APM_ERROR_NOT_FOUND:
        return EXIT_NOT_FOUND;
    case APM_ERROR_CONFLICT:
        return EXIT_REFUSED;
    case APM_ERROR_LOCK:
    case APM_ERROR_TIMEOUT:
        return EXIT_LOCK;
    default:
        return EXIT_FAILED;
    }
}

void
print_json(JsonBuilder *b)
{
    g_autofree char *text = apm_json_builder_write(b, TRUE);

    printf("%s\n", text);
}

void
add_strings(JsonBuilder *b, const char *member, const GPtrArray *list)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    for (guint i = 0; list && i < list->len; i++)
        json_builder_add_string_value(b, g_ptr_array_index(list, i));
    json_builder_end_array(b);
}

/* An error, on stderr in words or on stdout as JSON; the exit code for it */
int
report_error(const Globals *g, const GError *error, const ApmOutcome *outcome)
{
    int code = exit_for(error);

    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "error");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "code");
        json_builder_add_string_value(b, code_name(error->domain == APM_ERROR ? error->code : -1));
        json_builder_set_member_name(b, "exit");
        json_builder_add_int_value(b, code);
        json_builder_set_member_name(b, "message");
        json_builder_add_string_value(b, error->message);
        json_builder_end_object(b);
        if (outcome)
            add_strings(b, "warnings", outcome->warnings);
        json_builder_end_object(b);
        print_json(b);
    } else {
        if (outcome)
            for (guint i = 0; i < outcome->warnings->len; i++)
                g_printerr(_("apmatrix: warning: %s\n"), (char *) g_ptr_array_index(outcome->warnings, i));
        g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);

        for (guint i = 0; lines[i]; i++)
            g_printerr("apmatrix: %s\n", lines[i]);
    }
    return code;
}

ApmHost *
read_host_detail(const Globals *g, ApmHostRead detail, int *code)
{
    g_autoptr(GError) error = NULL;
    /* a large host (thousands of queues) takes seconds to read: a progress line on a terminal */
    g_autoptr(ApmProgress) progress = apm_progress_new(_("Reading the AP host"));
    ApmHost *host = apm_host_read_detail(g->root, detail, progress, &error);

    if (!host)
        *code = report_error(g, error, NULL);
    return host;
}

ApmHost *
read_host(const Globals *g, int *code)
{
    return read_host_detail(g, APM_HOST_READ_FULL, code);
}

gboolean
is_option(const char *arg)
{
    return arg[0] == '-' && arg[1] == '-';
}

/* Reads FILE ("-" for stdin) up to one byte past the node-device limit: a bigger input is refused unread. */
static char *
read_input(const char *path, gsize *length, GError **error)
{
    int fd = g_str_equal(path, "-") ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    g_autoptr(GString) text = g_string_new(NULL);
    char buf[65536];
    ssize_t n;

    if (fd < 0) {
        apm_set_errno_error(error, errno, _("Cannot read %s"), path);
        return NULL;
    }
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            apm_set_errno_error(error, errno, _("Cannot read %s"), path);
            if (fd != STDIN_FILENO)
                close(fd);
            return NULL;
        }
        g_string_append_len(text, buf, n);
        if (text->len > APM_NODEDEV_XML_MAX) {
            if (fd != STDIN_FILENO)
                close(fd);
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                        _("%s is larger than %d KiB, the most a node-device document may be"), path,
                        APM_NODEDEV_XML_MAX / 1024);
            return NULL;
        }
    }
    if (fd != STDIN_FILENO)
        close(fd);
    *length = text->len;
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* ---- nodedev-list ------------------------------------------------------------------------------------- */

static const char *
type_name(ApmNodeDevType type)
{
    static const char *const names[] = { "ap_card", "ap_queue", "ap_matrix", "mdev" };

    return names[type];
}

/* --cap's value: capability names, comma-separated, added to caps */
static int
add_caps(const char *value, ApmCapFlags *caps)
{
    g_auto(GStrv) names = g_strsplit(value, ",", -1);

    for (guint k = 0; names[k]; k++) {
        ApmCapFlags c = apm_cap_from_name(g_strstrip(names[k]));

        if (!c)
            return usage_error(_("Unknown capability '%s' (known: ap_card, ap_queue, ap_matrix, mdev, mdev_types)"),
                               names[k]);
        *caps |= c;
    }
    return EXIT_OK;
}

static int
cmd_list(Globals *g, int argc, char **argv)
{
    ApmCapFlags caps = 0;
    ApmListState state = APM_LIST_ACTIVE;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GPtrArray) devices = NULL;
    g_autoptr(GError) error = NULL;
    int code = EXIT_OK;

    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--cap") || g_str_has_prefix(argv[i], "--cap=")) {
            const char *value = argv[i][5] == '=' ? argv[i] + 6 : (i + 1 < argc ? argv[++i] : NULL);

            if (!value)
                return usage_error(_("%s needs a value"), "--cap");
            if ((code = add_caps(value, &caps)) != EXIT_OK)
                return code;
        } else if (g_str_equal(argv[i], "--all")) {
            state = APM_LIST_ALL;
        } else if (g_str_equal(argv[i], "--inactive")) {
            state = APM_LIST_INACTIVE;
        } else {
            return usage_error(_("%s does not take '%s'"), "nodedev-list", argv[i]);
        }
    }
    /* a list names devices: which exist is all it needs to read, and only of the kinds it lists */
    host = apm_devices_read_host(g->root, APM_HOST_READ_NAMES, caps, NULL, &error);
    if (!host)
        return report_error(g, error, NULL);
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        devices = apm_devices_list(host, caps, state);
        json_builder_begin_array(b);
        for (guint i = 0; i < devices->len; i++) {
            const ApmNodeDevDef *d = g_ptr_array_index(devices, i);

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, d->name);
            json_builder_set_member_name(b, "capability");
            json_builder_add_string_value(b, type_name(d->type));
            json_builder_set_member_name(b, "parent");
            json_builder_add_string_value(b, d->parent);
            json_builder_set_member_name(b, "active");
            json_builder_add_boolean_value(b, d->path != NULL);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        print_json(b);
    } else {
        g_autoptr(GString) out = g_string_new(NULL);

        devices = apm_devices_list_names(host, caps, state);
        for (guint i = 0; i < devices->len; i++) {
            g_string_append(out, g_ptr_array_index(devices, i));
            g_string_append_c(out, '\n');
        }
        fwrite(out->str, 1, out->len, stdout);
    }
    return EXIT_OK;
}

/* ---- nodedev-dumpxml, nodedev-info --------------------------------------------------------------------- */

static int
lookup_args(const char *command, int argc, char **argv, const char **name, gboolean *inactive)
{
    *name = NULL;
    for (int i = 0; i < argc; i++) {
        if (inactive && g_str_equal(argv[i], "--inactive"))
            *inactive = TRUE;
        else if (g_str_equal(argv[i], "--device") && i + 1 < argc && !*name)
            *name = argv[++i];
        else if (!is_option(argv[i]) && !*name)
            *name = argv[i];
        else
            return usage_error(_("%s does not take '%s'"), command, argv[i]);
    }
    if (!*name)
        return usage_error(_("%s needs a device name"), command);
    return EXIT_OK;
}

/* nodedev-dumpxml --all [--cap CAP,...]: every active device's XML, one after the other (what a loop of
 * virsh nodedev-dumpxml over virsh nodedev-list prints, in one process) */
static int
dump_all(Globals *g, int argc, char **argv)
{
    ApmCapFlags caps = 0;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GPtrArray) devices = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    int code = EXIT_OK;

    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--all"))
            continue;
        if (g_str_equal(argv[i], "--cap") && i + 1 < argc) {
            if ((code = add_caps(argv[++i], &caps)) != EXIT_OK)
                return code;
        } else {
            return usage_error(_("%s does not take '%s'"), "nodedev-dumpxml --all", argv[i]);
        }
    }
    {
        /* the XML of the kinds asked for, and only what it shows; a progress line on a large host */
        g_autoptr(ApmProgress) progress = apm_progress_new(_("Reading the AP host"));
        g_autoptr(GError) error = NULL;

        host = apm_devices_read_host(g->root, APM_HOST_READ_DRIVERS, caps, progress, &error);
        if (!host)
            return report_error(g, error, NULL);
    }
    devices = apm_devices_list(host, caps, APM_LIST_ACTIVE);
    for (guint i = 0; i < devices->len; i++) {
        g_autofree char *xml = apm_nodedev_def_format(g_ptr_array_index(devices, i));

        g_string_append(out, xml);
    }
    fwrite(out->str, 1, out->len, stdout);
    return EXIT_OK;
}

static int
cmd_dumpxml(Globals *g, int argc, char **argv)
{
    const char *name;
    gboolean inactive = FALSE;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmNodeDevDef) def = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    int code;

    for (int i = 0; i < argc; i++)
        if (g_str_equal(argv[i], "--all"))
            return dump_all(g, argc, argv);
    code = lookup_args("nodedev-dumpxml", argc, argv, &name, &inactive);
    if (code != EXIT_OK)
        return code;
    host = read_host_detail(g, APM_HOST_READ_DRIVERS, &code);
    if (!host)
        return code;
    def = apm_devices_lookup(host, name, inactive, &error);
    if (!def)
        return report_error(g, error, NULL);
    xml = apm_nodedev_def_format(def);
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, def->name);
        json_builder_set_member_name(b, "xml");
        json_builder_add_string_value(b, xml);
        json_builder_end_object(b);
        print_json(b);
    } else {
        fputs(xml, stdout);
    }
    return EXIT_OK;
}

static int
cmd_info(Globals *g, int argc, char **argv)
{
    const char *name;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmNodeDevDef) def = NULL;
    g_autoptr(GError) error = NULL;
    const ApmMdevInfo *m = NULL;
    const ApmStoredDef *d = NULL;
    g_autofree char *matrix = NULL, *guest_matrix = NULL;
    int code = lookup_args("nodedev-info", argc, argv, &name, NULL);

    if (code != EXIT_OK)
        return code;
    host = read_host_detail(g, APM_HOST_READ_DRIVERS, &code);
    if (!host)
        return code;
    def = apm_devices_lookup(host, name, FALSE, &error);
    if (!def)
        return report_error(g, error, NULL);
    if (def->type == APM_NODEDEV_MDEV) {
        m = apm_host_mdev(host, &def->uuid);
        d = apm_host_definition(host, &def->uuid);
        if (m) {
            g_autofree char *a = apm_mask_format_list(&m->matrix.adapters, APM_LIST_HEX);
            g_autofree char *u = apm_mask_format_list(&m->matrix.domains, APM_LIST_HEX);
            g_autofree char *c = apm_mask_format_list(&m->matrix.control_domains, APM_LIST_HEX);

            matrix = g_strdup_printf(_("adapters %s; domains %s; control domains %s"), *a ? a : "-", *u ? u : "-",
                                     *c ? c : "-");
            guest_matrix = apm_matrix_format_apqns(&m->guest_matrix);
            g_strdelimit(g_strchomp(guest_matrix), "\n", ' ');
        }
    }
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, def->name);
        json_builder_set_member_name(b, "parent");
        json_builder_add_string_value(b, def->parent);
        json_builder_set_member_name(b, "capability");
        json_builder_add_string_value(b, type_name(def->type));
        json_builder_set_member_name(b, "active");
        json_builder_add_boolean_value(b, def->path != NULL);
        json_builder_set_member_name(b, "persistent");
        json_builder_add_boolean_value(b, def->type != APM_NODEDEV_MDEV || d);
        json_builder_set_member_name(b, "autostart");
        json_builder_add_boolean_value(b, d && d->config->autostart);
        if (m) {
            g_autofree char *ap_config = apm_matrix_format_ap_config(&m->matrix);

            json_builder_set_member_name(b, "ap_config");
            json_builder_add_string_value(b, g_strchomp(ap_config));
            json_builder_set_member_name(b, "matrix");
            json_builder_add_string_value(b, matrix);
            json_builder_set_member_name(b, "guest_matrix");
            json_builder_add_string_value(b, guest_matrix);
            json_builder_set_member_name(b, "guest");
            if (m->guest)
                json_builder_add_string_value(b, m->guest);
            else
                json_builder_add_null_value(b);
        }
        json_builder_end_object(b);
        print_json(b);
        return EXIT_OK;
    }
    printf("%-14s %s\n", _("Name:"), def->name);
    printf("%-14s %s\n", _("Parent:"), def->parent);
    printf("%-14s %s\n", _("Capability:"), type_name(def->type));
    printf("%-14s %s\n", _("Active:"), def->path ? _("yes") : _("no"));
    printf("%-14s %s\n", _("Persistent:"), def->type != APM_NODEDEV_MDEV || d ? _("yes") : _("no"));
    printf("%-14s %s\n", _("Autostart:"), d && d->config->autostart ? _("yes") : _("no"));
    if (m) {
        printf("%-14s %s\n", _("Matrix:"), matrix);
        printf("%-14s %s\n", _("Guest matrix:"), *guest_matrix ? guest_matrix : _("(none)"));
        printf("%-14s %s\n", _("Guest:"), m->guest ? m->guest : _("(none known)"));
    }
    return EXIT_OK;
}

/* ---- the lifecycle ------------------------------------------------------------------------------------ */

/* Prints what a done request says; EXIT_DIFFERS when the kernel's state differs from the plan's prediction */
static int
report_done(const Globals *g, const ApmOutcome *outcome, const char *sentence)
{
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, outcome->name);
        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, sentence);
        add_strings(b, "warnings", outcome->warnings);
        add_strings(b, "differences", outcome->differences);
        json_builder_end_object(b);
        print_json(b);
    } else {
        for (guint i = 0; i < outcome->warnings->len; i++)
            g_printerr(_("apmatrix: warning: %s\n"), (char *) g_ptr_array_index(outcome->warnings, i));
        printf("%s\n", sentence);
        for (guint i = 0; i < outcome->differences->len; i++)
            g_printerr(_("apmatrix: the kernel differs from the plan: %s\n"),
                       (char *) g_ptr_array_index(outcome->differences, i));
    }
    return outcome->differences->len ? EXIT_DIFFERS : EXIT_OK;
}

typedef gboolean (*FileOp)(const char *root, const ApmXmlInput *input, const ApmExecOptions *options,
                           ApmOutcome *outcome, GError **error);

static char *
done_sentence(const char *command, const char *name, const char *file)
{
    if (g_str_equal(command, "nodedev-define"))
        return g_strdup_printf(_("Node device %s defined from %s"), name, file);
    if (g_str_equal(command, "nodedev-create"))
        return g_strdup_printf(_("Node device %s created from %s"), name, file);
    if (g_str_equal(command, "nodedev-start"))
        return g_strdup_printf(_("Node device %s started"), name);
    if (g_str_equal(command, "nodedev-destroy"))
        return g_strdup_printf(_("Node device %s destroyed"), name);
    if (g_str_equal(command, "nodedev-undefine"))
        return g_strdup_printf(_("Node device %s undefined"), name);
    return g_strdup_printf(_("Node device %s updated from %s"), name, file);
}

static int
run_file_op(Globals *g, const char *command, int argc, char **argv, FileOp op)
{
    const char *file = NULL;
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL, *sentence = NULL;
    ApmXmlInput input = { 0 };

    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--file") && i + 1 < argc && !file)
            file = argv[++i];
        else if ((!is_option(argv[i]) || g_str_equal(argv[i], "-")) && !file)
            file = argv[i];
        else if (g_str_equal(argv[i], "--validate"))
            input.validate = TRUE;
        else
            return usage_error(_("%s does not take '%s'"), command, argv[i]);
    }
    if (!file)
        return usage_error(_("%s needs an XML file ('-' for standard input)"), command);
    xml = read_input(file, &input.length, &error);
    input.xml = xml;
    input.source = g_str_equal(file, "-") ? _("standard input") : file;
    if (!xml || !op(g->root, &input, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = done_sentence(command, outcome->name, file);
    return report_done(g, outcome, sentence);
}

static int
cmd_define(Globals *g, int argc, char **argv)
{
    return run_file_op(g, "nodedev-define", argc, argv, apm_nodedev_define);
}

static int
cmd_create(Globals *g, int argc, char **argv)
{
    return run_file_op(g, "nodedev-create", argc, argv, apm_nodedev_create);
}

typedef gboolean (*NameOp)(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                           GError **error);

static int
run_name_op(Globals *g, const char *command, int argc, char **argv, NameOp op)
{
    const char *name;
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;
    int code = lookup_args(command, argc, argv, &name, NULL);

    if (code != EXIT_OK)
        return code;
    if (!op(g->root, name, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = done_sentence(command, outcome->name, NULL);
    return report_done(g, outcome, sentence);
}

static int
cmd_start(Globals *g, int argc, char **argv)
{
    return run_name_op(g, "nodedev-start", argc, argv, apm_nodedev_start);
}

static int cmd_destroy(Globals *g, int argc, char **argv);

static int
cmd_undefine(Globals *g, int argc, char **argv)
{
    return run_name_op(g, "nodedev-undefine", argc, argv, apm_nodedev_undefine);
}

static int
cmd_update(Globals *g, int argc, char **argv)
{
    const char *name = NULL, *file = NULL;
    ApmUpdateFlags flags = APM_UPDATE_CURRENT;
    gboolean current = FALSE;
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL, *sentence = NULL;
    ApmXmlInput input = { 0 };

    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--validate"))
            input.validate = TRUE;
        else if (g_str_equal(argv[i], "--live"))
            flags |= APM_UPDATE_LIVE;
        else if (g_str_equal(argv[i], "--config"))
            flags |= APM_UPDATE_CONFIG;
        else if (g_str_equal(argv[i], "--current"))
            current = TRUE;
        else if (g_str_equal(argv[i], "--device") && i + 1 < argc && !name)
            name = argv[++i];
        else if (g_str_equal(argv[i], "--file") && i + 1 < argc && !file)
            file = argv[++i];
        else if ((!is_option(argv[i]) || g_str_equal(argv[i], "-")) && !name)
            name = argv[i];
        else if ((!is_option(argv[i]) || g_str_equal(argv[i], "-")) && !file)
            file = argv[i];
        else
            return usage_error(_("%s does not take '%s'"), "nodedev-update", argv[i]);
    }
    if (current && flags != APM_UPDATE_CURRENT)
        return usage_error("%s", _("--current cannot go with --live or --config"));
    if (!name || !file)
        return usage_error("%s", _("nodedev-update needs a device name and an XML file"));
    xml = read_input(file, &input.length, &error);
    input.xml = xml;
    input.source = g_str_equal(file, "-") ? _("standard input") : file;
    if (!xml || !apm_nodedev_update(g->root, name, &input, flags, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = done_sentence("nodedev-update", outcome->name, file);
    return report_done(g, outcome, sentence);
}

static int
cmd_autostart(Globals *g, int argc, char **argv)
{
    const char *name = NULL;
    gboolean disable = FALSE;
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;

    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--disable"))
            disable = TRUE;
        else if (g_str_equal(argv[i], "--device") && i + 1 < argc && !name)
            name = argv[++i];
        else if (!is_option(argv[i]) && !name)
            name = argv[i];
        else
            return usage_error(_("%s does not take '%s'"), "nodedev-autostart", argv[i]);
    }
    if (!name)
        return usage_error(_("%s needs a device name"), "nodedev-autostart");
    if (!apm_nodedev_set_autostart(g->root, name, !disable, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = g_strdup_printf(disable ? _("Node device %s will no longer start at boot")
                                       : _("Node device %s will start at boot"),
                               outcome->name);
    return report_done(g, outcome, sentence);
}

/* ---- guests ------------------------------------------------------------------------------------------- */

/* The guest back-end: --connect (libvirt), --qmp-dir (QEMU monitors), $APMATRIX_CONNECT, $APMATRIX_QMP_DIR;
 * else apsim's monitors when the root has them, else libvirt's default connection */
ApmGuests *
open_guests(const Globals *g, GError **error)
{
    const char *connect = g->connect ? g->connect : g_getenv("APMATRIX_CONNECT");
    const char *qmp_dir = g->qmp_dir ? g->qmp_dir : g_getenv("APMATRIX_QMP_DIR");
    g_autofree char *apsim_dir = g_build_filename(g->root, "run", "apsim", "qmp", NULL);

    if (g->connect || (connect && !g->qmp_dir))
        return apm_guests_open_libvirt(connect, error);
    if (qmp_dir)
        return apm_guests_open_qmp(qmp_dir, 5000, error);
    if (g_file_test(apsim_dir, G_FILE_TEST_IS_DIR))
        return apm_guests_open_qmp(apsim_dir, 5000, error);
    return apm_guests_open_libvirt(NULL, error);
}

void
hotplug_init(const Globals *g, ApmHotplug *hp, ApmGuests *guests)
{
    apm_hotplug_init(hp, g->root, guests);
    hp->exec = g->exec;
    hp->job_timeout_ms = g->exec.lock_timeout_ms;
    if (g->unplug_timeout_ms)
        hp->unplug_timeout_ms = g->unplug_timeout_ms;
}

void
add_apqns(JsonBuilder *b, const char *member, const ApmMatrix *m)
{
    ApmApqnIter iter;
    ApmApqn apqn;

    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    apm_apqn_iter_init(&iter, &m->adapters, &m->domains);
    while (apm_apqn_iter_next(&iter, &apqn)) {
        char text[APM_APQN_TEXT_LEN + 1];

        json_builder_add_string_value(b, apm_apqn_format(apqn, text));
    }
    json_builder_end_array(b);
}

static char *
apqn_line(const ApmMatrix *m)
{
    g_autofree char *apqns = apm_matrix_format_apqns(m);

    g_strdelimit(g_strchomp(apqns), "\n", ' ');
    return g_steal_pointer(&apqns);
}

/* Prints what a guest request did: the sentence, what the guest really has and why anything is missing;
 * EXIT_DIFFERS when the kernel's state differs from the plan */
static int
report_guest(const Globals *g, const ApmGuestReport *r, const char *sentence)
{
    char uuid[APM_UUID_TEXT_LEN + 1];

    apm_uuid_format(&r->uuid, uuid);
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "guest");
        json_builder_add_string_value(b, r->guest);
        json_builder_set_member_name(b, "mdev");
        json_builder_add_string_value(b, uuid);
        json_builder_set_member_name(b, "result");
        json_builder_add_string_value(b, sentence);
        json_builder_set_member_name(b, "started_on_demand");
        json_builder_add_boolean_value(b, r->started_on_demand);
        json_builder_set_member_name(b, "stopped");
        json_builder_add_boolean_value(b, r->stopped);
        if (r->has_mdev) {
            g_autofree char *cd = apm_mask_format_list(&r->matrix.control_domains, APM_LIST_HEX);

            add_apqns(b, "matrix", &r->matrix);
            add_apqns(b, "guest_matrix", &r->guest_matrix);
            json_builder_set_member_name(b, "control_domains");
            json_builder_add_string_value(b, cd);
        }
        if (!apm_mask_is_empty(&r->host_adapters) || !apm_mask_is_empty(&r->host_domains)) {
            g_autofree char *a = apm_mask_format_list(&r->host_adapters, APM_LIST_HEX);
            g_autofree char *d = apm_mask_format_list(&r->host_domains, APM_LIST_HEX);

            json_builder_set_member_name(b, "taken_from_host");
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "adapters");
            json_builder_add_string_value(b, a);
            json_builder_set_member_name(b, "domains");
            json_builder_add_string_value(b, d);
            json_builder_end_object(b);
        }
        add_strings(b, "filtered", r->filtered);
        add_strings(b, "warnings", r->warnings);
        add_strings(b, "differences", r->differences);
        json_builder_end_object(b);
        print_json(b);
    } else {
        for (guint i = 0; i < r->warnings->len; i++)
            g_printerr(_("apmatrix: warning: %s\n"), (char *) g_ptr_array_index(r->warnings, i));
        printf("%s\n", sentence);
        if (r->started_on_demand)
            printf(_("mdev %s was started from its definition for guest %s; it stops again when detached\n"), uuid,
                   r->guest);
        if (r->stopped)
            printf(_("mdev %s was stopped\n"), uuid);
        if (!apm_mask_is_empty(&r->host_adapters) || !apm_mask_is_empty(&r->host_domains)) {
            g_autofree char *a = apm_mask_format_list(&r->host_adapters, APM_LIST_HEX);
            g_autofree char *d = apm_mask_format_list(&r->host_domains, APM_LIST_HEX);

            printf(_("Taken from the host's default drivers: adapters %s, domains %s\n"), *a ? a : "-",
                   *d ? d : "-");
        }
        if (r->has_mdev) {
            g_autofree char *apqns = apqn_line(&r->guest_matrix);
            g_autofree char *cd = apm_mask_format_list(&r->matrix.control_domains, APM_LIST_HEX);

            printf(_("Guest %s has: %s (control domains: %s)\n"), r->guest, *apqns ? apqns : _("no queues"),
                   *cd ? cd : "-");
            for (guint i = 0; i < r->filtered->len; i++)
                printf(_("Not in the guest: %s\n"), (char *) g_ptr_array_index(r->filtered, i));
        }
        for (guint i = 0; i < r->differences->len; i++)
            g_printerr(_("apmatrix: the kernel differs from the plan: %s\n"),
                       (char *) g_ptr_array_index(r->differences, i));
    }
    return r->differences->len ? EXIT_DIFFERS : EXIT_OK;
}

static int
report_guest_error(const Globals *g, const GError *error, const ApmGuestReport *r)
{
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();

    for (guint i = 0; r && i < r->warnings->len; i++)
        g_ptr_array_add(outcome->warnings, g_strdup(g_ptr_array_index(r->warnings, i)));
    return report_error(g, error, outcome);
}

/* GUEST [FILE] [--live] [--config] [--current] */
static int
device_args(const char *command, int argc, char **argv, gboolean file_needed, const char **guest, const char **file,
            ApmGuestFlags *flags)
{
    gboolean current = FALSE;

    *guest = NULL;
    *file = NULL;
    *flags = 0;
    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--live"))
            *flags |= APM_GUEST_LIVE;
        else if (g_str_equal(argv[i], "--config"))
            *flags |= APM_GUEST_CONFIG;
        else if (g_str_equal(argv[i], "--persistent"))
            *flags |= APM_GUEST_CONFIG | APM_GUEST_LIVE;
        else if (g_str_equal(argv[i], "--current"))
            current = TRUE;
        else if (g_str_equal(argv[i], "--domain") && i + 1 < argc && !*guest)
            *guest = argv[++i];
        else if (g_str_equal(argv[i], "--file") && i + 1 < argc && !*file)
            *file = argv[++i];
        else if (!is_option(argv[i]) && !*guest)
            *guest = argv[i];
        else if ((!is_option(argv[i]) || g_str_equal(argv[i], "-")) && !*file)
            *file = argv[i];
        else
            return usage_error(_("%s does not take '%s'"), command, argv[i]);
    }
    if (current && *flags)
        return usage_error("%s", _("--current cannot go with --live or --config"));
    if (!*guest || (file_needed && !*file))
        return usage_error(file_needed ? _("%s needs a guest name and a hostdev XML file")
                                       : _("%s needs a guest name"),
                           command);
    return EXIT_OK;
}

static ApmHostdev *
read_hostdev(const char *file, GError **error)
{
    gsize length = 0;
    g_autofree char *xml = read_input(file, &length, error);

    return xml ? apm_hostdev_parse(xml, length, g_str_equal(file, "-") ? _("standard input") : file, FALSE, error)
               : NULL;
}

static int
cmd_attach(Globals *g, int argc, char **argv)
{
    const char *guest, *file;
    ApmGuestFlags flags;
    g_autoptr(ApmHostdev) hostdev = NULL;
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;
    ApmHotplug hp;
    char uuid[APM_UUID_TEXT_LEN + 1];
    int code = device_args("attach-device", argc, argv, TRUE, &guest, &file, &flags);

    if (code != EXIT_OK)
        return code;
    hostdev = read_hostdev(file, &error);
    if (!hostdev || !(guests = open_guests(g, &error)))
        return report_guest_error(g, error, report);
    hotplug_init(g, &hp, guests);
    if (!apm_hotplug_attach(&hp, guest, hostdev, flags, report, &error))
        return report_guest_error(g, error, report);
    sentence = g_strdup_printf(_("Device attached successfully: mdev %s to guest %s"),
                               apm_uuid_format(&hostdev->uuid, uuid), guest);
    return report_guest(g, report, sentence);
}

static int
cmd_detach(Globals *g, int argc, char **argv)
{
    const char *guest, *file;
    ApmGuestFlags flags;
    g_autoptr(ApmHostdev) hostdev = NULL;
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;
    ApmHotplug hp;
    char uuid[APM_UUID_TEXT_LEN + 1];
    int code = device_args("detach-device", argc, argv, FALSE, &guest, &file, &flags);

    if (code != EXIT_OK)
        return code;
    if (file && !(hostdev = read_hostdev(file, &error)))
        return report_guest_error(g, error, report);
    if (!(guests = open_guests(g, &error)))
        return report_guest_error(g, error, report);
    hotplug_init(g, &hp, guests);
    if (!apm_hotplug_detach(&hp, guest, hostdev, flags, report, &error))
        return report_guest_error(g, error, report);
    sentence = g_strdup_printf(_("Device detached successfully: mdev %s from guest %s"),
                               apm_uuid_format(&report->uuid, uuid), guest);
    return report_guest(g, report, sentence);
}

static int
run_plug(Globals *g, const char *command, gboolean unplug, int argc, char **argv)
{
    const char *guest = NULL;
    ApmMatrix change;
    ApmPlugFlags flags = 0;
    gboolean current = FALSE;
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;
    ApmHotplug hp;

    apm_matrix_clear(&change);
    for (int i = 0; i < argc; i++) {
        static const char *const names[] = { "--adapter", "--domain", "--control-domain" };
        ApmMask *masks[] = { &change.adapters, &change.domains, &change.control_domains };
        static const char *const what[] = { N_("adapter"), N_("domain"), N_("control domain") };
        gboolean matched = FALSE;

        for (guint k = 0; k < G_N_ELEMENTS(names); k++) {
            gsize len = strlen(names[k]);
            const char *value = NULL;
            ApmMask ids;

            if (g_str_equal(argv[i], names[k]))
                value = i + 1 < argc ? argv[++i] : NULL;
            else if (g_str_has_prefix(argv[i], names[k]) && argv[i][len] == '=')
                value = argv[i] + len + 1;
            else
                continue;
            matched = TRUE;
            if (!value)
                return usage_error(_("%s needs a value"), names[k]);
            if (!apm_mask_parse_list(value, 255, _(what[k]), &ids, &error))
                return report_guest_error(g, error, report);
            apm_mask_or(masks[k], masks[k], &ids);
        }
        if (matched)
            continue;
        if (g_str_equal(argv[i], "--take-from-host") && !unplug)
            flags |= APM_PLUG_TAKE_FROM_HOST;
        else if (g_str_equal(argv[i], "--config"))
            flags |= APM_PLUG_CONFIG;
        else if (g_str_equal(argv[i], "--live"))
            flags |= APM_PLUG_LIVE;
        else if (g_str_equal(argv[i], "--persistent"))
            flags |= APM_PLUG_LIVE | APM_PLUG_CONFIG;
        else if (g_str_equal(argv[i], "--current"))
            current = TRUE;
        else if (!is_option(argv[i]) && !guest)
            guest = argv[i];
        else
            return usage_error(_("%s does not take '%s'"), command, argv[i]);
    }
    if (!guest)
        return usage_error(_("%s needs a guest name"), command);
    if (current && (flags & (APM_PLUG_LIVE | APM_PLUG_CONFIG)))
        return usage_error("%s", _("--current cannot go with --live or --config"));
    if (!(guests = open_guests(g, &error)))
        return report_guest_error(g, error, report);
    hotplug_init(g, &hp, guests);
    if (!apm_hotplug_plug(&hp, guest, &change, unplug, flags, report, &error))
        return report_guest_error(g, error, report);
    {
        g_autofree char *a = apm_mask_format_list(&change.adapters, APM_LIST_HEX);
        g_autofree char *d = apm_mask_format_list(&change.domains, APM_LIST_HEX);
        g_autofree char *c = apm_mask_format_list(&change.control_domains, APM_LIST_HEX);

        char uuid[APM_UUID_TEXT_LEN + 1];

        apm_uuid_format(&report->uuid, uuid);
        if ((flags & APM_PLUG_CONFIG) && !(flags & APM_PLUG_LIVE))
            sentence = g_strdup_printf(unplug ? _("Unplugged from the definition of guest %s's mdev %s (the running "
                                                  "guest is as it was): adapters %s, domains %s, control domains %s")
                                              : _("Plugged into the definition of guest %s's mdev %s (the running "
                                                  "guest is as it was): adapters %s, domains %s, control domains %s"),
                                       guest, uuid, *a ? a : "-", *d ? d : "-", *c ? c : "-");
        else
            sentence = g_strdup_printf(unplug ? _("Unplugged from guest %s: adapters %s, domains %s, control domains %s")
                                              : _("Plugged into guest %s: adapters %s, domains %s, control domains %s"),
                                       guest, *a ? a : "-", *d ? d : "-", *c ? c : "-");
    }
    return report_guest(g, report, sentence);
}

static int
cmd_plug(Globals *g, int argc, char **argv)
{
    return run_plug(g, "plug", FALSE, argc, argv);
}

static int
cmd_unplug(Globals *g, int argc, char **argv)
{
    return run_plug(g, "unplug", TRUE, argc, argv);
}

static int
cmd_guests(Globals *g, int argc, char **argv)
{
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GError) error = NULL;
    ApmHotplug hp;
    gboolean names_only = FALSE;

    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--name"))
            names_only = TRUE;
        else
            return usage_error(_("%s does not take '%s'"), "list", argv[i]);
    }
    if (!(guests = open_guests(g, &error)))
        return report_error(g, error, NULL);
    hotplug_init(g, &hp, guests);
    list = apm_hotplug_list(&hp, &error);
    if (!list)
        return report_error(g, error, NULL);
    if (names_only && !g->json) {
        /* one name a line, as virsh list --name (for scripts and completion) */
        for (guint i = 0; i < list->len; i++)
            printf("%s\n", ((const ApmGuestReport *) g_ptr_array_index(list, i))->guest);
        return EXIT_OK;
    }
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_array(b);
        for (guint i = 0; i < list->len; i++) {
            const ApmGuestReport *r = g_ptr_array_index(list, i);
            char uuid[APM_UUID_TEXT_LEN + 1];

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "guest");
            json_builder_add_string_value(b, r->guest);
            json_builder_set_member_name(b, "mdev");
            if (!apm_uuid_equal(&r->uuid, &(ApmUuid) { 0 })) {
                ApmHostdev h = { r->uuid, NULL, 0 };
                g_autofree char *arg = apm_hostdev_qemu_arg(&h);

                json_builder_add_string_value(b, apm_uuid_format(&r->uuid, uuid));
                /* how a QEMU without libvirt is given it */
                json_builder_set_member_name(b, "qemu_device");
                json_builder_add_string_value(b, arg);
            } else {
                json_builder_add_null_value(b);
            }
            json_builder_set_member_name(b, "running");
            json_builder_add_boolean_value(b, r->running);
            json_builder_set_member_name(b, "active");
            json_builder_add_boolean_value(b, r->has_mdev);
            json_builder_set_member_name(b, "started_on_demand");
            json_builder_add_boolean_value(b, r->started_on_demand);
            add_apqns(b, "guest_matrix", &r->guest_matrix);
            {
                g_autofree char *cd = apm_mask_format_list(&r->guest_matrix.control_domains, APM_LIST_HEX);

                json_builder_set_member_name(b, "control_domains");
                json_builder_add_string_value(b, cd);
            }
            add_strings(b, "filtered", r->filtered);
            json_builder_set_member_name(b, "problem");
            if (r->problem)
                json_builder_add_string_value(b, r->problem);
            else
                json_builder_add_null_value(b);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        print_json(b);
        return EXIT_OK;
    }
    printf(" %-20s %-36s  %s\n", _("Guest"), _("mdev"), _("APQNs (control domains)"));
    printf("%s\n", "-------------------------------------------------------------------------------");
    for (guint i = 0; i < list->len; i++) {
        const ApmGuestReport *r = g_ptr_array_index(list, i);
        char uuid[APM_UUID_TEXT_LEN + 1];
        g_autofree char *apqns = apqn_line(&r->guest_matrix);
        g_autofree char *cd = apm_mask_format_list(&r->guest_matrix.control_domains, APM_LIST_HEX);
        gboolean has = !apm_uuid_equal(&r->uuid, &(ApmUuid) { 0 });

        if (r->problem)
            printf(" %-20s %-36s  %s\n", r->guest, "?", _("(not answering)"));
        else if (has && r->has_mdev)
            printf(" %-20s %-36s  %s (%s)\n", r->guest, apm_uuid_format(&r->uuid, uuid),
                   *apqns ? apqns : _("no queues"), *cd ? cd : "-");
        else if (has)
            printf(" %-20s %-36s  %s\n", r->guest, apm_uuid_format(&r->uuid, uuid),
                   r->running ? _("(mdev not active)") : _("(not running)"));
        else
            printf(" %-20s %-36s  %s\n", r->guest, "-", _("(no vfio-ap device)"));
        for (guint k = 0; k < r->filtered->len; k++)
            printf("   %s\n", (char *) g_ptr_array_index(r->filtered, k));
        if (r->problem)
            printf("   %s\n", r->problem);
    }
    return EXIT_OK;
}

static int
cmd_destroy(Globals *g, int argc, char **argv)
{
    const char *name = NULL;
    gboolean force = FALSE;
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL, *nodedev = NULL;
    ApmHotplug hp;

    for (int i = 0; i < argc; i++) {
        if (g_str_equal(argv[i], "--force"))
            force = TRUE;
        else if (g_str_equal(argv[i], "--device") && i + 1 < argc && !name)
            name = argv[++i];
        else if (!is_option(argv[i]) && !name)
            name = argv[i];
        else
            return usage_error(_("%s does not take '%s'"), "nodedev-destroy", argv[i]);
    }
    if (!name)
        return usage_error(_("%s needs a device name"), "nodedev-destroy");
    /* the guests are asked when a back-end is there; without one, the kernel's "in use" and libvirt's status
     * files still stop a destroy under a guest, and --force needs the back-end to detach */
    guests = open_guests(g, force ? &error : NULL);
    if (force && !guests)
        return report_guest_error(g, error, report);
    hotplug_init(g, &hp, guests);
    if (!apm_hotplug_destroy(&hp, name, force, report, &error))
        return report_guest_error(g, error, report);
    nodedev = apm_nodedev_mdev_name(&report->uuid);
    sentence = done_sentence("nodedev-destroy", nodedev, NULL);
    {
        g_autoptr(ApmOutcome) outcome = apm_outcome_new();

        outcome->name = g_steal_pointer(&nodedev);
        for (guint i = 0; i < report->warnings->len; i++)
            g_ptr_array_add(outcome->warnings, g_strdup(g_ptr_array_index(report->warnings, i)));
        for (guint i = 0; i < report->differences->len; i++)
            g_ptr_array_add(outcome->differences, g_strdup(g_ptr_array_index(report->differences, i)));
        return report_done(g, outcome, sentence);
    }
}

static const Command commands[] = {
    { "nodedev-list", cmd_list, N_("[--cap CAP[,CAP...]] [--all | --inactive]") },
    { "nodedev-dumpxml", cmd_dumpxml, N_("NAME [--inactive] | --all [--cap CAP[,CAP...]]") },
    { "nodedev-info", cmd_info, N_("NAME") },
    { "nodedev-define", cmd_define, N_("FILE") },
    { "nodedev-create", cmd_create, N_("FILE") },
    { "nodedev-start", cmd_start, N_("NAME") },
    { "nodedev-destroy", cmd_destroy, N_("NAME [--force]") },
    { "nodedev-undefine", cmd_undefine, N_("NAME") },
    { "nodedev-update", cmd_update, N_("NAME FILE [--live] [--config] [--current]") },
    { "nodedev-autostart", cmd_autostart, N_("NAME [--disable]") },
    { "attach-device", cmd_attach, N_("GUEST FILE [--live] [--config] [--current] [--persistent]") },
    { "detach-device", cmd_detach, N_("GUEST [FILE] [--live] [--config] [--current] [--persistent]") },
    { "plug", cmd_plug, N_("GUEST [--adapter LIST] [--domain LIST] [--control-domain LIST] [--take-from-host] [--live] [--config] [--current] [--persistent]") },
    { "unplug", cmd_unplug, N_("GUEST [--adapter LIST] [--domain LIST] [--control-domain LIST] [--live] [--config] [--current] [--persistent]") },
    { "list", cmd_guests, N_("[--name]") },
    { "matrix", cmd_matrix, N_("[--format text|json|svg] [--all] [--guest GUEST | --mdev UUID] [--color WHEN]") },
    { "mask", cmd_mask, N_("[--apmask SPEC] [--aqmask SPEC] [--persistent] [--dry-run]") },
    { "check", cmd_check, "" },
};

static void
print_help(void)
{
    printf("%s\n\n", _("Usage: apmatrix [OPTIONS] COMMAND [ARGS...] [OPTIONS]"));
    printf("%s\n\n", _("The IBM Z AP crypto matrix as libvirt's node devices, every change checked first."));
    printf("%s\n", _("Commands:"));
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        printf("  %-18s %s\n", commands[i].name, _(commands[i].usage));
    printf("\n%s\n", _("Options:"));
    printf("  %-24s %s\n", "--root DIR", _("the host's root (default: $APMATRIX_ROOT, else /)"));
    printf("  %-24s %s\n", "--json", _("print results and errors as JSON"));
    printf("  %-24s %s\n", "--lock-timeout SECONDS", _("wait at most this long for the host config lock (100)"));
    printf("  %-24s %s\n", "--connect URI", _("the guests are libvirt's at URI (default: $APMATRIX_CONNECT)"));
    printf("  %-24s %s\n", "--qmp-dir DIR", _("the guests are QEMUs with monitors DIR/NAME.sock ($APMATRIX_QMP_DIR)"));
    printf("  %-24s %s\n", "--unplug-timeout SECONDS", _("wait at most this long for DEVICE_DELETED (5)"));
    printf("\n%s\n", _("Exit codes: 0 done, 1 failed, 2 usage, 3 invalid input, 4 refused, 5 not found, "
                       "6 lock not taken, 7 done but the kernel differs from the plan. See apmatrix(1)."));
}

/* A global option at argv[*i] (before or after the command, as with virsh): TRUE when it was one, with *i at its
 * last word; *code is set when it cannot be taken (a usage error, or --help/--version done) */
static gboolean
global_option(Globals *g, int argc, char **argv, int *i, int *code)
{
    const char *arg = argv[*i];
    const char *value = NULL;
    static const char *const with_value[] = { "--root", "--lock-timeout", "--unplug-timeout", "--connect",
                                              "--qmp-dir" };
    const char *name = NULL;

    *code = -1;
    if (g_str_equal(arg, "--json")) {
        g->json = TRUE;
        return TRUE;
    }
    for (guint k = 0; k < G_N_ELEMENTS(with_value) && !name; k++) {
        gsize len = strlen(with_value[k]);

        if (g_str_equal(arg, with_value[k])) {
            name = with_value[k];
            if (*i + 1 >= argc) {
                *code = usage_error(_("%s needs a value"), name);
                return TRUE;
            }
            value = argv[++*i];
        } else if (g_str_has_prefix(arg, with_value[k]) && arg[len] == '=') {
            name = with_value[k];
            value = arg + len + 1;
        }
    }
    if (!name)
        return FALSE;
    if (g_str_equal(name, "--root")) {
        g->root_option = value;
    } else if (g_str_equal(name, "--lock-timeout")) {
        char *end;
        double seconds = g_ascii_strtod(value, &end);

        if (!*value || *end || !(seconds >= 0 && seconds <= 3600))
            *code = usage_error(_("--lock-timeout takes seconds from 0 to 3600, not '%s'"), value);
        else
            g->exec.lock_timeout_ms = (guint) (seconds * 1000);
    } else if (g_str_equal(name, "--unplug-timeout")) {
        char *end;
        double seconds = g_ascii_strtod(value, &end);

        if (!*value || *end || !(seconds > 0 && seconds <= 3600))
            *code = usage_error(_("--unplug-timeout takes seconds above 0 up to 3600, not '%s'"), value);
        else
            g->unplug_timeout_ms = (guint) (seconds * 1000);
    } else if (g_str_equal(name, "--connect")) {
        g->connect = value;
    } else {
        g->qmp_dir = value;
    }
    return TRUE;
}

int
main(int argc, char **argv)
{
    Globals g = { 0 };
    int i;
    int code;

    apm_i18n_init();
    apm_exec_options_init(&g.exec);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h")) {
            print_help();
            return EXIT_OK;
        } else if (g_str_equal(argv[i], "--version")) {
            printf("apmatrix %s\n", PACKAGE_VERSION);
            return EXIT_OK;
        } else if (global_option(&g, argc, argv, &i, &code)) {
            if (code >= 0)
                return code;
        } else {
            return usage_error(_("Unknown option '%s'"), argv[i]);
        }
    }
    if (i >= argc)
        return usage_error("%s", _("No command given"));
    for (guint k = 0; k < G_N_ELEMENTS(commands); k++) {
        g_autoptr(GPtrArray) rest = NULL;

        if (!g_str_equal(argv[i], commands[k].name))
            continue;
        /* global options may follow the command too, as with virsh */
        rest = g_ptr_array_new();
        for (int j = i + 1; j < argc; j++) {
            if (global_option(&g, argc, argv, &j, &code)) {
                if (code >= 0)
                    return code;
            } else {
                g_ptr_array_add(rest, argv[j]);
            }
        }
        g_ptr_array_add(rest, NULL);
        for (guint j = 0; j + 1 < rest->len; j++) {
            const char *arg = g_ptr_array_index(rest, j);

            if (g_str_equal(arg, "--help") || g_str_equal(arg, "-h")) {
                printf(_("Usage: apmatrix [OPTIONS] %s %s\n"), commands[k].name, _(commands[k].usage));
                printf("%s\n", _("See apmatrix(1) for what it does and for the global options."));
                return EXIT_OK;
            }
        }
        g.root = apm_root_resolve(g.root_option);
        code = commands[k].run(&g, (int) rest->len - 1, (char **) rest->pdata);
        g_free(g.root);
        return code;
    }
    return usage_error(_("Unknown command '%s'"), argv[i]);
}
