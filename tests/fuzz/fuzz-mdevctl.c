/* fuzz-mdevctl.c: libFuzzer target for mdevctl JSON configs: parse, format, parse again to the same */
#include "config.h"

#include <stdint.h>

#include "fuzz-glib.h"

#include "apm-mdevctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ApmMdevConfig) c = apm_mdev_config_parse((const char *) data, (gssize) size, NULL);

    if (c) {
        g_autofree char *text = apm_mdev_config_format(c);
        g_autoptr(ApmMdevConfig) again = apm_mdev_config_parse(text, -1, NULL);
        g_autofree char *text2 = NULL;

        g_assert(again != NULL);
        text2 = apm_mdev_config_format(again);
        g_assert(g_str_equal(text, text2));
    }
    return 0;
}
