#!/usr/bin/python3
"""Drives Nova's own libvirt driver (Debian's python3-nova, as installed or with contrib/nova's patches applied to
a copy) against libvirt's test:///FILE driver, fed with the node devices apmatrix prints for an apsim host with a
pool, and one guest that holds a member. No message queue, database or Keystone: Nova's fake virt API, its
ProviderTree, and mocks only where a step would touch disks, images or networks.

Prints one line a check, for tests/apsim/nova.sh to count: "ok|NAME", "notok|NAME|WHY" or "skip|NAME|WHY".

usage: nova-driver.py unpatched|patched NODEFILE INFO.json OUTDIR
  INFO.json: {"pool": NAME, "size": N, "free": [UUID...], "held": UUID, "instance": UUID, "rc": RESOURCE-CLASS}
  OUTDIR: where the guest XML Nova writes is left (guest.xml), for the schema and the hook
"""
import json
import os
import sys
import types
from unittest import mock

MODE, NODEFILE, INFO, OUTDIR = sys.argv[1:5]
PATCHED = MODE == "patched"
info = json.load(open(INFO))


def say(kind, name, why=""):
    print("%s|%s|%s" % (kind, name, " ".join(str(why).split())), flush=True)


def check(name, want, got):
    if want == got:
        say("ok", name)
    else:
        say("notok", name, "expected %r, got %r" % (want, got))


import libvirt  # noqa: E402

import nova.conf  # noqa: E402
from nova import exception  # noqa: E402
from nova import objects  # noqa: E402
from nova.compute import provider_tree  # noqa: E402
from nova.virt import fake  # noqa: E402
from nova.virt.libvirt import config as vconfig  # noqa: E402
from nova.virt.libvirt import driver as libvirt_driver  # noqa: E402

objects.register_all()
CONF = nova.conf.CONF
CONF([], project="nova", default_config_files=[])
CONF.set_override("connection_uri", "test://" + os.path.abspath(NODEFILE), "libvirt")
CONF.set_override("virt_type", "kvm", "libvirt")
CONF.set_override("enabled_mdev_types", ["vfio_ap-passthrough"], "devices")
nova.conf.devices.register_dynamic_opts(CONF)
where = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(libvirt_driver.__file__))))
check("%s Nova is loaded from %s" % (MODE, where), not PATCHED, where == "/usr/lib/python3/dist-packages")

MEMBER_NAMES = ["mdev_%s_matrix" % u.replace("-", "_") for u in info["free"] + [info["held"]]]


def new_driver():
    return libvirt_driver.LibvirtDriver(fake.FakeVirtAPI(), False)


def guest_config(drvr, mdevs, models=None):
    """A guest of Nova's own config classes with the mdevs added as the driver adds them"""
    guest = vconfig.LibvirtConfigGuest()
    guest.virt_type = "kvm"
    guest.name = "instance-00000001"
    guest.uuid = info["instance"]
    guest.memory = 524288
    guest.vcpus = 1
    guest.os_type = "hvm"
    if models is not None:
        drvr._guest_add_mdevs(guest, mdevs, models)
    else:
        drvr._guest_add_mdevs(guest, mdevs)
    return guest


def mdev_models(xml):
    cfg = vconfig.LibvirtConfigGuest()
    cfg.parse_str(xml)
    return sorted((d.uuid, d.model) for d in cfg.devices if isinstance(d, vconfig.LibvirtConfigGuestHostdevMDEV))


def rewrite(drvr, operation):
    """Runs the driver's own _hard_reboot or rescue of the instance that holds a member, with what would touch disks,
    images and networks mocked, at a moment when the member's type cannot be looked up (its mdev not there: an AP
    mdev that the guest's start brings up again); returns the guest XML it would start"""
    instance = types.SimpleNamespace(uuid=info["instance"], name="instance-00000001", image_ref="image",
                                     kernel_id=None, ramdisk_id=None, image_meta=objects.ImageMeta.from_dict({}))
    started = {}
    has_models = "mdev_models" in drvr._get_guest_config.__code__.co_varnames

    def fake_config(instance, network_info, image_meta, disk_info, rescue=None, block_device_info=None,
                    context=None, mdevs=None, accel_info=None, mdev_models=None):
        return guest_config(drvr, mdevs or [], mdev_models if has_models else None)

    def gone(devname):
        raise libvirt.libvirtError("Node device not found: no node device with matching name '%s'" % devname)

    common = [mock.patch.object(drvr, "_get_guest_config", side_effect=fake_config),
              mock.patch.object(drvr, "_get_mediated_device_information", side_effect=gone),
              mock.patch.object(libvirt_driver.libvirt_utils, "get_instance_path", return_value=OUTDIR),
              mock.patch.object(libvirt_driver.blockinfo, "get_disk_info", return_value={"mapping": {}})]
    if operation == "hard reboot":
        extra = [mock.patch.object(drvr, "destroy"),
                 mock.patch.object(drvr, "_create_guest_with_network",
                                   side_effect=lambda ctx, xml, *a, **k: started.setdefault("xml", xml)),
                 mock.patch.object(drvr, "get_info",
                                   return_value=types.SimpleNamespace(state=libvirt_driver.power_state.RUNNING))]
    else:
        extra = [mock.patch.object(drvr, "_create_image"), mock.patch.object(drvr, "_destroy"),
                 mock.patch.object(drvr, "_create_guest",
                                   side_effect=lambda ctx, xml, *a, **k: started.setdefault("xml", xml))]
    patches = common + extra
    for p in patches:
        p.start()
    try:
        ctx = types.SimpleNamespace(auth_token=None)
        if operation == "hard reboot":
            drvr._hard_reboot(ctx, instance, [], block_device_info=None)
        else:
            drvr.rescue(ctx, instance, [], objects.ImageMeta.from_dict({}), "secret", None)
    finally:
        for p in reversed(patches):
            p.stop()
    return started.get("xml", "")


held = [(info["held"], "vfio-ap")]

if not PATCHED:
    # ---- Nova as Debian ships it: what the project's patches fix ---------------------------------------------------
    drvr = new_driver()
    check("unpatched: Nova lists ap_matrix as an mdev-capable parent", ["ap_matrix"],
          drvr._host.list_mdev_capable_devices())
    drvr.supported_vgpu_types = drvr._get_supported_vgpu_types()
    try:
        drvr._get_gpu_inventories()
        say("notok", "unpatched: the resource update crashes on the ap_matrix parent",
            "it no longer does: this Nova parses non-PCI mdev parents; patches 1 and 2 may be upstream now")
    except AttributeError as e:
        check("unpatched: the resource update crashes on the ap_matrix parent (" + str(e) + ")", True,
              "vendor_id" in str(e))
    check("unpatched: the pool's mdevs are listed with parent ap_matrix", sorted(MEMBER_NAMES),
          sorted(d["dev_id"] for d in drvr._get_mediated_devices() if d["parent"] == "ap_matrix"))
    xml = guest_config(drvr, [info["free"][0]]).to_xml()
    check("unpatched: an AP mdev is attached as vfio-pci, which libvirt refuses", [(info["free"][0], "vfio-pci")],
          mdev_models(xml))
    check("unpatched: a hard reboot rewrites the guest's vfio-ap hostdev as vfio-pci", [(info["held"], "vfio-pci")],
          mdev_models(rewrite(drvr, "hard reboot")))
    CONF.set_override("device_addresses", ["ap_matrix"], "mdev_vfio_ap-passthrough")
    try:
        new_driver()
        say("notok", "unpatched: [mdev_vfio_ap-passthrough] device_addresses = ap_matrix is refused",
            "it is taken")
    except exception.InvalidLibvirtMdevConfig as e:
        say("ok", "unpatched: [mdev_vfio_ap-passthrough] device_addresses = ap_matrix is refused (%s)" % e)
    sys.exit(0)

# ---- patched Nova -------------------------------------------------------------------------------------------------
CONF.set_override("device_addresses", ["ap_matrix"], "mdev_vfio_ap-passthrough")
CONF.set_override("mdev_class", info["rc"], "mdev_vfio_ap-passthrough")
drvr = new_driver()
check("patched: the vfio-ap type of ap_matrix is seen, with its device API",
      [("ap_matrix", None, ["vfio_ap-passthrough"], "vfio-ap")],
      [(d["dev_id"], d["vendor_id"], sorted(d["types"]), d["types"]["vfio_ap-passthrough"]["deviceAPI"])
       for d in drvr._get_mdev_capable_devices()])
inv = drvr._get_gpu_inventories()
check("patched: the inventory is the pool's mdevs (not availableInstances), one a guest",
      {"ap_matrix": {"total": info["size"], "min_unit": 1, "max_unit": 1, "step_size": 1, "reserved": 0,
                     "allocation_ratio": 1.0}}, inv)
check("patched: the mdevs Nova may hand out are the pool's free members, as apmatrix pool show says",
      sorted(info["free"]), sorted(drvr._get_existing_mdevs_not_assigned(None, ["vfio_ap-passthrough"])))

# the provider tree as the resource tracker has it: the compute node, and the child Nova makes for ap_matrix
pt = provider_tree.ProviderTree()
root_uuid = "4f1b1c0e-0000-4000-8000-000000000001"
pt.new_root("node1", root_uuid)
drvr._update_provider_tree_for_vgpu(pt, "node1")
child = pt.data("node1_ap_matrix")
check("patched: the provider tree gets a child node1_ap_matrix with that inventory in the pool's resource class",
      {info["rc"]: inv["ap_matrix"]}, dict(child.inventory))
drvr.provider_tree = pt
with mock.patch("nova.privsep.libvirt.create_mdev") as create:
    chosen = drvr._allocate_mdevs({child.uuid: {"resources": {info["rc"]: 1}}})
    check("patched: an instance is allocated one free member", (1, True, False),
          (len(chosen or []), bool(chosen) and chosen[0] in info["free"], create.called))
    with mock.patch.object(drvr, "_get_existing_mdevs_not_assigned", return_value=set()):
        try:
            drvr._allocate_mdevs({child.uuid: {"resources": {info["rc"]: 1}}})
            say("notok", "patched: with no free member the allocation fails, and no empty AP mdev is created",
                "an mdev was allocated")
        except exception.ComputeResourcesUnavailable:
            check("patched: with no free member the allocation fails, and no empty AP mdev is created", False,
                  create.called)

xml = guest_config(drvr, chosen).to_xml()
check("patched: the guest XML attaches the member as <hostdev type='mdev' model='vfio-ap'>", [(chosen[0], "vfio-ap")],
      mdev_models(xml))
with open(os.path.join(OUTDIR, "guest.xml"), "w") as f:
    f.write(xml)
with open(os.path.join(OUTDIR, "chosen"), "w") as f:
    f.write(chosen[0] + "\n")
check("patched: a hard reboot keeps the guest's vfio-ap hostdev, though its type cannot be looked up then", held,
      mdev_models(rewrite(drvr, "hard reboot")))
check("patched: a rescue keeps it too", held, mdev_models(rewrite(drvr, "rescue")))

# start-up: the inactive mdevs of the enabled type are started, others left alone (libvirt's test driver lists no
# inactive node devices, so the listing is Nova's host object answering with two defined mdevs)
def defined(uuid, mdev_type):
    dev = mock.Mock()
    dev.name.return_value = "mdev_%s_matrix" % uuid.replace("-", "_")
    dev.XMLDesc.return_value = ("<device><name>%s</name><parent>ap_matrix</parent><capability type='mdev'>"
                                "<type id='%s'/><uuid>%s</uuid></capability></device>"
                                % (dev.name.return_value, mdev_type, uuid))
    return dev


ours = defined("8d4a0d2e-0000-4000-8000-000000000001", "vfio_ap-passthrough")
theirs = defined("8d4a0d2e-0000-4000-8000-000000000002", "nvidia-35")
with mock.patch.object(drvr._host, "list_all_devices", return_value=[ours, theirs]) as listing:
    drvr._start_inactive_mediated_devices()
    check("patched: at start-up the inactive mdevs of the enabled types are started, and only those",
          (True, True, False),
          (bool(listing.call_args[0][0] & libvirt.VIR_CONNECT_LIST_NODE_DEVICES_INACTIVE), ours.create.called,
           theirs.create.called))
