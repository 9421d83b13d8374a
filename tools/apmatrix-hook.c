/* apmatrix-hook: libvirt QEMU hook for guests with a vfio-ap hostdev. See docs/apmatrix-hook.8.rst.
 *
 * libvirt runs it as `qemu GUEST OPERATION SUB-OPERATION EXTRA` with the domain XML on stdin. On "prepare begin"
 * each vfio-ap mdev is made ready (started from its definition when needed, and checked); on "release end" the
 * mdevs it started are stopped. Every other call is let through. It never calls back into libvirt. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "apm-error.h"
#include "apm-hostdev.h"
#include "apm-hotplug.h"
#include "apm-i18n.h"
#include "apm-sysfs.h"

static int
fail(const char *guest, const char *format, ...) G_GNUC_PRINTF(2, 3);

static int
fail(const char *guest, const char *format, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, format);
    text = g_strdup_vprintf(format, ap);
    va_end(ap);
    /* libvirt shows the hook's stderr in its error: one line per reason */
    {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

        for (guint i = 0; lines[i]; i++)
            g_printerr(_("apmatrix-hook: guest %s: %s\n"), guest, lines[i]);
    }
    return 1;
}

static char *
read_stdin(gsize *length, GError **error)
{
    g_autoptr(GString) text = g_string_new(NULL);
    char buf[65536];
    ssize_t n;

    while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            apm_set_errno_error(error, errno, _("Cannot read the domain XML on standard input: %s"),
                                g_strerror(errno));
            return NULL;
        }
        g_string_append_len(text, buf, n);
        if (text->len > APM_DOMAIN_XML_MAX) {
            g_set_error(error, APM_ERROR, APM_ERROR_INVALID, _("The domain XML is larger than %d MiB"),
                        APM_DOMAIN_XML_MAX / (1024 * 1024));
            return NULL;
        }
    }
    *length = text->len;
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* The options a person gives (libvirt gives none): declared once, parsed and explained by GLib's option parser.
 * libvirt always calls a hook with its four arguments, which are never read as options (a guest's name may
 * begin with '-'). */
static int
parse_options(int argc, char **argv)
{
    gboolean version = FALSE;
    const GOptionEntry entries[] = {
        { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("print the version"), NULL },
        { NULL },
    };
    g_autoptr(GOptionContext) context = g_option_context_new(_("GUEST OPERATION SUB-OPERATION EXTRA < DOMAIN-XML"));
    g_autoptr(GError) error = NULL;

    g_option_context_add_main_entries(context, entries, GETTEXT_PACKAGE);
    g_option_context_set_summary(context, _("libvirt's QEMU hook for vfio-ap hostdevs: on 'prepare begin' the guest's "
                                            "mdev is started from its definition when needed and checked; on 'release "
                                            "end' an mdev started that way is stopped. Other operations pass. The "
                                            "host's root is $APMATRIX_ROOT (default /). See apmatrix-hook(8)."));
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        g_printerr(_("apmatrix-hook: %s\nTry 'apmatrix-hook --help'.\n"), error->message);
        return 2;
    }
    if (version) {
        printf("apmatrix-hook %s\n", PACKAGE_VERSION);
        return 0;
    }
    g_printerr("%s\n", _("apmatrix-hook: libvirt calls it with four arguments: GUEST OPERATION SUB-OPERATION EXTRA"));
    return 2;
}

int
main(int argc, char **argv)
{
    g_autofree char *root = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmDomainInfo) info = NULL;
    g_autoptr(ApmGuestReport) report = apm_guest_report_new();
    const char *guest, *op, *sub;
    gboolean prepare, release;
    ApmHotplug hp;
    gsize length = 0;

    apm_i18n_init();
    if (argc != 5)
        return parse_options(argc, argv);
    guest = argv[1];
    op = argv[2];
    sub = argv[3];
    prepare = g_str_equal(op, "prepare") && g_str_equal(sub, "begin");
    release = g_str_equal(op, "release") && g_str_equal(sub, "end");
    if (!prepare && !release)
        return 0; /* started, stopped, migrate, restore, reconnect, attach: nothing for us */
    xml = read_stdin(&length, &error);
    if (!xml)
        return fail(guest, "%s", error->message);
    info = apm_domain_info_parse(xml, length, _("standard input"), &error);
    if (!info)
        return fail(guest, "%s", error->message);
    if (!g_str_equal(info->name, guest))
        return fail(guest, _("the domain XML on standard input is guest %s's"), info->name);
    if (info->hostdevs->len == 0)
        return 0;
    root = apm_root_resolve(NULL);
    apm_hotplug_init(&hp, root, NULL);
    if (prepare) {
        if (!apm_hotplug_prepare(&hp, guest, info->hostdevs, report, &error))
            return fail(guest, _("cannot start with its vfio-ap device: %s"), error->message);
        for (guint i = 0; i < report->warnings->len; i++)
            g_printerr(_("apmatrix-hook: guest %s: warning: %s\n"), guest, (char *) g_ptr_array_index(report->warnings, i));
        for (guint i = 0; i < report->filtered->len; i++)
            g_printerr(_("apmatrix-hook: guest %s: warning: %s\n"), guest,
                       (char *) g_ptr_array_index(report->filtered, i));
        return 0;
    }
    if (!apm_hotplug_release(&hp, guest, info->hostdevs, report, &error))
        return fail(guest, _("cannot stop the mdev started for it: %s"), error->message);
    return 0;
}
