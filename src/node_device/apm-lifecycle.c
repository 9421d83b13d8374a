/* apm-lifecycle.c: mdev lifecycle requests */
#include "config.h"
#include "apm-lifecycle.h"

#include <string.h>

#include "apm-devices.h"
#include "apm-error.h"
#include "apm-host.h"
#include "apm-i18n.h"
#include "apm-mdevctl.h"
#include "apm-nodedev.h"
#include "apm-planner.h"
#include "apm-store.h"

ApmOutcome *
apm_outcome_new(void)
{
    ApmOutcome *o = g_new0(ApmOutcome, 1);

    o->warnings = g_ptr_array_new_with_free_func(g_free);
    o->differences = g_ptr_array_new_with_free_func(g_free);
    return o;
}

void
apm_outcome_free(ApmOutcome *outcome)
{
    if (!outcome)
        return;
    g_free(outcome->name);
    g_ptr_array_unref(outcome->warnings);
    g_ptr_array_unref(outcome->differences);
    g_free(outcome);
}

/* A request's time under the host config lock (apm-exec.h) */
typedef ApmExecSession Session;

static gboolean
session_begin(Session *s, const char *root, const ApmExecOptions *options, ApmOutcome *outcome, GError **error)
{
    return apm_exec_session_begin(s, root, options, outcome->warnings, error);
}

static void
session_end(Session *s)
{
    apm_exec_session_end(s);
}

static void
set_name(ApmOutcome *outcome, const ApmUuid *uuid)
{
    outcome->uuid = *uuid;
    g_free(outcome->name);
    outcome->name = apm_nodedev_mdev_name(uuid);
}

static void
take_warnings(ApmOutcome *outcome, const ApmPlan *plan)
{
    for (guint i = 0; i < plan->warnings->len; i++)
        g_ptr_array_add(outcome->warnings, g_strdup(g_ptr_array_index(plan->warnings, i)));
}

/* mdev XML as a definition: parsed, checked for the AP matrix, with the UUID it names or a new one */
static ApmNodeDevDef *
parse_mdev_xml(const ApmXmlInput *input, ApmUuid *uuid, GError **error)
{
    g_autoptr(ApmNodeDevDef) def = NULL;

    if (input->length == 0) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID, _("The node-device XML is empty"));
        return NULL;
    }
    def = apm_nodedev_def_parse(input->xml, input->length, input->source, input->validate, error);
    if (!def)
        return NULL;
    if (def->type != APM_NODEDEV_MDEV) {
        g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID,
                            _("The node-device XML does not describe an mdev (<capability type='mdev'>)"));
        return NULL;
    }
    if (!apm_nodedev_def_validate_mdev(def, error))
        return NULL;
    if (def->has_uuid) {
        *uuid = def->uuid;
    } else {
        apm_uuid_generate(uuid);
        def->uuid = *uuid;
        def->has_uuid = TRUE;
    }
    return g_steal_pointer(&def);
}

/* A name that must mean an mdev: its UUID, or an error naming what it is instead */
static gboolean
mdev_uuid_of(const char *name, ApmUuid *uuid, GError **error)
{
    if (apm_devices_mdev_uuid(name, uuid))
        return TRUE;
    if (g_str_has_prefix(name, "ap_"))
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("Node device '%s' is not an mdev: only mediated devices can be started, stopped, defined "
                      "or updated"),
                    name);
    else
        g_set_error(error, APM_ERROR, APM_ERROR_NOT_FOUND,
                    _("Node device '%s' not found: an mdev is named mdev_<uuid>_matrix or by its UUID"), name);
    return FALSE;
}

static gboolean
plan_ok(ApmPlan *plan, ApmOutcome *outcome, GError **error)
{
    if (!plan)
        return FALSE;
    take_warnings(outcome, plan);
    return apm_plan_check(plan, error);
}

/* A request on the mdev name: its UUID, the session under the lock, and the outcome's name */
static gboolean
begin_named(Session *s, const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
            ApmUuid *uuid, GError **error)
{
    if (!mdev_uuid_of(name, uuid, error) || !session_begin(s, root, options, outcome, error))
        return FALSE;
    set_name(outcome, uuid);
    return TRUE;
}

/* Checks and executes a plan within the session, then ends the session */
static gboolean
run_plan(Session *s, ApmPlan *plan, ApmOutcome *outcome, GError **error)
{
    gboolean ok = plan_ok(plan, outcome, error) &&
                  apm_exec_plan(s->root, plan, &s->options, outcome->differences, error);

    session_end(s);
    return ok;
}

/* Ends the session with an error about the device name */
static gboolean G_GNUC_PRINTF(4, 5)
give_up(Session *s, GError **error, int code, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    if (error)
        *error = g_error_new_valist(APM_ERROR, code, format, ap);
    va_end(ap);
    session_end(s);
    return FALSE;
}

gboolean
apm_nodedev_define(const char *root, const ApmXmlInput *input, const ApmExecOptions *options,
                   ApmOutcome *outcome, GError **error)
{
    ApmUuid uuid;
    g_autoptr(ApmNodeDevDef) def = parse_mdev_xml(input, &uuid, error);
    g_autoptr(ApmMdevConfig) config = NULL;
    g_autoptr(ApmPlan) plan = NULL;
    const ApmStoredDef *existing;
    Session s;
    gboolean ok;

    if (!def || !session_begin(&s, root, options, outcome, error))
        return FALSE;
    set_name(outcome, &uuid);
    existing = apm_host_definition(s.host, &uuid);
    config = apm_mdev_config_from_nodedev(def, existing ? existing->config->autostart : FALSE);
    plan = apm_plan_define(s.host, &uuid, config, error);
    ok = plan_ok(plan, outcome, error) && apm_store_write(root, &uuid, config, error);
    session_end(&s);
    return ok;
}

gboolean
apm_nodedev_create(const char *root, const ApmXmlInput *input, const ApmExecOptions *options,
                   ApmOutcome *outcome, GError **error)
{
    ApmUuid uuid;
    g_autoptr(ApmNodeDevDef) def = parse_mdev_xml(input, &uuid, error);
    g_autoptr(ApmMdevConfig) config = NULL;
    g_autoptr(ApmPlan) plan = NULL;
    Session s;

    if (!def || !session_begin(&s, root, options, outcome, error))
        return FALSE;
    set_name(outcome, &uuid);
    config = apm_mdev_config_from_nodedev(def, FALSE);
    plan = apm_plan_start(s.host, &uuid, config, error);
    return run_plan(&s, plan, outcome, error);
}

gboolean
apm_nodedev_start(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                  GError **error)
{
    ApmUuid uuid;
    g_autoptr(ApmPlan) plan = NULL;
    const ApmStoredDef *d;
    Session s;

    if (!begin_named(&s, root, name, options, outcome, &uuid, error))
        return FALSE;
    d = apm_host_definition(s.host, &uuid);
    if (!d)
        return give_up(&s, error, APM_ERROR_NOT_FOUND,
                       _("Node device '%s' is not defined, so it cannot be started; define it first, or create it "
                         "with nodedev-create"),
                       name);
    plan = apm_plan_start(s.host, &uuid, d->config, error);
    return run_plan(&s, plan, outcome, error);
}

gboolean
apm_nodedev_destroy(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                    GError **error)
{
    ApmUuid uuid;
    g_autoptr(ApmPlan) plan = NULL;
    Session s;

    if (!begin_named(&s, root, name, options, outcome, &uuid, error))
        return FALSE;
    if (!apm_host_mdev(s.host, &uuid)) {
        if (apm_host_definition(s.host, &uuid))
            return give_up(&s, error, APM_ERROR_CONFLICT, _("Node device '%s' is not active"), name);
        return give_up(&s, error, APM_ERROR_NOT_FOUND, _("Node device '%s' not found"), name);
    }
    plan = apm_plan_stop(s.host, &uuid);
    return run_plan(&s, plan, outcome, error);
}

gboolean
apm_nodedev_undefine(const char *root, const char *name, const ApmExecOptions *options, ApmOutcome *outcome,
                     GError **error)
{
    ApmUuid uuid;
    Session s;
    gboolean ok;

    if (!begin_named(&s, root, name, options, outcome, &uuid, error))
        return FALSE;
    if (!apm_host_definition(s.host, &uuid))
        return give_up(&s, error, APM_ERROR_NOT_FOUND, _("Node device '%s' is not defined"), name);
    ok = apm_store_remove(root, &uuid, error);
    session_end(&s);
    return ok;
}

gboolean
apm_nodedev_update(const char *root, const char *name, const ApmXmlInput *input, ApmUpdateFlags flags,
                   const ApmExecOptions *options, ApmOutcome *outcome, GError **error)
{
    ApmUuid uuid, xml_uuid;
    g_autoptr(ApmNodeDevDef) def = NULL;
    g_autoptr(ApmMdevConfig) config = NULL;
    g_autoptr(ApmPlan) live = NULL, defined = NULL;
    const ApmStoredDef *d;
    gboolean active, ok = TRUE;
    Session s;

    if (!mdev_uuid_of(name, &uuid, error))
        return FALSE;
    def = parse_mdev_xml(input, &xml_uuid, error);
    if (!def)
        return FALSE;
    if (!apm_uuid_equal(&uuid, &xml_uuid)) {
        char text[APM_UUID_TEXT_LEN + 1];

        g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                    _("The XML names mdev %s, not %s: an update cannot change the UUID"),
                    apm_uuid_format(&xml_uuid, text), name);
        return FALSE;
    }
    if (!session_begin(&s, root, options, outcome, error))
        return FALSE;
    set_name(outcome, &uuid);
    d = apm_host_definition(s.host, &uuid);
    active = apm_host_mdev(s.host, &uuid) != NULL;
    if (flags == APM_UPDATE_CURRENT)
        flags = active ? APM_UPDATE_LIVE : APM_UPDATE_CONFIG;
    if ((flags & APM_UPDATE_LIVE) && !active) {
        g_set_error(error, APM_ERROR, d ? APM_ERROR_CONFLICT : APM_ERROR_NOT_FOUND,
                    d ? _("Node device '%s' is not active, so it has no live state to update; use --config")
                      : _("Node device '%s' not found"),
                    name);
        ok = FALSE;
    } else if ((flags & APM_UPDATE_CONFIG) && !d) {
        g_set_error(error, APM_ERROR, active ? APM_ERROR_CONFLICT : APM_ERROR_NOT_FOUND,
                    active ? _("Node device '%s' is transient: it has no definition to update; use --live")
                           : _("Node device '%s' not found"),
                    name);
        ok = FALSE;
    }
    if (ok) {
        config = apm_mdev_config_from_nodedev(def, d ? d->config->autostart : FALSE);
        /* both checked before either is changed */
        if (flags & APM_UPDATE_CONFIG) {
            defined = apm_plan_define(s.host, &uuid, config, error);
            ok = plan_ok(defined, outcome, error);
        }
        if (ok && (flags & APM_UPDATE_LIVE)) {
            live = apm_plan_update_live(s.host, &uuid, config, error);
            ok = plan_ok(live, outcome, error);
        }
    }
    if (ok && live)
        ok = apm_exec_plan(root, live, &s.options, outcome->differences, error);
    if (ok && defined && !apm_store_write(root, &uuid, config, error)) {
        ok = FALSE;
        if (live)
            apm_exec_take_back(root, live); /* keep both or neither */
    }
    session_end(&s);
    return ok;
}

gboolean
apm_nodedev_set_autostart(const char *root, const char *name, gboolean autostart, const ApmExecOptions *options,
                          ApmOutcome *outcome, GError **error)
{
    ApmUuid uuid;
    const ApmStoredDef *d;
    g_autoptr(ApmMdevConfig) config = NULL;
    g_autoptr(ApmPlan) plan = NULL;
    Session s;
    gboolean ok;

    if (!begin_named(&s, root, name, options, outcome, &uuid, error))
        return FALSE;
    d = apm_host_definition(s.host, &uuid);
    if (!d)
        return give_up(&s, error, APM_ERROR_NOT_FOUND,
                       _("Node device '%s' is not defined: only a defined mdev can start at boot"), name);
    config = apm_mdev_config_new(d->config->mdev_type, autostart);
    for (guint i = 0; i < d->config->attrs->len; i++) {
        const ApmMdevAttr *a = g_ptr_array_index(d->config->attrs, i);

        apm_mdev_config_add_attr(config, a->name, a->value);
    }
    plan = apm_plan_define(s.host, &uuid, config, error);
    ok = plan_ok(plan, outcome, error) && apm_store_write(root, &uuid, config, error);
    session_end(&s);
    return ok;
}
