/* apsim-qmp-commands.c: what a QEMU front's monitor answers: one table of commands, from which query-commands is
 * made, so that a front claims exactly the commands it implements. The machine it describes is QEMU 7.2's
 * s390-ccw-virtio under TCG with a vfio-ap device, and "none" for libvirt's capability probe. */
#include "config.h"
#include "apsim-qmp-private.h"
#include "apsim-qemu-options.h"

#include <string.h>

typedef void (*CommandFunc)(ApsimClient *c, JsonNode *id, JsonObject *args);

static void
reply_builder(ApsimClient *c, JsonNode *id, JsonBuilder *b)
{
    apsim_client_reply(c, id, json_builder_get_root(b));
}

static void
reply_empty_list(ApsimClient *c, JsonNode *id)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_array(b);
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

static void
member_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value);
}

static void
member_bool(JsonBuilder *b, const char *name, gboolean value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_boolean_value(b, value);
}

static void
member_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

/* ---- the machine ------------------------------------------------------------------------------------------ */

/* QOM types a front has, with their parents: what qom-list-types lists and what device_add and -object take */
static const struct {
    const char *name;
    const char *parent;
    gboolean abstract;
} qom_types[] = {
    { "object", NULL, TRUE },
    { "device", "object", TRUE },
    { "ap-device", "device", TRUE },
    { "vfio-ap", "ap-device", FALSE },
    { "accel", "object", TRUE },
    { "tcg-accel", "accel", FALSE },
    { "machine", "object", TRUE },
    { "s390-ccw-machine", "machine", TRUE },
    { "s390-ccw-virtio-7.2-machine", "s390-ccw-machine", FALSE },
    { "none-machine", "machine", FALSE },
    { "secret", "object", FALSE },
    { "memory-backend", "object", TRUE },
    { "memory-backend-ram", "memory-backend", FALSE },
    { "memory-backend-file", "memory-backend", FALSE },
};

static gint
qom_type_index(const char *name)
{
    for (guint i = 0; name && i < G_N_ELEMENTS(qom_types); i++)
        if (g_str_equal(qom_types[i].name, name))
            return (gint) i;
    return -1;
}

static gboolean
qom_type_implements(guint i, const char *ancestor)
{
    for (gint k = (gint) i; k >= 0; k = qom_type_index(qom_types[k].parent))
        if (g_str_equal(qom_types[k].name, ancestor))
            return TRUE;
    return FALSE;
}

const char *
apsim_qmp_machine_canonical(const char *name)
{
    if (!name)
        return NULL;
    if (g_str_equal(name, "s390-ccw-virtio") || g_str_equal(name, "s390-ccw-virtio-7.2"))
        return "s390-ccw-virtio-7.2";
    if (g_str_equal(name, "none"))
        return "none";
    return NULL;
}

/* ---- commands ---------------------------------------------------------------------------------------------- */

static void cmd_query_commands(ApsimClient *c, JsonNode *id, JsonObject *args);

static void
cmd_qmp_capabilities(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    (void) args;
    apsim_client_error(c, id, "CommandNotFound", "Capabilities negotiation is already complete, command ignored");
}

static void
cmd_query_version(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const guint *v = c->front->version;

    (void) args;
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "qemu");
    json_builder_begin_object(b);
    member_int(b, "micro", v[2]);
    member_int(b, "minor", v[1]);
    member_int(b, "major", v[0]);
    json_builder_end_object(b);
    member_string(b, "package", "apsim");
    json_builder_end_object(b);
    reply_builder(c, id, b);
}

static void
cmd_query_target(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    (void) args;
    json_builder_begin_object(b);
    member_string(b, "arch", "s390x");
    json_builder_end_object(b);
    reply_builder(c, id, b);
}

/* TCG only: apsim has no KVM to offer */
static void
cmd_query_kvm(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    (void) args;
    json_builder_begin_object(b);
    member_bool(b, "enabled", FALSE);
    member_bool(b, "present", FALSE);
    json_builder_end_object(b);
    reply_builder(c, id, b);
}

/* No schema is published: libvirt then assumes none of the features it would read from one */
static void
cmd_query_qmp_schema(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    (void) args;
    reply_empty_list(c, id);
}

/* No named CPU models: the guest's CPU is TCG's, whatever -cpu says */
static void
cmd_query_cpu_definitions(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    (void) args;
    reply_empty_list(c, id);
}

static void
cmd_qom_list_types(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const char *implements = apsim_json_string(args, "implements");
    JsonNode *abstract_node = args ? json_object_get_member(args, "abstract") : NULL;
    gboolean abstract = abstract_node && JSON_NODE_HOLDS_VALUE(abstract_node) && json_node_get_boolean(abstract_node);

    json_builder_begin_array(b);
    for (guint i = 0; i < G_N_ELEMENTS(qom_types); i++) {
        if ((qom_types[i].abstract && !abstract) || (implements && !qom_type_implements(i, implements)))
            continue;
        json_builder_begin_object(b);
        member_string(b, "name", qom_types[i].name);
        if (qom_types[i].abstract)
            member_bool(b, "abstract", TRUE);
        if (qom_types[i].parent)
            member_string(b, "parent", qom_types[i].parent);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

static void
cmd_query_machines(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    (void) args;
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    member_string(b, "name", "s390-ccw-virtio-7.2");
    member_string(b, "alias", "s390-ccw-virtio");
    member_bool(b, "is-default", TRUE);
    member_int(b, "cpu-max", 248);
    member_bool(b, "hotpluggable-cpus", FALSE);
    member_bool(b, "numa-mem-supported", FALSE);
    member_bool(b, "deprecated", FALSE);
    member_string(b, "default-cpu-type", "qemu-s390x-cpu");
    member_string(b, "default-ram-id", "s390.ram");
    json_builder_end_object(b);
    json_builder_begin_object(b);
    member_string(b, "name", "none");
    member_int(b, "cpu-max", 1);
    member_bool(b, "hotpluggable-cpus", FALSE);
    member_bool(b, "numa-mem-supported", FALSE);
    member_bool(b, "deprecated", FALSE);
    json_builder_end_object(b);
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

/* The properties of the device a front implements; other types have none that apsim models */
static void
cmd_device_list_properties(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const char *type = apsim_json_string(args, "typename");
    gint i = qom_type_index(type);

    if (!type) {
        apsim_client_error(c, id, "GenericError", "Parameter 'typename' is missing");
        return;
    }
    if (i < 0 || !qom_type_implements((guint) i, "device")) {
        g_autofree char *desc = g_strdup_printf("Device '%s' not found", type);

        apsim_client_error(c, id, "DeviceNotFound", desc);
        return;
    }
    json_builder_begin_array(b);
    if (g_str_equal(type, "vfio-ap")) {
        json_builder_begin_object(b);
        member_string(b, "name", "sysfsdev");
        member_string(b, "type", "str");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

static void
cmd_qom_list_properties(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const char *type = apsim_json_string(args, "typename");

    if (!type) {
        apsim_client_error(c, id, "GenericError", "Parameter 'typename' is missing");
        return;
    }
    if (qom_type_index(type) < 0) {
        g_autofree char *desc = g_strdup_printf("Class '%s' not found", type);

        apsim_client_error(c, id, "GenericError", desc);
        return;
    }
    json_builder_begin_array(b);
    if (g_str_equal(type, "s390-ccw-virtio-7.2-machine")) {
        /* what apsim-qemu takes in -machine */
        static const char *const props[][2] = { { "usb", "bool" }, { "dump-guest-core", "bool" },
                                                { "memory-backend", "link<memory-backend>" } };

        for (guint i = 0; i < G_N_ELEMENTS(props); i++) {
            json_builder_begin_object(b);
            member_string(b, "name", props[i][0]);
            member_string(b, "type", props[i][1]);
            json_builder_end_object(b);
        }
    }
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

static const char *
run_state_name(ApsimRunState state)
{
    switch (state) {
    case APSIM_RUN_PRELAUNCH:
        return "prelaunch";
    case APSIM_RUN_RUNNING:
        return "running";
    case APSIM_RUN_PAUSED:
        return "paused";
    case APSIM_RUN_SHUTDOWN:
        return "shutdown";
    }
    return "running";
}

static void
cmd_query_status(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    (void) args;
    json_builder_begin_object(b);
    member_string(b, "status", run_state_name(c->front->state));
    member_bool(b, "singlestep", FALSE);
    member_bool(b, "running", c->front->state == APSIM_RUN_RUNNING);
    json_builder_end_object(b);
    reply_builder(c, id, b);
}

static void
cmd_cont(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    ApsimFront *f = c->front;

    (void) args;
    if (f->state == APSIM_RUN_SHUTDOWN) {
        apsim_client_error(c, id, "GenericError", "Resetting the Virtual Machine is required");
        return;
    }
    apsim_client_reply(c, id, NULL);
    if (f->state != APSIM_RUN_RUNNING) {
        f->state = APSIM_RUN_RUNNING;
        apsim_front_event(f, "RESUME", NULL);
    }
}

static void
cmd_stop(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    ApsimFront *f = c->front;

    (void) args;
    apsim_client_reply(c, id, NULL);
    if (f->state == APSIM_RUN_RUNNING) {
        f->state = APSIM_RUN_PAUSED;
        apsim_front_event(f, "STOP", NULL);
    }
}

/* The guest's OS has shut down after the ACPI-like request: QEMU stays, stopped, with -no-shutdown, else exits */
static gboolean
guest_shut_down(gpointer data)
{
    ApsimFront *f = data;

    f->powerdown_source = 0;
    apsim_front_event_shutdown(f, TRUE, "guest-shutdown");
    if (f->no_shutdown) {
        f->state = APSIM_RUN_SHUTDOWN;
        apsim_front_event(f, "STOP", NULL);
    } else if (f->owner) {
        apsim_front_end(f);
    } else {
        f->state = APSIM_RUN_SHUTDOWN;
    }
    return G_SOURCE_REMOVE;
}

static void
cmd_system_powerdown(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    ApsimFront *f = c->front;

    (void) args;
    apsim_client_reply(c, id, NULL);
    apsim_front_event(f, "POWERDOWN", NULL);
    /* a guest that runs answers the request after a moment; one that does not run cannot */
    if (f->state == APSIM_RUN_RUNNING && f->guest && !f->powerdown_source) {
        GSource *s = g_timeout_source_new(50);

        g_source_set_callback(s, guest_shut_down, f, NULL);
        f->powerdown_source = g_source_attach(s, f->qmp->context);
        g_source_unref(s);
    }
}

static void
cmd_quit(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    ApsimFront *f = c->front;

    (void) args;
    apsim_client_reply(c, id, NULL);
    if (f->owner) {
        apsim_front_event_shutdown(f, FALSE, "host-qmp-quit");
        apsim_front_end(f); /* the process exits */
        return;
    }
    /* a guest of the control interface stays known, stopped; stopped before the event says so, so that whoever
     * reads SHUTDOWN and then asks the host finds the guest stopped and its device closed */
    apsim_front_device_close(f, FALSE);
    f->state = APSIM_RUN_SHUTDOWN;
    apsim_guest_stop(f->qmp->host, f->guest, FALSE);
    apsim_front_event_shutdown(f, FALSE, "host-qmp-quit");
}

static void
cmd_query_migrate_capabilities(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    (void) args;
    json_builder_begin_array(b);
    json_builder_begin_object(b);
    member_string(b, "capability", "events");
    member_bool(b, "state", c->front->migrate_events);
    json_builder_end_object(b);
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

static void
cmd_migrate_set_capabilities(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    JsonNode *list = args ? json_object_get_member(args, "capabilities") : NULL;
    gboolean events = c->front->migrate_events;
    JsonArray *array;

    if (!list || !JSON_NODE_HOLDS_ARRAY(list)) {
        apsim_client_error(c, id, "GenericError", "Parameter 'capabilities' is missing");
        return;
    }
    array = json_node_get_array(list);
    for (guint i = 0; i < json_array_get_length(array); i++) {
        JsonNode *n = json_array_get_element(array, i);
        JsonObject *o = JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
        const char *name = apsim_json_string(o, "capability");
        JsonNode *state = o ? json_object_get_member(o, "state") : NULL;

        if (!name || !g_str_equal(name, "events")) {
            g_autofree char *desc = g_strdup_printf("Parameter 'capability' does not accept value '%s'",
                                                    name ? name : "");

            apsim_client_error(c, id, "GenericError", desc);
            return;
        }
        if (!state || !JSON_NODE_HOLDS_VALUE(state) || json_node_get_value_type(state) != G_TYPE_BOOLEAN) {
            apsim_client_error(c, id, "GenericError", "Parameter 'state' is missing");
            return;
        }
        events = json_node_get_boolean(state);
    }
    c->front->migrate_events = events;
    apsim_client_reply(c, id, NULL);
}

static void
cmd_query_chardev(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    GPtrArray *devs = c->front->chardevs;

    (void) args;
    json_builder_begin_array(b);
    for (guint i = 0; i + 1 < devs->len; i += 2) {
        json_builder_begin_object(b);
        member_bool(b, "frontend-open", TRUE);
        member_string(b, "filename", g_ptr_array_index(devs, i + 1));
        member_string(b, "label", g_ptr_array_index(devs, i));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

static void
cmd_query_cpus_fast(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    GArray *threads = c->front->vcpu_threads;

    (void) args;
    json_builder_begin_array(b);
    for (guint i = 0; c->front->guest && i < threads->len; i++) {
        g_autofree char *path = g_strdup_printf("/machine/unattached/device[%u]", i);

        json_builder_begin_object(b);
        member_int(b, "cpu-index", i);
        member_string(b, "qom-path", path);
        member_int(b, "thread-id", g_array_index(threads, gint64, i));
        json_builder_set_member_name(b, "props");
        json_builder_begin_object(b);
        member_int(b, "core-id", i);
        json_builder_end_object(b);
        member_string(b, "target", "s390x");
        member_string(b, "cpu-state", "operating");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

/* A front runs no background jobs (block jobs, migration) */
static void
cmd_query_jobs(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    (void) args;
    reply_empty_list(c, id);
}

/* A front has no disks */
/* The options apsim-qemu takes with key=value values, and their keys (apsim-qemu-options.c) */
static void
cmd_query_command_line_options(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const char *only = apsim_json_string(args, "option");
    const ApsimQemuOption *options;
    guint n;
    gboolean found = FALSE;

    options = apsim_qemu_options(&n);
    json_builder_begin_array(b);
    for (guint i = 0; i < n; i++) {
        if (!options[i].keys || (only && !g_str_equal(only, options[i].name)))
            continue;
        found = TRUE;
        json_builder_begin_object(b);
        member_string(b, "option", options[i].name);
        json_builder_set_member_name(b, "parameters");
        json_builder_begin_array(b);
        for (guint k = 0; options[i].keys[k]; k++) {
            json_builder_begin_object(b);
            member_string(b, "name", options[i].keys[k]);
            member_string(b, "type", "string");
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    if (only && !found) {
        g_autofree char *desc = g_strdup_printf("invalid option name: %s", only);

        apsim_client_error(c, id, "GenericError", desc);
        return;
    }
    reply_builder(c, id, b);
}

static void
cmd_query_block(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    (void) args;
    reply_empty_list(c, id);
}

static void
cmd_qom_list(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const char *path = apsim_json_string(args, "path");
    ApsimFront *f = c->front;

    if (!path || !g_str_equal(path, "/machine/peripheral")) {
        g_autofree char *desc = g_strdup_printf("Device '%s' not found", path ? path : "");

        apsim_client_error(c, id, "DeviceNotFound", desc);
        return;
    }
    json_builder_begin_array(b);
    if (f->device_id) {
        json_builder_begin_object(b);
        member_string(b, "name", f->device_id);
        member_string(b, "type", "child<vfio-ap>");
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

static void
cmd_qom_get(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    ApsimFront *f = c->front;
    const char *path = apsim_json_string(args, "path");
    const char *property = apsim_json_string(args, "property");
    g_autofree char *dev_path = f->device_id ? g_strdup_printf("/machine/peripheral/%s", f->device_id) : NULL;

    if (!path || !property) {
        apsim_client_error(c, id, "GenericError", path ? "Parameter 'property' is missing" : "Parameter 'path' is missing");
    } else if (!dev_path || !g_str_equal(path, dev_path)) {
        g_autofree char *desc = g_strdup_printf("Device '%s' not found", path);

        apsim_client_error(c, id, "DeviceNotFound", desc);
    } else if (g_str_equal(property, "sysfsdev") || g_str_equal(property, "type")) {
        g_autofree char *value = g_str_equal(property, "type") ? g_strdup("vfio-ap")
                                                               : g_strconcat(APSIM_SYSFSDEV_PREFIX, f->mdev, NULL);

        apsim_client_reply(c, id, json_node_init_string(json_node_alloc(), value));
    } else {
        g_autofree char *desc = g_strdup_printf("Property 'vfio-ap.%s' not found", property);

        apsim_client_error(c, id, "GenericError", desc);
    }
}

static void
cmd_device_add(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(GError) error = NULL;

    if (!apsim_front_device_add(c->front, apsim_json_string(args, "driver"), apsim_json_string(args, "sysfsdev"),
                                apsim_json_string(args, "id"), &error))
        apsim_client_error(c, id, "GenericError", error->message);
    else
        apsim_client_reply(c, id, NULL);
}

static void
cmd_device_del(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    ApsimFront *f = c->front;
    const char *dev = apsim_json_string(args, "id");

    if (!dev) {
        apsim_client_error(c, id, "GenericError", "Parameter 'id' is missing");
    } else if (!f->device_id || !g_str_equal(dev, f->device_id)) {
        g_autofree char *desc = g_strdup_printf("Device '%s' not found", dev);

        apsim_client_error(c, id, "DeviceNotFound", desc);
    } else if (f->unplug_pending) {
        g_autofree char *desc = g_strdup_printf("Device %s is already in the process of unplug", dev);

        apsim_client_error(c, id, "GenericError", desc);
    } else {
        apsim_client_reply(c, id, NULL);
        if (f->hang_unplug)
            f->unplug_pending = TRUE; /* the guest never acknowledges: the device stays */
        else
            apsim_front_device_close(f, TRUE);
    }
}

/* Sorted by name, as query-commands lists them */
static const struct {
    const char *name;
    CommandFunc func;
} commands[] = {
    { "cont", cmd_cont },
    { "device-list-properties", cmd_device_list_properties },
    { "device_add", cmd_device_add },
    { "device_del", cmd_device_del },
    { "migrate-set-capabilities", cmd_migrate_set_capabilities },
    { "qmp_capabilities", cmd_qmp_capabilities },
    { "qom-get", cmd_qom_get },
    { "qom-list", cmd_qom_list },
    { "qom-list-properties", cmd_qom_list_properties },
    { "qom-list-types", cmd_qom_list_types },
    { "query-block", cmd_query_block },
    { "query-chardev", cmd_query_chardev },
    { "query-command-line-options", cmd_query_command_line_options },
    { "query-commands", cmd_query_commands },
    { "query-cpu-definitions", cmd_query_cpu_definitions },
    { "query-cpus-fast", cmd_query_cpus_fast },
    { "query-jobs", cmd_query_jobs },
    { "query-kvm", cmd_query_kvm },
    { "query-machines", cmd_query_machines },
    { "query-migrate-capabilities", cmd_query_migrate_capabilities },
    { "query-named-block-nodes", cmd_query_block },
    { "query-qmp-schema", cmd_query_qmp_schema },
    { "query-status", cmd_query_status },
    { "query-target", cmd_query_target },
    { "query-version", cmd_query_version },
    { "quit", cmd_quit },
    { "stop", cmd_stop },
    { "system_powerdown", cmd_system_powerdown },
};

static void
cmd_query_commands(ApsimClient *c, JsonNode *id, JsonObject *args)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    (void) args;
    json_builder_begin_array(b);
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        json_builder_begin_object(b);
        member_string(b, "name", commands[i].name);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    reply_builder(c, id, b);
}

void
apsim_qmp_dispatch(ApsimClient *c, const char *cmd, JsonNode *id, JsonObject *args)
{
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (g_str_equal(commands[i].name, cmd)) {
            commands[i].func(c, id, args);
            return;
        }
    }
    {
        g_autofree char *desc = g_strdup_printf("The command %s has not been found", cmd);

        apsim_client_error(c, id, "CommandNotFound", desc);
    }
}
