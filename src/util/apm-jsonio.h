/* apm-jsonio.h: JSON in and out through json-glib, with what json-glib lets through that JSON (RFC 8259) and
 * mdevctl's reader refuse checked first.
 *
 * json-glib's reader is lenient: it takes comments, single-quoted strings, octal and unknown escapes, raw control
 * characters, hex numbers, leading zeros, '.5' and '1.', text after the value and any depth of nesting, and wraps
 * whole numbers beyond 64 bits. A document mdevctl would call corrupt must not be one apmatrix acts on, so every
 * text is first scanned token by token (apm_json_check, no tree is built); the grammar is json-glib's. Its writer
 * leaves U+001F unescaped and writes some doubles as "5e+50.0", which strict readers (mdevctl, Python) refuse:
 * apm_json_write puts both right. The member getters take untrusted documents (QMP replies, mdevctl files)
 * without json-glib's criticals for a member of another kind. */
#pragma once

#include <json-glib/json-glib.h>

/* Whether text (length bytes; -1: up to the NUL) is one JSON value in RFC 8259's tokens: UTF-8 without NUL,
 * strings in double quotes with JSON's escapes only (no control characters, no lone surrogates, no \u0000),
 * numbers in JSON's form within 64 bits (whole numbers) or a double, true/false/null, no comments, at most
 * APM_JSON_MAX_DEPTH levels of nesting, nothing after the value. FALSE with APM_ERROR_INVALID "JSON at line L,
 * column C: why". */
#define APM_JSON_MAX_DEPTH 512
gboolean apm_json_check(const char *text, gssize length, GError **error);

/* Makes json-glib's classes (parser, generator, builder) ready. Call it before threads use json-glib: json-glib
 * registers and initializes its GObject classes on first use, and GLib's type system, not instrumented for
 * ThreadSanitizer, synchronizes that where the sanitizer cannot see it; done before the threads start, it is
 * ordered before them. Calling it again does nothing. */
void apm_json_init(void);

/* apm_json_check, then json-glib's parser: the value (yours), or NULL with APM_ERROR_INVALID saying where and
 * why in apmatrix's words. */
JsonNode *apm_json_parse(const char *text, gssize length, GError **error);

/* The text json-glib writes for node (pretty: two spaces a level, "key" : value), with its two faults that strict
 * readers refuse put right: U+001F in a string escaped, and no ".0" after the exponent of a double ("5e+50.0"
 * is "5e+50"); no final newline. */
char *apm_json_write(JsonNode *node, gboolean pretty);
/* The same for what a builder built. */
char *apm_json_builder_write(JsonBuilder *builder, gboolean pretty);

/* A member of object when it is of that kind, else NULL (absent, null, or another kind). */
JsonObject *apm_json_member_object(JsonObject *object, const char *name);
JsonArray *apm_json_member_array(JsonObject *object, const char *name);
const char *apm_json_member_string(JsonObject *object, const char *name);
/* A whole-number member: TRUE with *value set, FALSE when absent or not a whole number. */
gboolean apm_json_member_int(JsonObject *object, const char *name, gint64 *value);
/* An element of array when it is an object, else NULL. */
JsonObject *apm_json_element_object(JsonArray *array, guint index);
