/* apm-json.h: JSON for the product's programs: a document tree, a builder, a strict parser (RFC 8259) and a
 * generator. Written here so that apmatrix, its callout and its hook link GLib alone: json-glib brings GIO and,
 * with it, libmount, libselinux, libblkid and libpcre2 into every start of a command, which was a third of the
 * time a short command takes. The calls are shaped like json-glib's, which apsim and the tests keep using; the
 * pretty form it writes is json-glib's ("key" : value, two spaces a level), so scripts see the same text.
 *
 * A node is reference counted and is not changed once built; an object keeps its members in the order they were
 * added (a name added twice: its last value, where it first stood). ApmJsonObject and ApmJsonArray are nodes of
 * that kind. */
#pragma once

#include <glib.h>

typedef struct _ApmJsonNode ApmJsonNode;
typedef struct _ApmJsonNode ApmJsonObject;
typedef struct _ApmJsonNode ApmJsonArray;
typedef struct _ApmJsonBuilder ApmJsonBuilder;
typedef struct _ApmJsonGenerator ApmJsonGenerator;
typedef struct _ApmJsonParser ApmJsonParser;

typedef enum {
    APM_JSON_NODE_NULL,
    APM_JSON_NODE_BOOLEAN,
    APM_JSON_NODE_INT,
    APM_JSON_NODE_DOUBLE,
    APM_JSON_NODE_STRING,
    APM_JSON_NODE_ARRAY,
    APM_JSON_NODE_OBJECT,
} ApmJsonKind;

/* ---- nodes ---- */
ApmJsonNode *apm_json_node_new(ApmJsonKind kind); /* null, false, 0, 0.0, "", [] or {} */
ApmJsonNode *apm_json_node_new_string(const char *value);
ApmJsonNode *apm_json_node_new_int(gint64 value);
ApmJsonNode *apm_json_node_ref(ApmJsonNode *node);
void apm_json_node_unref(ApmJsonNode *node);
/* Nodes are not changed once built, so a copy is another reference. */
ApmJsonNode *apm_json_node_copy(ApmJsonNode *node);
ApmJsonKind apm_json_node_get_kind(const ApmJsonNode *node);
gboolean apm_json_node_holds_value(const ApmJsonNode *node);  /* a boolean, number or string */
gboolean apm_json_node_holds_string(const ApmJsonNode *node);
gboolean apm_json_node_holds_object(const ApmJsonNode *node);
gboolean apm_json_node_holds_array(const ApmJsonNode *node);
#define APM_JSON_NODE_HOLDS_VALUE(node) apm_json_node_holds_value(node)
#define APM_JSON_NODE_HOLDS_OBJECT(node) apm_json_node_holds_object(node)
#define APM_JSON_NODE_HOLDS_ARRAY(node) apm_json_node_holds_array(node)
/* The node as an object or an array (NULL when it is not one), and its scalar values (NULL, 0 or FALSE when the
 * node is of another kind; a double is taken as its integer part). */
ApmJsonObject *apm_json_node_get_object(ApmJsonNode *node);
ApmJsonArray *apm_json_node_get_array(ApmJsonNode *node);
const char *apm_json_node_get_string(const ApmJsonNode *node);
gint64 apm_json_node_get_int(const ApmJsonNode *node);
gboolean apm_json_node_get_boolean(const ApmJsonNode *node);

/* ---- objects and arrays ---- */
gboolean apm_json_object_has_member(const ApmJsonObject *object, const char *name);
ApmJsonNode *apm_json_object_get_member(const ApmJsonObject *object, const char *name); /* or NULL */
ApmJsonObject *apm_json_object_get_object_member(const ApmJsonObject *object, const char *name); /* or NULL */
gint64 apm_json_object_get_int_member(const ApmJsonObject *object, const char *name); /* 0 when absent */
const char *apm_json_object_get_string_member_with_default(const ApmJsonObject *object, const char *name,
                                                          const char *fallback);
/* The member names in order (the strings are the object's; free the list with g_list_free). */
GList *apm_json_object_get_members(const ApmJsonObject *object);
guint apm_json_array_get_length(const ApmJsonArray *array);
ApmJsonNode *apm_json_array_get_element(const ApmJsonArray *array, guint index);
ApmJsonObject *apm_json_array_get_object_element(const ApmJsonArray *array, guint index); /* or NULL */

/* ---- building ---- */
ApmJsonBuilder *apm_json_builder_new(void);
void apm_json_builder_free(ApmJsonBuilder *builder);
void apm_json_builder_begin_object(ApmJsonBuilder *builder);
void apm_json_builder_end_object(ApmJsonBuilder *builder);
void apm_json_builder_begin_array(ApmJsonBuilder *builder);
void apm_json_builder_end_array(ApmJsonBuilder *builder);
/* The name of the next value added to the object being built. */
void apm_json_builder_set_member_name(ApmJsonBuilder *builder, const char *name);
void apm_json_builder_add_string_value(ApmJsonBuilder *builder, const char *value); /* NULL: null */
void apm_json_builder_add_int_value(ApmJsonBuilder *builder, gint64 value);
void apm_json_builder_add_boolean_value(ApmJsonBuilder *builder, gboolean value);
void apm_json_builder_add_null_value(ApmJsonBuilder *builder);
void apm_json_builder_add_value(ApmJsonBuilder *builder, ApmJsonNode *node); /* takes node */
/* The document built (a new reference), or NULL while a container is still open. */
ApmJsonNode *apm_json_builder_get_root(ApmJsonBuilder *builder);

/* ---- writing ---- */
ApmJsonGenerator *apm_json_generator_new(void);
void apm_json_generator_free(ApmJsonGenerator *generator);
void apm_json_generator_set_root(ApmJsonGenerator *generator, ApmJsonNode *node); /* a reference is kept */
void apm_json_generator_set_pretty(ApmJsonGenerator *generator, gboolean pretty);
/* The text (owned), without a final newline; length may be NULL. */
char *apm_json_generator_to_data(ApmJsonGenerator *generator, gsize *length);
/* The same in one call. */
char *apm_json_to_string(ApmJsonNode *node, gboolean pretty);

/* ---- reading ---- */
ApmJsonParser *apm_json_parser_new(void);
void apm_json_parser_free(ApmJsonParser *parser);
/* Parses JSON text (length -1: up to the NUL) as RFC 8259 has it: one value, UTF-8, no comments, no trailing
 * commas, no control characters in strings. FALSE with an APM_ERROR_INVALID that says where and why. */
gboolean apm_json_parser_load_from_data(ApmJsonParser *parser, const char *text, gssize length, GError **error);
ApmJsonNode *apm_json_parser_get_root(ApmJsonParser *parser);   /* the parser's; NULL before a load */
ApmJsonNode *apm_json_parser_steal_root(ApmJsonParser *parser); /* yours */
/* The same in one call: the value of text, or NULL with error set. */
ApmJsonNode *apm_json_from_string(const char *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmJsonNode, apm_json_node_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmJsonBuilder, apm_json_builder_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmJsonGenerator, apm_json_generator_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmJsonParser, apm_json_parser_free)
