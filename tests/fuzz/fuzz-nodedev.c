/* fuzz-nodedev.c: libFuzzer target for node-device XML: parse, validate, format, parse again */
#include "config.h"

#include <stdint.h>

#include "fuzz-glib.h"

#include "apm-nodedev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ApmNodeDevDef) def = apm_nodedev_def_parse((const char *) data, size, NULL, FALSE, NULL);

    if (def && def->name) {
        g_autofree char *xml = apm_nodedev_def_format(def);
        g_autoptr(ApmNodeDevDef) again = apm_nodedev_def_parse(xml, strlen(xml), NULL, FALSE, NULL);

        apm_nodedev_def_validate_mdev(def, NULL);
        g_assert(again != NULL);
    }
    return 0;
}
