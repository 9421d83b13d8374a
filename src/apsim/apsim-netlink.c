/* apsim-netlink.c: libudev netlink messages */
#include "config.h"
#include "apsim-netlink.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define UDEV_MONITOR_MAGIC 0xfeedcafe
#define MONITOR_GROUP_UDEV 2

/* libudev's struct monitor_netlink_header, all in network order but the prefix */
typedef struct {
    char prefix[8];
    guint32 magic;
    guint32 header_size;
    guint32 properties_off;
    guint32 properties_len;
    guint32 filter_subsystem_hash;
    guint32 filter_devtype_hash;
    guint32 filter_tag_bloom_hi;
    guint32 filter_tag_bloom_lo;
} UdevHeader;

guint32
apsim_murmur2(const char *text)
{
    const guint32 m = 0x5bd1e995;
    gsize len = strlen(text);
    const guchar *data = (const guchar *) text;
    guint32 h = (guint32) len;

    while (len >= 4) {
        guint32 k;

        memcpy(&k, data, 4);
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
        data += 4;
        len -= 4;
    }
    switch (len) {
    case 3:
        h ^= (guint32) data[2] << 16;
        /* fall through */
    case 2:
        h ^= (guint32) data[1] << 8;
        /* fall through */
    case 1:
        h ^= data[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

GBytes *
apsim_netlink_udev_message(const char *line)
{
    g_auto(GStrv) words = g_strsplit(line, " ", -1);
    g_autoptr(GByteArray) msg = g_byte_array_new();
    UdevHeader header = { "libudev", 0, 0, 0, 0, 0, 0, 0, 0 };
    const char *subsystem = NULL, *devtype = NULL;
    guint64 seqnum;
    char *end;

    if (!words[0] || !words[1])
        return NULL;
    seqnum = g_ascii_strtoull(words[1], &end, 10);
    if (*end || seqnum == 0)
        return NULL;
    g_byte_array_append(msg, (const guint8 *) &header, sizeof(header));
#define PROP(text) g_byte_array_append(msg, (const guint8 *) (text), strlen(text) + 1)
    {
        g_autofree char *action = g_strdup_printf("ACTION=%s", words[0]);
        g_autofree char *seq = g_strdup_printf("SEQNUM=%" G_GUINT64_FORMAT, seqnum);
        g_autofree char *usec = g_strdup_printf("USEC_INITIALIZED=%" G_GINT64_FORMAT, g_get_monotonic_time());

        PROP(action);
        for (guint i = 2; words[i]; i++) {
            if (!strchr(words[i], '='))
                continue;
            PROP(words[i]);
            if (g_str_has_prefix(words[i], "SUBSYSTEM="))
                subsystem = words[i] + strlen("SUBSYSTEM=");
            else if (g_str_has_prefix(words[i], "DEVTYPE="))
                devtype = words[i] + strlen("DEVTYPE=");
        }
        PROP(seq);
        PROP(usec);
    }
#undef PROP
    if (!subsystem)
        return NULL;
    header.magic = GUINT32_TO_BE(UDEV_MONITOR_MAGIC);
    header.header_size = sizeof(header);
    header.properties_off = sizeof(header);
    header.properties_len = msg->len - sizeof(header);
    header.filter_subsystem_hash = GUINT32_TO_BE(apsim_murmur2(subsystem));
    header.filter_devtype_hash = devtype ? GUINT32_TO_BE(apsim_murmur2(devtype)) : 0;
    memcpy(msg->data, &header, sizeof(header));
    return g_byte_array_free_to_bytes(g_steal_pointer(&msg));
}

int
apsim_netlink_relay(const char *socket_path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct sockaddr_nl group = { .nl_family = AF_NETLINK, .nl_groups = MONITOR_GROUP_UDEV };
    struct sockaddr_nl self = { .nl_family = AF_NETLINK };
    g_autoptr(GString) line = g_string_new(NULL);
    int in, out;
    char c;

    g_strlcpy(addr.sun_path, socket_path, sizeof(addr.sun_path));
    in = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (in < 0 || connect(in, (struct sockaddr *) &addr, sizeof(addr)) < 0 || write(in, "events\n", 7) != 7)
        return errno;
    out = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
    if (out < 0 || bind(out, (struct sockaddr *) &self, sizeof(self)) < 0)
        return errno;
    while (read(in, &c, 1) == 1) {
        g_autoptr(GBytes) msg = NULL;

        if (c != '\n') {
            g_string_append_c(line, c);
            continue;
        }
        msg = apsim_netlink_udev_message(line->str);
        if (msg)
            sendto(out, g_bytes_get_data(msg, NULL), g_bytes_get_size(msg), 0, (struct sockaddr *) &group,
                   sizeof(group));
        g_string_truncate(line, 0);
    }
    close(out);
    close(in);
    return 0;
}
