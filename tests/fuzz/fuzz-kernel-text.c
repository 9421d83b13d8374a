/* fuzz-kernel-text.c: libFuzzer target for the kernel's text forms (masks, kstrtoul, matrices, ap_config,
 * ID lists, UUIDs, APQNs) */
#include "config.h"

#include <stdint.h>

#include "fuzz-glib.h"

#include "apm-apqn.h"
#include "apm-kstrto.h"
#include "apm-mask.h"
#include "apm-matrix.h"
#include "apm-uuid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);
    ApmMask current, out;
    ApmMatrix m;
    ApmApqn apqn;
    ApmUuid uuid;
    guint64 v;

    apm_mask_set_all(&current);
    if (apm_mask_parse_kernel(text, &current, &out) == 0) {
        g_autofree char *hex = apm_mask_to_hex(&out);
        ApmMask back;

        g_assert(apm_mask_parse_hex(hex, &back) == 0 && apm_mask_equal(&back, &out));
    }
    apm_kstrtoul(text, 0, &v);
    if (apm_matrix_parse_ap_config(text, &m) == 0) {
        g_autofree char *again = apm_matrix_format_ap_config(&m);
        ApmMatrix back;

        g_assert(apm_matrix_parse_ap_config(again, &back) == 0 && apm_matrix_equal(&back, &m));
    }
    if (apm_matrix_parse_apqns(text, &m, NULL)) {
        g_autofree char *again = apm_matrix_format_apqns(&m);

        (void) again;
    }
    apm_matrix_parse_control_domains(text, &m.control_domains, NULL);
    if (apm_mask_parse_list(text, 255, "id", &out, NULL)) {
        g_autofree char *list = apm_mask_format_list(&out, APM_LIST_HEX);
        ApmMask back;

        g_assert(apm_mask_parse_list(list, 255, "id", &back, NULL) && apm_mask_equal(&back, &out));
    }
    apm_apqn_parse(text, &apqn, NULL);
    apm_uuid_parse(text, &uuid);
    return 0;
}
