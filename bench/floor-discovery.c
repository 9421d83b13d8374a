/* floor-discovery.c: the least a program must read to do what `apmatrix nodedev-list --cap ap_queue` and
 * `apmatrix nodedev-dumpxml --all` do: the baseline of the discovery benchmark. Plain libc, no checks beyond
 * what the output needs, paths under a root as apmatrix takes them.
 *
 *   floor-discovery ROOT list      the queue devices, one ap_XX_YYYY name a line (one readdir)
 *   floor-discovery ROOT dumpxml   every card and queue as node-device XML: its name, path, parent, driver
 *                                  (a readdir per card, a readlink per device) */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
is_queue(const char *name)
{
    return strlen(name) == 7 && name[2] == '.';
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static const char *
driver_of(const char *dev, char *buf, size_t size)
{
    char link[PATH_MAX];
    ssize_t n;

    snprintf(link, sizeof(link), "%s/driver", dev);
    n = readlink(link, buf, size - 1);
    if (n < 0)
        return NULL;
    buf[n] = 0;
    return strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
}

static int
list(const char *root)
{
    char path[PATH_MAX];
    struct dirent **entries;
    int n;

    snprintf(path, sizeof(path), "%s/sys/bus/ap/devices", root);
    n = scandir(path, &entries, NULL, by_name);
    if (n < 0)
        return 1;
    for (int i = 0; i < n; i++) {
        const char *e = entries[i]->d_name;

        if (is_queue(e))
            printf("ap_%.2s_%s\n", e, e + 3);
        free(entries[i]);
    }
    free(entries);
    return 0;
}

static void
device_xml(const char *name, const char *path, const char *parent, const char *driver, const char *caps)
{
    printf("<device>\n  <name>%s</name>\n  <path>%s</path>\n  <parent>%s</parent>\n", name, path, parent);
    if (driver)
        printf("  <driver>\n    <name>%s</name>\n  </driver>\n", driver);
    printf("%s</device>\n", caps);
}

static int
dumpxml(const char *root)
{
    char path[PATH_MAX], buf[PATH_MAX], caps[256], name[32], sys[64];
    struct dirent **cards;
    int n;

    snprintf(path, sizeof(path), "%s/sys/devices/ap", root);
    n = scandir(path, &cards, NULL, by_name);
    if (n < 0)
        return 1;
    for (int i = 0; i < n; i++) {
        const char *card = cards[i]->d_name;
        struct dirent **queues;
        int m;

        if (strncmp(card, "card", 4) || strlen(card) != 6) {
            free(cards[i]);
            continue;
        }
        snprintf(path, sizeof(path), "%s/sys/devices/ap/%s", root, card);
        snprintf(name, sizeof(name), "ap_%s", card);
        snprintf(sys, sizeof(sys), "/sys/devices/ap/%s", card);
        snprintf(caps, sizeof(caps), "  <capability type='ap_card'>\n    <ap-adapter>0x%s</ap-adapter>\n  </capability>\n",
                 card + 4);
        device_xml(name, sys, "computer", driver_of(path, buf, sizeof(buf)), caps);
        m = scandir(path, &queues, NULL, by_name);
        for (int k = 0; k < m; k++) {
            const char *q = queues[k]->d_name;
            char qpath[PATH_MAX], parent[16];

            if (is_queue(q)) {
                snprintf(qpath, sizeof(qpath), "%s/%s", path, q);
                snprintf(name, sizeof(name), "ap_%.2s_%s", q, q + 3);
                snprintf(sys, sizeof(sys), "/sys/devices/ap/%s/%s", card, q);
                snprintf(parent, sizeof(parent), "ap_%s", card);
                snprintf(caps, sizeof(caps),
                         "  <capability type='ap_queue'>\n    <ap-adapter>0x%.2s</ap-adapter>\n"
                         "    <ap-domain>0x%s</ap-domain>\n  </capability>\n",
                         q, q + 3);
                device_xml(name, sys, parent, driver_of(qpath, buf, sizeof(buf)), caps);
            }
            free(queues[k]);
        }
        free(queues);
        free(cards[i]);
    }
    free(cards);
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: floor-discovery ROOT list|dumpxml\n");
        return 2;
    }
    if (!strcmp(argv[2], "list"))
        return list(argv[1]);
    if (!strcmp(argv[2], "dumpxml"))
        return dumpxml(argv[1]);
    fprintf(stderr, "floor-discovery: unknown mode %s\n", argv[2]);
    return 2;
}
