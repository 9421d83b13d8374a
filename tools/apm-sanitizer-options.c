/* apm-sanitizer-options.c: AddressSanitizer's defaults for the programs that libvirt starts (the QEMU hook, and
 * apsim's emulator), which get an environment of libvirt's making without ASAN_OPTIONS. Under `apsim exec` the
 * statfs shim is preloaded ahead of the sanitizer's runtime, which the runtime would refuse. Nothing reads this
 * in a build without AddressSanitizer. */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
    return "verify_asan_link_order=0";
}
