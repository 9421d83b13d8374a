/* apsim-cpu.c: /sys/devices/system/cpu, the CPU lists that libvirt's QEMU driver reads before it starts a guest */
#include "config.h"

#include "apsim-attrs.h"

/* A CPU list in the kernel's cpulist form: "0", "0-7"; an empty list is a lone newline */
static void
append_range(GString *out, guint first, guint count)
{
    if (count == 1)
        g_string_append_printf(out, "%u", first);
    else if (count > 1)
        g_string_append_printf(out, "%u-%u", first, first + count - 1);
    g_string_append_c(out, '\n');
}

/* online, possible and present: every CPU of the topology; none offline */
static int
show_all_cpus(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    (void) obj;
    append_range(out, 0, apsim_host_topology(host)->cpus);
    return 0;
}

static int
show_offline(ApsimHost *host, const ApsimObject *obj, GString *out)
{
    (void) host;
    (void) obj;
    append_range(out, 0, 0);
    return 0;
}

static const ApsimAttr cpu_attrs[] = {
    { "offline", 0444, show_offline, NULL, NULL },
    { "online", 0444, show_all_cpus, NULL, NULL },
    { "possible", 0444, show_all_cpus, NULL, NULL },
    { "present", 0444, show_all_cpus, NULL, NULL },
};

APSIM_DEFINE_ATTR_TABLE(apsim_cpu_attrs, cpu_attrs)
