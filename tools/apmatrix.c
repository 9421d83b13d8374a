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
#include "apm-pool.h"
#include "apmatrix.h"
#include "apmatrix-cmd.h"

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
    case APM_ERROR_PEER_TIMEOUT:
        return "peer-timeout";
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
    case APM_ERROR_PEER_TIMEOUT:
        return EXIT_PEER;
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

    if (!host) {
        *code = report_error(g, error, NULL);
        return NULL;
    }
    /* what could not be read is said, not shown as zeros or as "the same as the live masks" */
    for (guint i = 0; !g->problems_as_findings && host->problems && i < host->problems->len; i++)
        g_printerr(_("apmatrix: warning: %s\n"), (const char *) g_ptr_array_index(host->problems, i));
    return host;
}

ApmHost *
read_host(const Globals *g, int *code)
{
    return read_host_detail(g, APM_HOST_READ_FULL, code);
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
cmd_list(Globals *g, const ApmArgs *args)
{
    ApmCapFlags caps = 0;
    ApmListState state = apm_args_bool(args, "all")        ? APM_LIST_ALL
                         : apm_args_bool(args, "inactive") ? APM_LIST_INACTIVE
                                                           : APM_LIST_ACTIVE;
    const GPtrArray *cap_values = apm_args_strings(args, "cap");
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GPtrArray) devices = NULL;
    g_autoptr(GError) error = NULL;
    int code = EXIT_OK;

    for (guint i = 0; i < cap_values->len; i++)
        if ((code = add_caps(g_ptr_array_index(cap_values, i), &caps)) != EXIT_OK)
            return code;
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

/* nodedev-dumpxml --all [--cap CAP,...]: every active device's XML, one after the other (what a loop of
 * virsh nodedev-dumpxml over virsh nodedev-list prints, in one process) */
static int
dump_all(Globals *g, const ApmArgs *args)
{
    ApmCapFlags caps = 0;
    const GPtrArray *cap_values = apm_args_strings(args, "cap");
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GPtrArray) devices = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    int code = EXIT_OK;

    for (guint i = 0; i < cap_values->len; i++)
        if ((code = add_caps(g_ptr_array_index(cap_values, i), &caps)) != EXIT_OK)
            return code;
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
cmd_dumpxml(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "device");
    gboolean inactive = apm_args_bool(args, "inactive");
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmNodeDevDef) def = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    int code;

    if (apm_args_bool(args, "all"))
        return dump_all(g, args);
    if (!name)
        return usage_error("%s", _("nodedev-dumpxml needs a device name, or --all"));
    if (apm_args_strings(args, "cap")->len)
        return usage_error("%s", _("--cap goes with --all"));
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
cmd_info(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "device");
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmNodeDevDef) def = NULL;
    g_autoptr(GError) error = NULL;
    const ApmMdevInfo *m = NULL;
    const ApmStoredDef *d = NULL;
    g_autofree char *matrix = NULL, *guest_matrix = NULL;
    int code;

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
void
print_outcome(const ApmOutcome *outcome, const char *sentence)
{
    for (guint i = 0; i < outcome->warnings->len; i++)
        g_printerr(_("apmatrix: warning: %s\n"), (char *) g_ptr_array_index(outcome->warnings, i));
    printf("%s\n", sentence);
    for (guint i = 0; i < outcome->differences->len; i++)
        g_printerr(_("apmatrix: the kernel differs from the plan: %s\n"),
                   (char *) g_ptr_array_index(outcome->differences, i));
}

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
        print_outcome(outcome, sentence);
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

/* The node-device document of FILE ("-": standard input), named for messages */
static char *
read_document(const ApmArgs *args, ApmXmlInput *input, GError **error)
{
    const char *file = apm_args_string(args, "file");
    char *xml = read_input(file, &input->length, error);

    input->xml = xml;
    input->source = g_str_equal(file, "-") ? _("standard input") : file;
    input->validate = apm_args_bool(args, "validate");
    return xml;
}

static int
run_file_op(Globals *g, const char *command, const ApmArgs *args, FileOp op)
{
    const char *file = apm_args_string(args, "file");
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL, *sentence = NULL;
    ApmXmlInput input = { 0 };

    xml = read_document(args, &input, &error);
    if (!xml || !op(g->root, &input, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = done_sentence(command, outcome->name, file);
    return report_done(g, outcome, sentence);
}

static int
cmd_define(Globals *g, const ApmArgs *args)
{
    return run_file_op(g, "nodedev-define", args, apm_nodedev_define);
}

static int
cmd_create(Globals *g, const ApmArgs *args)
{
    return run_file_op(g, "nodedev-create", args, apm_nodedev_create);
}

typedef gboolean (*NameOp)(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                           GError **error);

static int
run_name_op(Globals *g, const char *command, const ApmArgs *args, NameOp op)
{
    const char *name = apm_args_string(args, "device");
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;

    if (!op(g->root, name, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = done_sentence(command, outcome->name, NULL);
    return report_done(g, outcome, sentence);
}

static int
cmd_start(Globals *g, const ApmArgs *args)
{
    return run_name_op(g, "nodedev-start", args, apm_nodedev_start);
}

static int
cmd_undefine(Globals *g, const ApmArgs *args)
{
    return run_name_op(g, "nodedev-undefine", args, apm_nodedev_undefine);
}

static int
cmd_update(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "device"), *file = apm_args_string(args, "file");
    ApmUpdateFlags flags = (apm_args_bool(args, "live") ? APM_UPDATE_LIVE : 0) |
                           (apm_args_bool(args, "config") ? APM_UPDATE_CONFIG : 0);
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL, *sentence = NULL;
    ApmXmlInput input = { 0 };

    xml = read_document(args, &input, &error);
    if (!xml || !apm_nodedev_update(g->root, name, &input, flags, &g->exec, outcome, &error))
        return report_error(g, error, outcome);
    sentence = done_sentence("nodedev-update", outcome->name, file);
    return report_done(g, outcome, sentence);
}

static int
cmd_autostart(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "device");
    gboolean disable = apm_args_bool(args, "disable");
    g_autoptr(ApmOutcome) outcome = apm_outcome_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;

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
    return apm_matrix_format_apqns_line(m);
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

/* --live, --config, --persistent (both) as guest flags; none of them (or --current) is 0 */
static ApmGuestFlags
guest_flags(const ApmArgs *args)
{
    gboolean persistent = apm_args_bool(args, "persistent");

    return (apm_args_bool(args, "live") || persistent ? APM_GUEST_LIVE : 0) |
           (apm_args_bool(args, "config") || persistent ? APM_GUEST_CONFIG : 0);
}

static ApmHostdev *
read_hostdev(const ApmArgs *args, GError **error)
{
    const char *file = apm_args_string(args, "file");
    gsize length = 0;
    g_autofree char *xml = read_input(file, &length, error);

    return xml ? apm_hostdev_parse(xml, length, g_str_equal(file, "-") ? _("standard input") : file,
                                   apm_args_bool(args, "validate"), error)
               : NULL;
}

static int
cmd_attach(Globals *g, const ApmArgs *args)
{
    const char *guest = apm_args_string(args, "domain");
    ApmGuestFlags flags = guest_flags(args);
    g_autoptr(ApmHostdev) hostdev = NULL;
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;
    ApmHotplug hp;
    char uuid[APM_UUID_TEXT_LEN + 1];

    hostdev = read_hostdev(args, &error);
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
cmd_detach(Globals *g, const ApmArgs *args)
{
    const char *guest = apm_args_string(args, "domain");
    ApmGuestFlags flags = guest_flags(args);
    g_autoptr(ApmHostdev) hostdev = NULL;
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;
    ApmHotplug hp;
    char uuid[APM_UUID_TEXT_LEN + 1];

    if (apm_args_string(args, "file") && !(hostdev = read_hostdev(args, &error)))
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
run_plug(Globals *g, gboolean unplug, const ApmArgs *args)
{
    const char *guest = apm_args_string(args, "guest");
    static const char *const names[] = { "adapter", "domain", "control-domain" };
    static const char *const what[] = { N_("adapter"), N_("domain"), N_("control domain") };
    ApmMatrix change;
    ApmPlugFlags flags = (apm_args_bool(args, "take-from-host") ? APM_PLUG_TAKE_FROM_HOST : 0) |
                         (apm_args_bool(args, "live") || apm_args_bool(args, "persistent") ? APM_PLUG_LIVE : 0) |
                         (apm_args_bool(args, "config") || apm_args_bool(args, "persistent") ? APM_PLUG_CONFIG : 0);
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL;
    ApmHotplug hp;

    apm_matrix_clear(&change);
    for (guint k = 0; k < G_N_ELEMENTS(names); k++) {
        ApmMask *masks[] = { &change.adapters, &change.domains, &change.control_domains };
        const GPtrArray *values = apm_args_strings(args, names[k]);

        for (guint i = 0; i < values->len; i++) {
            ApmMask ids;

            if (!apm_mask_parse_list(g_ptr_array_index(values, i), 255, _(what[k]), &ids, &error))
                return report_guest_error(g, error, report);
            apm_mask_or(masks[k], masks[k], &ids);
        }
    }
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
cmd_plug(Globals *g, const ApmArgs *args)
{
    return run_plug(g, FALSE, args);
}

static int
cmd_unplug(Globals *g, const ApmArgs *args)
{
    return run_plug(g, TRUE, args);
}

static int
cmd_guests(Globals *g, const ApmArgs *args)
{
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(GPtrArray) list = NULL;
    g_autoptr(GError) error = NULL;
    ApmHotplug hp;
    gboolean names_only = apm_args_bool(args, "name");

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
cmd_destroy(Globals *g, const ApmArgs *args)
{
    const char *name = apm_args_string(args, "device");
    gboolean force = apm_args_bool(args, "force");
    g_autoptr(ApmGuests) guests = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    g_autoptr(GError) error = NULL;
    g_autofree char *sentence = NULL, *nodedev = NULL;
    ApmHotplug hp;

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

/* ---- the command table ---------------------------------------------------------------------------------- */

static const char *const cap_names[] = { "ap_card", "ap_queue", "ap_matrix", "mdev", "mdev_types", NULL };
static const char *const format_names[] = { "text", "json", "svg", NULL };
static const char *const color_names[] = { "auto", "always", "never", NULL };

#define OPT_DEVICE                                                                                                \
    { "device", APM_OPT_STRING, APM_OPT_POSITIONAL | APM_OPT_REQUIRED, N_("NAME"),                                  \
      N_("the node device: a name of nodedev-list (an mdev also by its UUID)"), APM_COMPLETE_NODEDEV }
#define OPT_FILE(flags)                                                                                           \
    { "file", APM_OPT_STRING, APM_OPT_POSITIONAL | (flags), N_("FILE"),                                            \
      N_("the XML document ('-': standard input)"), APM_COMPLETE_FILE }
#define OPT_VALIDATE                                                                                              \
    { "validate", APM_OPT_BOOL, 0, NULL, N_("check the XML against libvirt's RelaxNG schema first") }
/* --live, --config, --current: which state changes, as virsh has them */
#define OPT_LIVE_CONFIG(live_help, current_help)                                                                  \
    { "live", APM_OPT_BOOL, 0, NULL, live_help },                                                                  \
    { "config", APM_OPT_BOOL, 0, NULL, N_("the persistent definition") },                                          \
    { "current", APM_OPT_BOOL, 0, NULL, current_help, .conflicts = "live config persistent" }
#define OPT_LIVE_CONFIG_MDEV                                                                                      \
    OPT_LIVE_CONFIG(N_("the running mdev"), N_("the running mdev when it is active, else its definition (default)"))
#define OPT_LIVE_CONFIG_GUEST                                                                                     \
    OPT_LIVE_CONFIG(N_("the running guest"), N_("the running guest when it runs, else its definition (default)"))
#define OPT_LIVE_CONFIG_PLUG                                                                                      \
    OPT_LIVE_CONFIG(N_("the running guest's mdev"), N_("the running guest's mdev, as --live (the default)"))
#define OPT_PERSISTENT { "persistent", APM_OPT_BOOL, 0, NULL, N_("both --live and --config") }
#define OPT_GUEST(name)                                                                                           \
    { name, APM_OPT_STRING, APM_OPT_POSITIONAL | APM_OPT_REQUIRED, N_("GUEST"), N_("the guest (domain) name"),     \
      APM_COMPLETE_GUEST }
#define OPT_IDS(name, help) { name, APM_OPT_STRING, APM_OPT_REPEAT, N_("LIST"), help }
#define OPT_CAP                                                                                                   \
    { "cap", APM_OPT_STRING, APM_OPT_REPEAT, N_("CAP[,CAP...]"),                                                   \
      N_("only devices of these capabilities: ap_card, ap_queue, ap_matrix, mdev, mdev_types"),                   \
      APM_COMPLETE_CHOICES, cap_names }

static const ApmOptDef list_opts[] = {
    OPT_CAP,
    { "all", APM_OPT_BOOL, 0, NULL, N_("defined mdevs that are not active too"), .conflicts = "inactive" },
    { "inactive", APM_OPT_BOOL, 0, NULL, N_("only defined mdevs that are not active") },
    { NULL },
};
static const ApmOptDef dumpxml_opts[] = {
    { "device", APM_OPT_STRING, APM_OPT_POSITIONAL, N_("NAME"),
      N_("the node device: a name of nodedev-list (an mdev also by its UUID)"), APM_COMPLETE_NODEDEV },
    { "inactive", APM_OPT_BOOL, 0, NULL, N_("an mdev's persistent definition") },
    { "all", APM_OPT_BOOL, 0, NULL, N_("every active device, one document after the other"),
      .conflicts = "device inactive" },
    OPT_CAP,
    { NULL },
};
static const ApmOptDef device_opts[] = { OPT_DEVICE, { NULL } };
static const ApmOptDef file_opts[] = { OPT_FILE(APM_OPT_REQUIRED), OPT_VALIDATE, { NULL } };
static const ApmOptDef destroy_opts[] = {
    OPT_DEVICE,
    { "force", APM_OPT_BOOL, 0, NULL, N_("detach it from its guest first") },
    { NULL },
};
static const ApmOptDef update_opts[] = {
    OPT_DEVICE, OPT_FILE(APM_OPT_REQUIRED), OPT_LIVE_CONFIG_MDEV, OPT_VALIDATE, { NULL },
};
static const ApmOptDef autostart_opts[] = {
    OPT_DEVICE,
    { "disable", APM_OPT_BOOL, 0, NULL, N_("no longer start it at boot") },
    { NULL },
};
static const ApmOptDef attach_opts[] = {
    OPT_GUEST("domain"), OPT_FILE(APM_OPT_REQUIRED), OPT_LIVE_CONFIG_GUEST, OPT_PERSISTENT, OPT_VALIDATE, { NULL },
};
static const ApmOptDef detach_opts[] = {
    OPT_GUEST("domain"), OPT_FILE(0), OPT_LIVE_CONFIG_GUEST, OPT_PERSISTENT, OPT_VALIDATE, { NULL },
};
#define PLUG_OPTS                                                                                                 \
    OPT_GUEST("guest"), OPT_IDS("adapter", N_("adapters: IDs and ranges, 5,0x47,10-12")),                          \
        OPT_IDS("domain", N_("usage domains")), OPT_IDS("control-domain", N_("control domains"))
static const ApmOptDef plug_opts[] = {
    PLUG_OPTS,
    { "take-from-host", APM_OPT_BOOL, 0, NULL, N_("free APQNs the host's default drivers hold first") },
    OPT_LIVE_CONFIG_PLUG,
    OPT_PERSISTENT,
    { NULL },
};
static const ApmOptDef unplug_opts[] = { PLUG_OPTS, OPT_LIVE_CONFIG_PLUG, OPT_PERSISTENT, { NULL } };
static const ApmOptDef guests_opts[] = {
    { "name", APM_OPT_BOOL, 0, NULL, N_("only the guests' names, one a line") },
    { NULL },
};
static const ApmOptDef matrix_opts[] = {
    { "format", APM_OPT_CHOICE, 0, N_("FORMAT"), N_("text, json or svg"), APM_COMPLETE_CHOICES, format_names },
    { "all", APM_OPT_BOOL, 0, NULL, N_("every ID up to the host's maximum") },
    { "guest", APM_OPT_STRING, 0, N_("GUEST"), N_("only the adapters and domains of this guest's mdev"),
      APM_COMPLETE_GUEST, .conflicts = "mdev" },
    { "mdev", APM_OPT_STRING, 0, N_("UUID"), N_("only those of this mdev"), APM_COMPLETE_MDEV },
    { "color", APM_OPT_CHOICE, 0, N_("WHEN"), N_("auto, always or never"), APM_COMPLETE_CHOICES, color_names,
      .alias = "colour" },
    { NULL },
};
static const ApmOptDef mask_opts[] = {
    { "apmask", APM_OPT_STRING, 0, N_("SPEC"), N_("change the adapter mask (the kernel's syntaxes)") },
    { "aqmask", APM_OPT_STRING, 0, N_("SPEC"), N_("change the usage domain mask") },
    { "persistent", APM_OPT_BOOL, 0, NULL, N_("also /etc/udev/rules.d/41-ap.rules, as chzdev writes it") },
    { "dry-run", APM_OPT_BOOL, 0, NULL, N_("show what would change, write nothing") },
    { NULL },
};
static const ApmOptDef complete_opts[] = {
    { "words", APM_OPT_STRING, APM_OPT_POSITIONAL | APM_OPT_REPEAT, N_("WORD"),
      N_("the command line after 'apmatrix', the word to complete last") },
    { NULL },
};

#define OPT_POOL                                                                                                  \
    { "pool", APM_OPT_STRING, APM_OPT_POSITIONAL | APM_OPT_REQUIRED, N_("NAME"), N_("the pool's name"),              \
      APM_COMPLETE_POOL }
#define OPT_COUNT(help) { "count", APM_OPT_STRING, 0, N_("N"), help }
static const ApmOptDef pool_define_opts[] = {
    OPT_POOL,
    { "adapter", APM_OPT_STRING, APM_OPT_REPEAT | APM_OPT_REQUIRED, N_("LIST"),
      N_("the pool's adapters: IDs and ranges, 5,0x47,10-12") },
    { "domain", APM_OPT_STRING, APM_OPT_REPEAT | APM_OPT_REQUIRED, N_("LIST"), N_("the pool's usage domains") },
    { "shape", APM_OPT_STRING, 0, N_("AxD"), N_("adapters x domains of each member (1x1)") },
    OPT_COUNT(N_("carve this many members (default: as many as fit)")),
    { "control-domains", APM_OPT_BOOL, 0, NULL, N_("each member's usage domains are its control domains too") },
    { NULL },
};
static const ApmOptDef pool_name_opts[] = { OPT_POOL, { NULL } };
static const ApmOptDef pool_grow_opts[] = {
    OPT_POOL,
    { "adapter", APM_OPT_STRING, APM_OPT_REPEAT, N_("LIST"), N_("adapters the pool gains") },
    { "domain", APM_OPT_STRING, APM_OPT_REPEAT, N_("LIST"), N_("usage domains the pool gains") },
    OPT_COUNT(N_("carve this many more members (default: as many as fit)")),
    { NULL },
};
static const ApmOptDef pool_shrink_opts[] = {
    OPT_POOL,
    OPT_COUNT(N_("remove this many members that no guest uses, the last carved first")),
    { "member", APM_OPT_STRING, APM_OPT_REPEAT, N_("UUID"), N_("remove this member (repeatable)"), APM_COMPLETE_MDEV,
      .conflicts = "count" },
    { NULL },
};
static const ApmOptDef export_nova_opts[] = {
    { "output", APM_OPT_STRING, 0, N_("FILE"), N_("write it to FILE, atomically, instead of standard output"),
      APM_COMPLETE_FILE },
    { "inventories", APM_OPT_BOOL, 0, NULL,
      N_("an inventory CUSTOM_APMATRIX_POOL per pool, for a Nova without apmatrix's patches") },
    { NULL },
};

static int cmd_complete(Globals *g, const ApmArgs *args);

static const ApmCmdDef commands[] = {
    { "nodedev-list", cmd_list, list_opts, N_("Lists node device names, sorted.") },
    { "nodedev-dumpxml", cmd_dumpxml, dumpxml_opts, N_("Prints a device's XML as virsh nodedev-dumpxml does.") },
    { "nodedev-info", cmd_info, device_opts, N_("Prints what a device is, its state and, for an mdev, its matrix.") },
    { "nodedev-define", cmd_define, file_opts, N_("Defines a persistent mdev from node-device XML.") },
    { "nodedev-create", cmd_create, file_opts, N_("Creates and starts a transient mdev from node-device XML.") },
    { "nodedev-start", cmd_start, device_opts, N_("Starts a defined mdev, every rule checked first.") },
    { "nodedev-destroy", cmd_destroy, destroy_opts, N_("Removes an active mdev; its definition stays.") },
    { "nodedev-undefine", cmd_undefine, device_opts, N_("Removes an mdev's definition; an active mdev stays.") },
    { "nodedev-update", cmd_update, update_opts, N_("Gives an mdev the attributes of node-device XML.") },
    { "nodedev-autostart", cmd_autostart, autostart_opts, N_("Makes a defined mdev start at boot, or not.") },
    { "attach-device", cmd_attach, attach_opts, N_("Attaches the vfio-ap mdev of a hostdev XML to a guest.") },
    { "detach-device", cmd_detach, detach_opts, N_("Detaches a guest's vfio-ap device.") },
    { "plug", cmd_plug, plug_opts, N_("Adds adapters and domains to a guest's mdev.") },
    { "unplug", cmd_unplug, unplug_opts, N_("Takes adapters and domains from a guest's mdev.") },
    { "list", cmd_guests, guests_opts, N_("Lists the guests with their mdevs and the APQNs they really have.") },
    { "matrix", cmd_matrix, matrix_opts, N_("A map of who has each APQN.") },
    { "mask", cmd_mask, mask_opts, N_("Shows or changes the AP bus masks, apmask and aqmask.") },
    { "check", cmd_check, NULL, N_("Audits the whole host; each finding with its fix.") },
    { "pool define", cmd_pool_define, pool_define_opts,
      N_("Carves adapters and domains into a pool of started, autostarted mdevs of one shape.") },
    { "pool list", cmd_pool_list, NULL, N_("Lists the pools with their sizes and free members.") },
    { "pool show", cmd_pool_show, pool_name_opts, N_("Shows a pool's members, the guest of each, and how many are free.") },
    { "pool grow", cmd_pool_grow, pool_grow_opts, N_("Adds adapters, domains and members to a pool.") },
    { "pool shrink", cmd_pool_shrink, pool_shrink_opts, N_("Stops and undefines members of a pool that no guest uses.") },
    { "pool undefine", cmd_pool_undefine, pool_name_opts, N_("Removes a pool and its members; none may be in use.") },
    { "export nova", cmd_export_nova, export_nova_opts,
      N_("Prints a Nova provider configuration of the host's crypto traits and pools.") },
    { "complete", cmd_complete, complete_opts, N_("Completion candidates for the bash completion."), TRUE },
    { NULL },
};

static const ApmOptDef global_opts[] = {
    { "root", APM_OPT_STRING, 0, N_("DIR"), N_("the host's root (default: $APMATRIX_ROOT, else /)"),
      APM_COMPLETE_DIR },
    { "json", APM_OPT_BOOL, 0, NULL, N_("print results and errors as JSON") },
    { "lock-timeout", APM_OPT_SECONDS, 0, N_("SECONDS"), N_("wait at most this long for the host config lock (100)"),
      .min = 0, .max = 3600 },
    { "connect", APM_OPT_STRING, 0, N_("URI"), N_("the guests are libvirt's at URI (default: $APMATRIX_CONNECT)") },
    { "qmp-dir", APM_OPT_STRING, 0, N_("DIR"), N_("the guests are QEMUs with monitors DIR/NAME.sock ($APMATRIX_QMP_DIR)"),
      APM_COMPLETE_DIR },
    { "unplug-timeout", APM_OPT_SECONDS, APM_OPT_ABOVE_MIN, N_("SECONDS"),
      N_("wait at most this long for DEVICE_DELETED (5)"), .min = 0, .max = 3600 },
    { "help", APM_OPT_BOOL, 0, NULL, N_("this help; after a command, that command's") },
    { "version", APM_OPT_BOOL, 0, NULL, N_("the version") },
    { NULL },
};

/* The global options of a parsed command line, wherever they stood */
static void
globals_from_args(Globals *g, const ApmArgs *args)
{
    apm_exec_options_init(&g->exec);
    g->root_option = apm_args_string(args, "root");
    g->json = apm_args_bool(args, "json");
    g->connect = apm_args_string(args, "connect");
    g->qmp_dir = apm_args_string(args, "qmp-dir");
    if (apm_args_string(args, "lock-timeout"))
        g->exec.lock_timeout_ms = (guint) (apm_args_seconds(args, "lock-timeout", 0) * 1000);
    if (apm_args_string(args, "unplug-timeout"))
        g->unplug_timeout_ms = (guint) (apm_args_seconds(args, "unplug-timeout", 0) * 1000);
    g->root = apm_root_resolve(g->root_option);
}

/* ---- complete ------------------------------------------------------------------------------------------- */

/* What completion offers that apmatrix must look up: node devices, mdev UUIDs, guest names, asked of the host
 * and the back-end of the global options on the line */
static GPtrArray *
complete_names(ApmComplete kind, const ApmArgs *given)
{
    Globals g = { 0 };
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    globals_from_args(&g, given);
    if (kind == APM_COMPLETE_POOL) {
        g_autoptr(GPtrArray) pools = apm_pool_list(g.root, NULL);

        for (guint i = 0; i < pools->len; i++)
            g_ptr_array_add(out, g_strdup(((const ApmPool *) g_ptr_array_index(pools, i))->name));
    } else if (kind == APM_COMPLETE_GUEST) {
        g_autoptr(ApmGuests) guests = open_guests(&g, NULL);
        g_autoptr(GPtrArray) list = NULL;
        ApmHotplug hp;

        if (guests) {
            hotplug_init(&g, &hp, guests);
            list = apm_hotplug_list(&hp, NULL);
        }
        for (guint i = 0; list && i < list->len; i++)
            g_ptr_array_add(out, g_strdup(((const ApmGuestReport *) g_ptr_array_index(list, i))->guest));
    } else {
        ApmCapFlags caps = kind == APM_COMPLETE_MDEV ? apm_cap_from_name("mdev") : 0;
        g_autoptr(ApmHost) host = apm_devices_read_host(g.root, APM_HOST_READ_NAMES, caps, NULL, NULL);
        g_autoptr(GPtrArray) names = host ? apm_devices_list_names(host, caps, APM_LIST_ALL) : NULL;

        for (guint i = 0; names && i < names->len; i++) {
            const char *name = g_ptr_array_index(names, i);
            ApmUuid uuid;
            char text[APM_UUID_TEXT_LEN + 1];

            if (kind == APM_COMPLETE_NODEDEV)
                g_ptr_array_add(out, g_strdup(name));
            else if (apm_devices_mdev_uuid(name, &uuid))
                g_ptr_array_add(out, g_strdup(apm_uuid_format(&uuid, text)));
        }
    }
    g_free(g.root);
    return out;
}

/* complete -- WORDS...: the candidates for the last word, one a line (what virsh complete does for virsh's
 * completion) */
static int
cmd_complete(Globals *g, const ApmArgs *args)
{
    const GPtrArray *words = apm_args_strings(args, "words");
    g_autoptr(GPtrArray) candidates = NULL;
    g_autoptr(GPtrArray) copy = g_ptr_array_new();

    (void) g;
    for (guint i = 0; i < words->len; i++)
        g_ptr_array_add(copy, g_ptr_array_index(words, i));
    if (!copy->len)
        g_ptr_array_add(copy, "");
    candidates = apm_cmd_complete(commands, global_opts, (char **) copy->pdata, (int) copy->len, complete_names);
    for (guint i = 0; i < candidates->len; i++)
        printf("%s\n", (char *) g_ptr_array_index(candidates, i));
    return EXIT_OK;
}

int
main(int argc, char **argv)
{
    Globals g = { 0 };
    ApmCmdLine line = { 0 };
    int code;

    apm_i18n_init();
    code = apm_cmd_parse(commands, global_opts, argc, argv, &line);
    if (code < 0) {
        globals_from_args(&g, line.args);
        code = line.cmd->run(&g, line.args);
        g_free(g.root);
    }
    apm_cmd_line_clear(&line);
    return code;
}
