/* floor-plug.c: the least a client must do to plug a domain into a running guest's mdev and unplug it again
 * with nothing else running at the same time: one flock on a shared file around one sysfs write. The baseline of
 * the plug throughput benchmark.
 *
 *   floor-plug ROOT UUID DOMAIN N   N times: lock, write DOMAIN to assign_domain, unlock; lock, write it to
 *                                   unassign_domain, unlock. Prints each operation's latency in microseconds,
 *                                   one a line. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static long
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static int
write_attr(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = write(fd, value, strlen(value));
    close(fd);
    return n == (ssize_t) strlen(value) ? 0 : -1;
}

int
main(int argc, char **argv)
{
    char lock_path[PATH_MAX], assign[PATH_MAX], unassign[PATH_MAX], value[32];
    int lock_fd, n;

    if (argc != 5) {
        fprintf(stderr, "usage: floor-plug ROOT UUID DOMAIN N\n");
        return 2;
    }
    snprintf(lock_path, sizeof(lock_path), "%s/run/lock/floor-plug.lock", argv[1]);
    snprintf(assign, sizeof(assign), "%s/sys/devices/vfio_ap/matrix/%s/assign_domain", argv[1], argv[2]);
    snprintf(unassign, sizeof(unassign), "%s/sys/devices/vfio_ap/matrix/%s/unassign_domain", argv[1], argv[2]);
    snprintf(value, sizeof(value), "%s\n", argv[3]);
    n = atoi(argv[4]);
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0)
        return 1;
    for (int i = 0; i < 2 * n; i++) {
        long t0 = now_us();

        flock(lock_fd, LOCK_EX);
        if (write_attr(i % 2 ? unassign : assign, value) < 0) {
            perror(i % 2 ? unassign : assign);
            return 1;
        }
        flock(lock_fd, LOCK_UN);
        printf("%ld\n", now_us() - t0);
    }
    return 0;
}
