/* apsim-qemu-options.c: the options of apsim's QEMU front */
#include "config.h"
#include "apsim-qemu-options.h"

#define KEYS(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* What libvirt 9.0 passes to an s390x guest without disks, network or console, and the probe's options */
static const ApsimQemuOption options[] = {
    { "M", TRUE, "type", KEYS("type", "accel", "usb", "dump-guest-core", "memory-backend") },
    { "S", FALSE, NULL, NULL },
    { "accel", TRUE, "accel", KEYS("accel") },
    { "audiodev", TRUE, NULL, NULL },
    { "boot", TRUE, "order", KEYS("order", "strict", "menu", "splash-time", "reboot-timeout") },
    { "chardev", TRUE, "backend", KEYS("backend", "id", "fd", "path", "server", "wait", "logfile", "logappend") },
    { "cpu", TRUE, NULL, NULL },
    { "daemonize", FALSE, NULL, NULL },
    { "device", TRUE, "driver", KEYS("driver", "id", "sysfsdev") },
    { "display", TRUE, "type", KEYS("type") },
    { "enable-kvm", FALSE, NULL, NULL },
    { "h", FALSE, NULL, NULL },
    { "help", FALSE, NULL, NULL },
    { "m", TRUE, "size", KEYS("size", "slots", "maxmem") },
    { "machine", TRUE, "type", KEYS("type", "accel", "usb", "dump-guest-core", "memory-backend") },
    { "mon", TRUE, "chardev", KEYS("chardev", "id", "mode", "pretty") },
    { "msg", TRUE, NULL, KEYS("timestamp", "guest-name") },
    { "name", TRUE, "guest", KEYS("guest", "process", "debug-threads") },
    { "no-shutdown", FALSE, NULL, NULL },
    { "no-user-config", FALSE, NULL, NULL },
    { "nodefaults", FALSE, NULL, NULL },
    { "nographic", FALSE, NULL, NULL },
    { "object", TRUE, "qom-type", NULL },
    { "overcommit", TRUE, NULL, KEYS("mem-lock", "cpu-pm") },
    { "pidfile", TRUE, NULL, NULL },
    { "qmp", TRUE, NULL, NULL },
    { "rtc", TRUE, NULL, KEYS("base", "clock", "driftfix") },
    { "sandbox", TRUE, "enable", KEYS("enable", "obsolete", "elevateprivileges", "spawn", "resourcecontrol") },
    { "smp", TRUE, "cpus", KEYS("cpus", "maxcpus", "sockets", "dies", "clusters", "books", "drawers", "cores",
                                "threads") },
    { "uuid", TRUE, NULL, NULL },
    { "version", FALSE, NULL, NULL },
};

const ApsimQemuOption *
apsim_qemu_options(guint *n)
{
    *n = G_N_ELEMENTS(options);
    return options;
}

const ApsimQemuOption *
apsim_qemu_option_find(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(options); i++)
        if (g_str_equal(options[i].name, name))
            return &options[i];
    return NULL;
}
