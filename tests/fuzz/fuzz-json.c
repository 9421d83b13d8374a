/* fuzz-json.c: libFuzzer target for apm-json, the parser of QEMU's monitor messages and mdevctl configs: whatever
 * it takes writes back (pretty and compact) to text it takes again and writes the same way */
#include "config.h"

#include <stdint.h>

#include "fuzz-glib.h"

#include "apm-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ApmJsonParser) parser = apm_json_parser_new();

    if (apm_json_parser_load_from_data(parser, (const char *) data, (gssize) size, NULL)) {
        for (int pretty = 0; pretty <= 1; pretty++) {
            g_autofree char *text = apm_json_to_string(apm_json_parser_get_root(parser), pretty);
            g_autoptr(ApmJsonNode) again = apm_json_from_string(text, NULL);
            g_autofree char *text2 = NULL;

            g_assert(again != NULL);
            text2 = apm_json_to_string(again, pretty);
            g_assert(g_str_equal(text, text2));
        }
    }
    return 0;
}
