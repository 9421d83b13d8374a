/* test-hostview.c: the host-side models behind matrix, mask and check, on hand-made host snapshots */
#include "config.h"

#include <string.h>

#include "apm-apqn.h"
#include "apm-error.h"
#include "apm-hostmask.h"
#include "apm-map.h"
#include "apm-test.h"

/* An empty host read from an empty root, then given queues, masks and mdevs by hand */
static ApmHost *
host_new(void)
{
    char *root = apm_test_tmpdir_new();
    ApmHost *host = apm_host_read(root, NULL);

    apm_test_tmpdir_free(root);
    g_assert_nonnull(host);
    apm_mask_set_all(&host->apmask);
    apm_mask_set_all(&host->aqmask);
    apm_mask_clear_all(&host->qci.adapters);
    apm_mask_clear_all(&host->qci.domains);
    host->max_adapter_id = host->max_domain_id = 255;
    return host;
}

static void
add_queue(ApmHost *host, guint adapter, guint domain, ApmDriver driver)
{
    ApmQueueInfo *q = g_new0(ApmQueueInfo, 1);

    q->apqn = (ApmApqn) { adapter, domain };
    q->driver = driver;
    q->driver_name = g_strdup(driver == APM_DRIVER_VFIO_AP ? "vfio_ap" : driver == APM_DRIVER_ZCRYPT ? "cex4queue" : NULL);
    q->online = TRUE;
    apm_mask_set(&host->qci.adapters, adapter);
    apm_mask_set(&host->qci.domains, domain);
    g_ptr_array_add(host->queues, q);
    host->queue_index[apm_apqn_index(q->apqn)] = q;
}

static ApmMdevInfo *
add_mdev(ApmHost *host, const char *uuid, const char *adapters, const char *domains, const char *guest)
{
    ApmMdevInfo *m = g_new0(ApmMdevInfo, 1);

    g_assert_true(apm_uuid_parse(uuid, &m->uuid));
    g_assert_true(apm_mask_parse_list(adapters, 255, "adapter", &m->matrix.adapters, NULL));
    g_assert_true(apm_mask_parse_list(domains, 255, "domain", &m->matrix.domains, NULL));
    m->guest = g_strdup(guest);
    m->iommu_group = -1;
    g_ptr_array_add(host->mdevs, m);
    return m;
}

static void
test_apqn_ranges(void)
{
    guint list[] = { 0x0546, 0x0547, 0x0548, 0x0646, 0x06fe, 0x06ff, 0x0700 };
    g_autofree char *text = apm_apqn_format_ranges(list, G_N_ELEMENTS(list));

    /* a run never crosses from one adapter into the next */
    g_assert_cmpstr(text, ==, "05.0046-05.0048, 06.0046, 06.00fe-06.00ff, 07.0000");
}

static void
test_rules_round_trip(void)
{
    ApmMask ap, aq, ap_back, aq_back;
    g_autofree char *rules = NULL;

    g_assert_cmpint(apm_mask_parse_kernel("0xf9ff", NULL, &ap), ==, 0);
    g_assert_cmpint(apm_mask_parse_kernel("0xffffffffffffffffe1", NULL, &aq), ==, 0);
    rules = apm_hostmask_format_rules(&ap, &aq);
    apm_mask_clear_all(&ap_back);
    apm_mask_clear_all(&aq_back);
    g_assert_true(apm_host_parse_udev_masks(rules, &ap_back, &aq_back, NULL));
    g_assert_true(apm_mask_equal(&ap, &ap_back));
    g_assert_true(apm_mask_equal(&aq, &aq_back));
    /* the rule fires on the AP bus's add and BINDINGS=complete events, as chzdev's does */
    g_assert_nonnull(strstr(rules, "ENV{BINDINGS}==\"complete\""));
    g_assert_nonnull(strstr(rules, "kmod load vfio_ap"));
}

static void
test_plan_refusals(void)
{
    g_autoptr(ApmHost) host = host_new();
    g_autoptr(ApmMaskPlan) plan = NULL, strict = NULL;
    g_autoptr(GError) error = NULL;

    add_queue(host, 0, 1, APM_DRIVER_VFIO_AP);
    add_queue(host, 1, 1, APM_DRIVER_ZCRYPT);
    add_mdev(host, "a1000000-0000-4000-8000-000000000001", "0", "1", "vm1");
    g_assert_cmpint(apm_mask_parse_kernel("-0", &host->apmask, &host->apmask), ==, 0);
    g_assert_cmpint(apm_mask_parse_kernel("-1", &host->aqmask, &host->aqmask), ==, 0);

    /* the kernel's syntax, and nothing else */
    g_assert_null(apm_hostmask_plan(host, "+1 ,+2", NULL, FALSE, &error));
    g_assert_error(error, APM_ERROR, APM_ERROR_INVALID);
    g_clear_error(&error);

    /* before 6.19 a domain coming back is checked against the current apmask: adapter 0 is not in it */
    host->mask_check_all_ones = FALSE;
    plan = apm_hostmask_plan(host, NULL, "+1", FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(plan->refusals->len, ==, 0);
    g_assert_cmpuint(plan->to_host, ==, 1); /* 01.0001 */
    /* from 6.19 against every adapter: 00.0001 of mdev a1... used by vm1 is in the way */
    host->mask_check_all_ones = TRUE;
    strict = apm_hostmask_plan(host, NULL, "+1", FALSE, &error);
    g_assert_cmpuint(strict->refusals->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(strict->refusals, 0), "00.0001"));
    g_assert_nonnull(strstr(g_ptr_array_index(strict->refusals, 0), "vm1"));
}

static void
test_map_states(void)
{
    g_autoptr(ApmHost) host = host_new();
    g_autoptr(ApmMap) map = NULL;
    g_autoptr(GPtrArray) notes = NULL;
    ApmMdevInfo *a, *b;

    add_queue(host, 0, 0, APM_DRIVER_ZCRYPT);
    add_queue(host, 0, 1, APM_DRIVER_VFIO_AP);
    add_queue(host, 1, 0, APM_DRIVER_VFIO_AP);
    add_queue(host, 1, 1, APM_DRIVER_VFIO_AP);
    add_queue(host, 2, 0, APM_DRIVER_VFIO_AP);
    add_queue(host, 2, 1, APM_DRIVER_ZCRYPT);
    add_queue(host, 3, 0, APM_DRIVER_NONE);
    ((ApmQueueInfo *) host->queue_index[0x0000])->online = FALSE;
    /* a: adapters 1 and 2, domains 0 and 1, in vm1; the kernel passed adapter 1 only (2 has an unbound queue) */
    a = add_mdev(host, "a1000000-0000-4000-8000-000000000001", "1,2", "0,1", "vm1");
    apm_mask_set(&a->guest_matrix.adapters, 1);
    apm_mask_set(&a->guest_matrix.domains, 0);
    apm_mask_set(&a->guest_matrix.domains, 1);
    /* b: domain 9 outside the host configuration, no guest */
    b = add_mdev(host, "b2000000-0000-4000-8000-000000000002", "0", "9", NULL);
    (void) b;
    map = apm_map_new(host, NULL, NULL);
    g_assert_cmpint(apm_map_cell(map, 0, 0)->state, ==, APM_CELL_HOST_OFFLINE);
    g_assert_cmpint(apm_map_cell(map, 0, 1)->state, ==, APM_CELL_FREE);
    g_assert_cmpint(apm_map_cell(map, 1, 0)->state, ==, APM_CELL_IN_USE);
    g_assert_cmpint(apm_map_cell(map, 1, 1)->state, ==, APM_CELL_IN_USE);
    g_assert_cmpint(apm_map_cell(map, 2, 0)->state, ==, APM_CELL_FILTERED);
    g_assert_cmpint(apm_map_cell(map, 2, 0)->why, ==, APM_WHY_ADAPTER_DROPPED);
    g_assert_cmpint(apm_map_cell(map, 2, 0)->culprit, ==, 1);
    g_assert_cmpint(apm_map_cell(map, 2, 1)->why, ==, APM_WHY_NOT_BOUND);
    g_assert_cmpint(apm_map_cell(map, 3, 0)->state, ==, APM_CELL_UNBOUND);
    g_assert_cmpint(apm_map_cell(map, 0, 9)->state, ==, APM_CELL_OVERPROVISIONED);
    g_assert_cmpint(apm_map_cell_char(map, apm_map_cell(map, 1, 0)), ==, 'A');
    g_assert_cmpint(apm_map_cell_char(map, apm_map_cell(map, 0, 9)), ==, '~');
    /* the over-provisioned domain is a column of the map although the host configuration lacks it */
    g_assert_true(apm_mask_test(&map->domains, 9));
    notes = apm_map_notes(map);
    g_assert_cmpuint(notes->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(notes, 0), ==,
                    "A: 02.0000: adapter 0x02 is dropped as a whole: queue 02.0001 is not bound to vfio_ap");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hostview/apqn-ranges", test_apqn_ranges);
    g_test_add_func("/hostview/rules-round-trip", test_rules_round_trip);
    g_test_add_func("/hostview/mask-plan-refusals-as-the-kernel", test_plan_refusals);
    g_test_add_func("/hostview/map-states-and-reasons", test_map_states);
    return g_test_run();
}
