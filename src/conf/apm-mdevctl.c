/* apm-mdevctl.c: mdevctl device configs */
#include "config.h"
#include "apm-mdevctl.h"

#include "apm-jsonio.h"
#include <string.h>

#include "apm-error.h"
#include "apm-i18n.h"

ApmMdevConfig *
apm_mdev_config_new(const char *mdev_type, gboolean autostart)
{
    ApmMdevConfig *config = g_new0(ApmMdevConfig, 1);

    config->mdev_type = g_strdup(mdev_type);
    config->autostart = autostart;
    config->attrs = apm_mdev_attrs_new();
    return config;
}

void
apm_mdev_config_free(ApmMdevConfig *config)
{
    if (!config)
        return;
    g_free(config->mdev_type);
    g_ptr_array_unref(config->attrs);
    g_free(config);
}

void
apm_mdev_config_add_attr(ApmMdevConfig *config, const char *name, const char *value)
{
    apm_mdev_attrs_add(config->attrs, name, value);
}

static gboolean
refuse(GError **error, const char *message)
{
    g_set_error_literal(error, APM_ERROR, APM_ERROR_INVALID, message);
    return FALSE;
}

static const char *
string_member(JsonObject *o, const char *key)
{
    const char *text = apm_json_member_string(o, key);

    return text && g_utf8_validate(text, -1, NULL) ? text : NULL;
}

ApmMdevConfig *
apm_mdev_config_parse(const char *json, gssize length, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(ApmMdevConfig) config = NULL;
    g_autoptr(JsonNode) root = NULL;
    JsonObject *o;
    const char *type, *start;

    /* mdevctl's serde_json refuses what JSON does not allow (octal escapes like "\615", raw control characters in
     * strings), and so does apm_json_parse: what is taken here is what mdevctl takes */
    if (!(root = apm_json_parse(json, length, &local))) {
        g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The mdev config is not valid JSON: %s"), local->message);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(root)) {
        refuse(error, _("The mdev config must be a JSON object"));
        return NULL;
    }
    o = json_node_get_object(root);
    type = string_member(o, "mdev_type");
    start = string_member(o, "start");
    if (!type) {
        refuse(error, _("The mdev config has no \"mdev_type\" string"));
        return NULL;
    }
    if (!start || !(g_str_equal(start, "auto") || g_str_equal(start, "manual"))) {
        refuse(error, _("The mdev config's \"start\" must be \"auto\" or \"manual\""));
        return NULL;
    }
    config = apm_mdev_config_new(type, g_str_equal(start, "auto"));
    if (json_object_has_member(o, "attrs")) {
        JsonArray *array = apm_json_member_array(o, "attrs");

        if (!array) {
            refuse(error, _("The mdev config's \"attrs\" must be an array"));
            return NULL;
        }
        for (guint i = 0; i < json_array_get_length(array); i++) {
            JsonObject *pair = apm_json_element_object(array, i);
            g_autoptr(GList) keys = NULL;
            const char *value;

            if (!pair) {
                refuse(error, _("Each entry of \"attrs\" must be an object"));
                return NULL;
            }
            keys = json_object_get_members(pair);
            if (g_list_length(keys) != 1) {
                refuse(error, _("Each entry of \"attrs\" must have exactly one attribute"));
                return NULL;
            }
            value = string_member(pair, keys->data);
            if (!value) {
                g_set_error(error, APM_ERROR, APM_ERROR_INVALID,
                            _("The value of attribute \"%s\" must be a string"), (const char *) keys->data);
                return NULL;
            }
            apm_mdev_config_add_attr(config, keys->data, value);
        }
    }
    return g_steal_pointer(&config);
}

/* The config is written in mdevctl's own layout (serde_json's pretty form: "key": value, two spaces a level),
 * which json-glib's generator ("key" : value) does not write, so that a definition apmatrix writes is the file
 * mdevctl would have written, byte for byte. */
static void
append_json_string(GString *out, const char *text)
{
    g_string_append_c(out, '"');
    for (const guchar *p = (const guchar *) text; *p; p++) {
        switch (*p) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            if (*p < 0x20)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, *p);
        }
    }
    g_string_append_c(out, '"');
}

char *
apm_mdev_config_format(const ApmMdevConfig *config)
{
    GString *out = g_string_new("{\n  \"mdev_type\": ");

    append_json_string(out, config->mdev_type);
    g_string_append_printf(out, ",\n  \"start\": \"%s\"", config->autostart ? "auto" : "manual");
    if (config->attrs->len) {
        g_string_append(out, ",\n  \"attrs\": [");
        for (guint i = 0; i < config->attrs->len; i++) {
            const ApmMdevAttr *attr = g_ptr_array_index(config->attrs, i);

            g_string_append(out, i ? ",\n    {\n      " : "\n    {\n      ");
            append_json_string(out, attr->name);
            g_string_append(out, ": ");
            append_json_string(out, attr->value);
            g_string_append(out, "\n    }");
        }
        g_string_append(out, "\n  ]");
    }
    g_string_append(out, "\n}\n");
    return g_string_free(out, FALSE);
}

ApmMdevConfig *
apm_mdev_config_from_nodedev(const ApmNodeDevDef *def, gboolean autostart)
{
    ApmMdevConfig *config = apm_mdev_config_new(def->mdev_type, autostart);

    for (guint i = 0; i < def->attrs->len; i++) {
        const ApmMdevAttr *attr = g_ptr_array_index(def->attrs, i);

        apm_mdev_config_add_attr(config, attr->name, attr->value);
    }
    return config;
}
