/* fuzz-json.c: libFuzzer target for apm-jsonio, the reader of QEMU's monitor messages and mdevctl configs (the
 * token check, then json-glib): whatever it takes writes back (pretty and compact) to text it takes again and
 * writes the same way */
#include "config.h"

#include <stdint.h>

#include "fuzz-glib.h"

#include "apm-jsonio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(JsonNode) root = apm_json_parse((const char *) data, (gssize) size, NULL);

    if (root) {
        for (int pretty = 0; pretty <= 1; pretty++) {
            g_autofree char *text = apm_json_write(root, pretty);
            g_autoptr(JsonNode) again = apm_json_parse(text, -1, NULL);
            g_autofree char *text2 = NULL;

            g_assert(again != NULL);
            text2 = apm_json_write(again, pretty);
            g_assert(g_str_equal(text, text2));
        }
    }
    return 0;
}
