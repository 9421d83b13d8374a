/* bench-plug.c: apmatrix's plug and unplug through its library, many operations in one process: the client
 * side of the plug throughput benchmark that does not pay for a process per operation.
 *
 *   bench-plug ROOT GUEST DOMAIN N   N times: plug DOMAIN into the running GUEST (apsim's QMP guests under
 *                                    ROOT), then unplug it. Prints each operation's latency in microseconds,
 *                                    one a line; exits 1 on the first failure, with the reason. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "apm-hotplug.h"

static long
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmGuests) guests = NULL;
    g_autofree char *qmp = NULL;
    ApmHotplug hp;
    ApmMatrix change;
    int n;

    if (argc != 5) {
        fprintf(stderr, "usage: bench-plug ROOT GUEST DOMAIN N\n");
        return 2;
    }
    qmp = g_build_filename(argv[1], "run", "apsim", "qmp", NULL);
    if (!(guests = apm_guests_open_qmp(qmp, 5000, &error))) {
        fprintf(stderr, "bench-plug: %s\n", error->message);
        return 1;
    }
    apm_hotplug_init(&hp, argv[1], guests);
    apm_matrix_clear(&change);
    apm_mask_set(&change.domains, (guint) strtoul(argv[3], NULL, 0));
    n = atoi(argv[4]);
    for (int i = 0; i < 2 * n; i++) {
        g_autoptr(ApmGuestReport) report = apm_guest_report_new();
        long t0 = now_us();

        if (!apm_hotplug_plug(&hp, argv[2], &change, i % 2, 0, report, &error)) {
            fprintf(stderr, "bench-plug: %s\n", error->message);
            return 1;
        }
        printf("%ld\n", now_us() - t0);
    }
    return 0;
}
