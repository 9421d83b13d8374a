/* apm-hostdev.h: a guest's vfio-ap mediated device as libvirt's domain XML has it
 * (<hostdev mode='subsystem' type='mdev' model='vfio-ap'>) and as QEMU receives it (-device vfio-ap) */
#pragma once

#include <glib.h>

#include "apm-uuid.h"

typedef struct {
    ApmUuid uuid;     /* <source><address uuid='…'/></source> */
    char *alias;      /* <alias name='…'/>: "hostdev0", or a user alias "ua-…"; NULL when none */
    guint boot_order; /* <boot order='N'/>; 0 when none */
} ApmHostdev;

void apm_hostdev_free(ApmHostdev *hostdev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmHostdev, apm_hostdev_free)

#define APM_DOMAIN_XML_MAX (4 * 1024 * 1024)

/* A document whose root is one <hostdev> (the file virsh attach-device takes), read with libxml2; source names
 * where it came from (a file, or NULL), and with validate it must first validate against the hostdev of
 * libvirt's domain schema. Refuses anything but a subsystem mdev hostdev of model vfio-ap with a UUID, naming
 * what it is instead. */
ApmHostdev *apm_hostdev_parse(const char *xml, gsize length, const char *source, gboolean validate,
                              GError **error);

/* libvirt's rules for a vfio-ap hostdev: no boot order (the AP bus boots nothing). */
gboolean apm_hostdev_validate(const ApmHostdev *hostdev, GError **error);

/* The element as libvirt formats it, each line indented by indent spaces. */
char *apm_hostdev_format(const ApmHostdev *hostdev, guint indent);

/* The sysfs path QEMU opens: /sys/bus/mdev/devices/<uuid>. */
char *apm_hostdev_sysfsdev(const ApmHostdev *hostdev);

/* The QEMU device as device_add arguments and as libvirt's JSON -device value:
 * {"driver":"vfio-ap","id":ID,"sysfsdev":"/sys/bus/mdev/devices/<uuid>"}; id is the alias, else "hostdev0". */
char *apm_hostdev_qemu_json(const ApmHostdev *hostdev);
/* The same in QEMU's classic option syntax for -device (a comma in a value doubled):
 * vfio-ap,id=hostdev0,sysfsdev=/sys/bus/mdev/devices/<uuid> */
char *apm_hostdev_qemu_arg(const ApmHostdev *hostdev);

/* A guest's domain XML (a definition, or libvirt's status file with <domstatus>): its name, and its vfio-ap
 * hostdevs (other hostdevs are skipped). More than one vfio-ap hostdev is refused: a KVM guest has one AP
 * matrix, so QEMU and the kernel allow one vfio-ap device. */
typedef struct {
    char *name;
    GPtrArray *hostdevs; /* ApmHostdev */
} ApmDomainInfo;

void apm_domain_info_free(ApmDomainInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmDomainInfo, apm_domain_info_free)

ApmDomainInfo *apm_domain_info_parse(const char *xml, gsize length, const char *source, GError **error);
