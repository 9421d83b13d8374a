/* fuzz-domain.c: libFuzzer target for domain XML and vfio-ap hostdev documents: parse; a hostdev formats and
 * parses back to the same */
#include "config.h"

#include <stdint.h>

#include "fuzz-glib.h"
#include <string.h>

#include "apm-hostdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ApmDomainInfo) info = apm_domain_info_parse((const char *) data, size, NULL, NULL);
    g_autoptr(ApmHostdev) h = apm_hostdev_parse((const char *) data, size, NULL, FALSE, NULL);

    if (info)
        g_assert(info->name && info->hostdevs->len <= 1);
    if (h) {
        g_autofree char *text = apm_hostdev_format(h, 0);
        g_autoptr(ApmHostdev) again = apm_hostdev_parse(text, strlen(text), NULL, FALSE, NULL);
        g_autofree char *text2 = NULL;

        g_assert(again != NULL);
        text2 = apm_hostdev_format(again, 0);
        g_assert(g_str_equal(text, text2));
    }
    return 0;
}
