/* apmatrix-host.c: the whole-host commands of apmatrix: matrix (who has each APQN), mask (the AP bus masks),
 * check (the audit) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "apm-audit.h"
#include "apm-devices.h"
#include "apm-error.h"
#include "apm-hostmask.h"
#include "apm-i18n.h"
#include "apm-map.h"
#include "apm-progress.h"
#include "apmatrix-map.h"
#include "apmatrix.h"

/* The host, read with a progress line on a terminal, and the guests of the back-end added when there is one
 * (required when required is set) */
ApmHost *
read_host_with_guests(const Globals *g, gboolean required, int *code)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ApmHost) host = read_host(g, code);
    g_autoptr(ApmGuests) guests = NULL;
    ApmHotplug hp;

    if (!host)
        return NULL;
    guests = open_guests(g, required ? &error : NULL);
    if (!guests) {
        if (required) {
            *code = report_error(g, error, NULL);
            return NULL;
        }
        return g_steal_pointer(&host);
    }
    hotplug_init(g, &hp, guests);
    if (!apm_hotplug_annotate(host, &hp, &error)) {
        if (required) {
            *code = report_error(g, error, NULL);
            return NULL;
        }
        if (!g->json)
            g_printerr(_("apmatrix: warning: the guests are not known: %s\n"), error->message);
    }
    return g_steal_pointer(&host);
}

/* ---- matrix ------------------------------------------------------------------------------------------- */

static guint
terminal_width(void)
{
    struct winsize ws;
    const char *columns = g_getenv("COLUMNS");

    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
        return ws.ws_col;
    if (columns && atoi(columns) >= 40)
        return (guint) atoi(columns);
    return 80;
}

int
cmd_matrix(Globals *g, const ApmArgs *args)
{
    const char *format = apm_args_string(args, "format"), *guest = apm_args_string(args, "guest");
    const char *mdev = apm_args_string(args, "mdev"), *colour = apm_args_string(args, "color");
    ApmMapScope scope = { 0 };
    ApmUuid uuid;
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmMap) map = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *title = NULL;
    int code = EXIT_OK;

    format = format ? format : g->json ? "json" : "text";
    colour = colour ? colour : "auto";
    scope.all = apm_args_bool(args, "all");
    if (mdev) {
        if (!apm_uuid_parse(mdev, &uuid) && !apm_devices_mdev_uuid(mdev, &uuid)) {
            g_set_error(&error, APM_ERROR, APM_ERROR_INVALID, _("'%s' is neither a UUID nor an mdev node device name"),
                        mdev);
            return report_error(g, error, NULL);
        }
        scope.mdev = &uuid;
    }
    if (guest && !apm_guest_name_check(guest, &error))
        return report_error(g, error, NULL);
    host = read_host_with_guests(g, guest != NULL, &code);
    if (!host)
        return code;
    if (guest) {
        const ApmMdevInfo *found = NULL;

        for (guint i = 0; i < host->mdevs->len && !found; i++) {
            const ApmMdevInfo *m = g_ptr_array_index(host->mdevs, i);

            if (m->guest && g_str_equal(m->guest, guest))
                found = m;
        }
        if (!found) {
            g_set_error(&error, APM_ERROR, APM_ERROR_NOT_FOUND,
                        _("Guest %s holds no active vfio-ap mdev (is it running? apmatrix list shows its device)"),
                        guest);
            return report_error(g, error, NULL);
        }
        uuid = found->uuid;
        scope.mdev = &uuid;
    }
    map = apm_map_new(host, &scope, &error);
    if (!map)
        return report_error(g, error, NULL);
    if (scope.mdev) {
        char text[APM_UUID_TEXT_LEN + 1];
        const ApmMdevInfo *m = apm_host_mdev(host, scope.mdev);

        apm_uuid_format(scope.mdev, text);
        title = m->guest ? g_strdup_printf(_("AP crypto matrix of guest %s (mdev %s)"), m->guest, text)
                         : g_strdup_printf(_("AP crypto matrix of mdev %s"), text);
    } else if (scope.all) {
        title = g_strdup_printf(_("AP crypto matrix, every ID: %u adapters x %u domains (%u x %u configured)"),
                                apm_mask_count(&map->adapters), apm_mask_count(&map->domains),
                                apm_mask_count(&host->qci.adapters), apm_mask_count(&host->qci.domains));
    } else {
        title = g_strdup_printf(_("AP crypto matrix: %u adapters x %u domains in the host configuration"),
                                apm_mask_count(&host->qci.adapters), apm_mask_count(&host->qci.domains));
    }
    if (g_str_equal(format, "json")) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        apm_map_build_json(map, b);
        print_json(b);
    } else if (g_str_equal(format, "svg")) {
        g_autofree char *svg = apm_map_to_svg(map, title);

        fputs(svg, stdout);
    } else {
        ApmMapTextOptions options = { .title = title, .width = terminal_width() };

        options.colour = g_str_equal(colour, "always") ||
                         (g_str_equal(colour, "auto") && isatty(STDOUT_FILENO) && !g_getenv("NO_COLOR") &&
                          g_strcmp0(g_getenv("TERM"), "dumb") != 0);
        apm_map_print_text(map, &options, stdout);
    }
    return EXIT_OK;
}

/* ---- mask --------------------------------------------------------------------------------------------- */

static char *
list_or_none(const ApmMask *mask)
{
    char *list = apm_mask_format_list(mask, APM_LIST_HEX);

    if (*list)
        return list;
    g_free(list);
    return g_strdup(_("none"));
}

static void
json_mask(JsonBuilder *b, const char *member, const ApmMask *mask)
{
    char hex[APM_MASK_HEX_LEN + 1];
    g_autofree char *list = apm_mask_format_list(mask, APM_LIST_HEX);

    json_builder_set_member_name(b, member);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "mask");
    json_builder_add_string_value(b, apm_mask_format_hex(mask, hex));
    json_builder_set_member_name(b, "host_ids");
    json_builder_add_string_value(b, list);
    json_builder_end_object(b);
}

static void
print_masks(const char *heading, const ApmMask *apmask, const ApmMask *aqmask)
{
    char hex[APM_MASK_HEX_LEN + 1];
    g_autofree char *a = list_or_none(apmask), *d = list_or_none(aqmask);
    ApmMask all, va, vd;
    g_autofree char *to_vfio_a = NULL, *to_vfio_d = NULL;

    apm_mask_set_all(&all);
    apm_mask_andnot(&va, &all, apmask);
    apm_mask_andnot(&vd, &all, aqmask);
    to_vfio_a = list_or_none(&va);
    to_vfio_d = list_or_none(&vd);
    printf("%s\n", heading);
    printf("  apmask %s\n", apm_mask_format_hex(apmask, hex));
    printf("  aqmask %s\n", apm_mask_format_hex(aqmask, hex));
    printf(_("  adapters for the host's default drivers: %s (the rest for vfio_ap: %s)\n"), a, to_vfio_a);
    printf(_("  domains for the host's default drivers:  %s (the rest for vfio_ap: %s)\n"), d, to_vfio_d);
}

static int
show_masks(const Globals *g, const ApmHost *host)
{
    guint to_host = 0, to_vfio = 0, assigned = 0;
    gboolean same = apm_mask_equal(&host->apmask, &host->persistent_apmask) &&
                    apm_mask_equal(&host->aqmask, &host->persistent_aqmask);

    for (guint i = 0; i < host->queues->len; i++) {
        const ApmQueueInfo *q = g_ptr_array_index(host->queues, i);

        if (apm_hostmask_owns(&host->apmask, &host->aqmask, q->apqn))
            to_host++;
        else
            to_vfio++;
        assigned += apm_host_mdev_for_apqn(host, q->apqn) != NULL;
    }
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "active");
        json_builder_begin_object(b);
        json_mask(b, "apmask", &host->apmask);
        json_mask(b, "aqmask", &host->aqmask);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "persistent");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "file");
        if (host->persistent_masks_from)
            json_builder_add_string_value(b, host->persistent_masks_from);
        else
            json_builder_add_null_value(b);
        json_mask(b, "apmask", &host->persistent_apmask);
        json_mask(b, "aqmask", &host->persistent_aqmask);
        json_builder_end_object(b);
        json_builder_set_member_name(b, "queues_to_host");
        json_builder_add_int_value(b, to_host);
        json_builder_set_member_name(b, "queues_to_vfio_ap");
        json_builder_add_int_value(b, to_vfio);
        json_builder_set_member_name(b, "queues_assigned");
        json_builder_add_int_value(b, assigned);
        json_builder_end_object(b);
        print_json(b);
        return EXIT_OK;
    }
    print_masks(_("Active AP bus masks (/sys/bus/ap):"), &host->apmask, &host->aqmask);
    printf("%s\n", _("  An APQN goes to the host's default drivers when both its adapter and its domain are\n"
                     "  theirs; every other APQN is for vfio_ap."));
    printf(_("  Queues now: %u with the host's default drivers, %u for vfio_ap (%u of them assigned to mdevs)\n"),
           to_host, to_vfio, assigned);
    if (!host->persistent_masks_from)
        printf("%s\n", _("Persistent masks: no 41-ap.rules; the host boots with the kernel's defaults or its command "
                         "line (ap.apmask=, ap.aqmask=)"));
    else if (same)
        printf(_("Persistent masks (%s): the same as the active masks\n"), host->persistent_masks_from);
    else {
        g_autofree char *heading = g_strdup_printf(_("Persistent masks (%s), which differ from the active ones:"),
                                                   host->persistent_masks_from);

        print_masks(heading, &host->persistent_apmask, &host->persistent_aqmask);
    }
    return EXIT_OK;
}

static void
print_change(const char *name, const ApmMask *from, const ApmMask *to, gboolean adapters)
{
    ApmMask gone, come;
    g_autofree char *g = NULL, *c = NULL;

    if (apm_mask_equal(from, to)) {
        printf(_("  %s: unchanged\n"), name);
        return;
    }
    apm_mask_andnot(&gone, from, to);
    apm_mask_andnot(&come, to, from);
    g = list_or_none(&gone);
    c = list_or_none(&come);
    printf(adapters ? _("  %s: adapters leaving the host's default drivers: %s; coming back to them: %s\n")
                    : _("  %s: domains leaving the host's default drivers: %s; coming back to them: %s\n"),
           name, g, c);
}

static int
report_mask_change(const Globals *g, const ApmMaskPlan *plan, gboolean dry_run)
{
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "dry_run");
        json_builder_add_boolean_value(b, dry_run);
        json_mask(b, "apmask", &plan->new_apmask);
        json_mask(b, "aqmask", &plan->new_aqmask);
        json_builder_set_member_name(b, "queues_to_host");
        json_builder_add_int_value(b, plan->to_host);
        json_builder_set_member_name(b, "queues_to_vfio_ap");
        json_builder_add_int_value(b, plan->to_vfio);
        json_builder_set_member_name(b, "persistent");
        json_builder_add_boolean_value(b, plan->persistent);
        json_builder_end_object(b);
        print_json(b);
        return EXIT_OK;
    }
    printf("%s\n", dry_run ? _("The masks would change (dry run: nothing was written):")
                           : _("The masks changed:"));
    print_change("apmask", &plan->apmask, &plan->new_apmask, TRUE);
    print_change("aqmask", &plan->aqmask, &plan->new_aqmask, FALSE);
    printf(dry_run ? _("  %u queues would move to vfio_ap and %u to the host's default drivers\n")
                   : _("  %u queues moved to vfio_ap and %u to the host's default drivers, all bound as the masks "
                       "say\n"),
           plan->to_vfio, plan->to_host);
    if (plan->persistent)
        printf(dry_run ? _("  %s would be written, so that the host boots with these masks\n")
                       : _("  %s is written: the host boots with these masks\n"),
               APM_HOSTMASK_RULES);
    return EXIT_OK;
}

/* Plans and (unless dry_run) carries out a mask change; the caller holds the host config lock unless dry_run */
static int
change_masks(Globals *g, const char *apmask, const char *aqmask, gboolean persistent, gboolean dry_run)
{
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(ApmMaskPlan) plan = NULL;
    g_autoptr(GError) error = NULL;
    int code = EXIT_OK;

    host = read_host_with_guests(g, FALSE, &code);
    if (!host)
        return code;
    if (!host->ap_bus) {
        g_set_error(&error, APM_ERROR, APM_ERROR_NOT_FOUND, _("The host has no AP bus (%s/sys/bus/ap)"),
                    g_str_equal(g->root, "/") ? "" : g->root);
        return report_error(g, error, NULL);
    }
    plan = apm_hostmask_plan(host, apmask, aqmask, persistent, &error);
    if (!plan || !apm_refusals_check(plan->refusals, &error))
        return report_error(g, error, NULL);
    if (apm_mask_equal(&plan->apmask, &plan->new_apmask) && apm_mask_equal(&plan->aqmask, &plan->new_aqmask) &&
        (!persistent || (host->persistent_masks_from &&
                         apm_mask_equal(&plan->persistent_apmask, &plan->new_persistent_apmask) &&
                         apm_mask_equal(&plan->persistent_aqmask, &plan->new_persistent_aqmask)))) {
        if (!g->json)
            printf("%s\n", _("The masks are already so: nothing changed"));
        return g->json ? report_mask_change(g, plan, TRUE) : EXIT_OK;
    }
    if (!dry_run) {
        g_autoptr(ApmProgress) progress = apm_progress_new(_("Waiting for the AP bus to re-bind the queues"));

        if (!apm_hostmask_apply_locked(host, plan, progress, &error))
            return report_error(g, error, NULL);
    }
    return report_mask_change(g, plan, dry_run);
}

int
cmd_mask(Globals *g, const ApmArgs *args)
{
    const char *apmask = apm_args_string(args, "apmask"), *aqmask = apm_args_string(args, "aqmask");
    gboolean persistent = apm_args_bool(args, "persistent"), dry_run = apm_args_bool(args, "dry-run");
    g_autoptr(GError) error = NULL;
    ApmLockfile *lock = NULL;
    int code = EXIT_OK;

    if (!apmask && !aqmask) {
        g_autoptr(ApmHost) host = NULL;

        if (persistent || dry_run)
            return usage_error("%s", _("--persistent and --dry-run go with --apmask or --aqmask"));
        host = read_host(g, &code);
        return host ? show_masks(g, host) : code;
    }
    /* check and change under one hold of the host config lock, as chzdev does */
    if (!dry_run && !(lock = apm_exec_lock(g->root, &g->exec, &error)))
        return report_error(g, error, NULL);
    code = change_masks(g, apmask, aqmask, persistent, dry_run);
    if (lock)
        apm_lockfile_release(lock, NULL);
    return code;
}

/* ---- check -------------------------------------------------------------------------------------------- */

int
cmd_check(Globals *g, const ApmArgs *args)
{
    g_autoptr(ApmHost) host = NULL;
    g_autoptr(GPtrArray) findings = NULL;
    guint errors = 0, warnings = 0;
    int code = EXIT_OK;

    (void) args;
    g->problems_as_findings = TRUE;
    host = read_host_with_guests(g, FALSE, &code);
    if (!host)
        return code;
    findings = apm_audit(host);
    for (guint i = 0; i < findings->len; i++) {
        const ApmFinding *f = g_ptr_array_index(findings, i);

        if (f->severity == APM_FINDING_ERROR)
            errors++;
        else
            warnings++;
    }
    if (g->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "findings");
        json_builder_begin_array(b);
        for (guint i = 0; i < findings->len; i++) {
            const ApmFinding *f = g_ptr_array_index(findings, i);

            json_builder_begin_object(b);
            json_builder_set_member_name(b, "kind");
            json_builder_add_string_value(b, f->kind);
            json_builder_set_member_name(b, "severity");
            json_builder_add_string_value(b, f->severity == APM_FINDING_ERROR ? "error" : "warning");
            json_builder_set_member_name(b, "subject");
            if (f->subject)
                json_builder_add_string_value(b, f->subject);
            else
                json_builder_add_null_value(b);
            json_builder_set_member_name(b, "message");
            json_builder_add_string_value(b, f->message);
            json_builder_set_member_name(b, "fix");
            json_builder_add_string_value(b, f->fix);
            json_builder_end_object(b);
        }
        json_builder_end_array(b);
        json_builder_set_member_name(b, "errors");
        json_builder_add_int_value(b, errors);
        json_builder_set_member_name(b, "warnings");
        json_builder_add_int_value(b, warnings);
        json_builder_end_object(b);
        print_json(b);
    } else {
        for (guint i = 0; i < findings->len; i++) {
            const ApmFinding *f = g_ptr_array_index(findings, i);

            printf("%-8s %s: %s\n", f->severity == APM_FINDING_ERROR ? _("error") : _("warning"), f->kind,
                   f->message);
            printf(_("         fix: %s\n"), f->fix);
        }
        if (findings->len)
            printf(_("%u errors, %u warnings\n"), errors, warnings);
        else
            printf(_("No problems found: %u cards, %u queues, %u mdevs and %u definitions checked\n"),
                   host->cards->len, host->queues->len, host->mdevs->len, host->definitions->len);
    }
    return findings->len ? EXIT_FINDINGS : EXIT_OK;
}
