/* apmatrix-map.c: text, JSON and SVG forms of the AP matrix map */
#include "config.h"
#include "apmatrix-map.h"

#include <string.h>

#include "apm-apqn.h"
#include "apm-i18n.h"

#define LABEL_WIDTH 10 /* "05 CEX8C  " */

static const char *
card_type(const ApmHost *host, guint adapter)
{
    for (guint i = 0; i < host->cards->len; i++) {
        const ApmCardInfo *c = g_ptr_array_index(host->cards, i);

        if (c->id == adapter)
            return c->type ? c->type : "?";
    }
    return "-";
}

static const char *
state_colour(ApmCellState state)
{
    switch (state) {
    case APM_CELL_HOST:
    case APM_CELL_HOST_OFFLINE:
        return "\033[2m";
    case APM_CELL_UNBOUND:
        return "\033[35m";
    case APM_CELL_FREE:
        return "\033[1m";
    case APM_CELL_ASSIGNED:
        return "\033[30;46m";
    case APM_CELL_IN_USE:
        return "\033[30;42m";
    case APM_CELL_FILTERED:
        return "\033[97;41m";
    case APM_CELL_OVERPROVISIONED:
        return "\033[30;43m";
    default:
        return NULL;
    }
}

static void
put_cell(GString *line, char c, ApmCellState state, gboolean colour)
{
    const char *sgr = colour ? state_colour(state) : NULL;

    if (sgr)
        g_string_append_printf(line, "%s%c\033[0m", sgr, c);
    else
        g_string_append_c(line, c);
}

static void
put_line(GString *line, FILE *out)
{
    /* no trailing blanks: golden files and mail stay clean */
    while (line->len && line->str[line->len - 1] == ' ')
        g_string_truncate(line, line->len - 1);
    fprintf(out, "%s\n", line->str);
    g_string_truncate(line, 0);
}

/* text folded at spaces to width columns, the lines after the first indented by indent */
static void
put_wrapped(FILE *out, const char *text, guint indent, guint width)
{
    const char *p = text;
    guint col = 0, room = width;

    while (*p) {
        const char *end = strchr(p, ' ');
        gsize len = end ? (gsize) (end - p) : strlen(p);

        if (col > 0 && col + 1 + len > room) {
            fprintf(out, "\n%*s", (int) indent, "");
            col = indent;
        } else if (col > 0) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, len, out);
        col += len;
        p += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

static char *
mdev_owner_words(const ApmMapMdev *mm)
{
    if (mm->mdev->guest)
        return g_strdup_printf(_("guest %s (running)"), mm->mdev->guest);
    if (mm->attached)
        return g_strdup(_("a running guest"));
    return g_strdup(_("no guest"));
}

void
apm_map_print_text(const ApmMap *map, const ApmMapTextOptions *options, FILE *out)
{
    g_autoptr(GString) line = g_string_new(NULL);
    g_autoptr(GArray) columns = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GPtrArray) notes = apm_map_notes(map);
    guint per_band, groups;
    gboolean colour = options->colour;

    APM_MASK_FOREACH(d, &map->domains) {
        guint id = d;

        g_array_append_val(columns, id);
    }
    /* each band: the label, then groups of 16 columns with a blank between them */
    groups = options->width > LABEL_WIDTH + 17 ? (options->width - LABEL_WIDTH + 1) / 17 : 1;
    per_band = groups * 16;
    put_wrapped(out, options->title, 2, options->width);
    if (columns->len == 0 || apm_mask_is_empty(&map->adapters))
        fprintf(out, "%s\n", _("(no adapters or domains to show)"));
    for (guint start = 0; start < columns->len; start += per_band) {
        guint end = MIN(start + per_band, columns->len);

        fprintf(out, "\n");
        if (columns->len > per_band) {
            fprintf(out, _("Domains 0x%02x-0x%02x:\n"), g_array_index(columns, guint, start),
                     g_array_index(columns, guint, end - 1));
        }
        for (guint nibble = 0; nibble < 2; nibble++) {
            g_string_append_printf(line, "%-*s", LABEL_WIDTH, nibble == 0 ? _("domain") : "");
            for (guint c = start; c < end; c++) {
                guint id = g_array_index(columns, guint, c);

                if (c > start && (c - start) % 16 == 0)
                    g_string_append_c(line, ' ');
                g_string_append_c(line, "0123456789abcdef"[nibble == 0 ? id >> 4 : id & 0xf]);
            }
            put_line(line, out);
        }
        APM_MASK_FOREACH(a, &map->adapters) {
            g_autofree char *label = g_strdup_printf("%02x %.6s", a, card_type(map->host, a));

            g_string_append_printf(line, "%-*s", LABEL_WIDTH, label);
            for (guint c = start; c < end; c++) {
                const ApmMapCell *cell = apm_map_cell(map, a, g_array_index(columns, guint, c));

                if (c > start && (c - start) % 16 == 0)
                    g_string_append_c(line, ' ');
                put_cell(line, apm_map_cell_char(map, cell), cell->state, colour);
            }
            put_line(line, out);
        }
        /* control domains, under the domain columns, a row per mdev that has any there */
        for (guint i = 0; i < map->mdevs->len; i++) {
            const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);
            g_autofree char *label = g_strdup_printf(_("ctrl %c"), mm->symbol);
            gboolean has_any = FALSE;
            guint k;
            ApmMask shown;

            apm_mask_and(&shown, &mm->mdev->matrix.control_domains, &map->domains);
            for (k = start; mm->shown && k < end && !has_any; k++)
                has_any = apm_mask_test(&shown, g_array_index(columns, guint, k));
            if (!has_any)
                continue;
            g_string_append_printf(line, "%-*s", LABEL_WIDTH, label);
            for (guint c = start; c < end; c++) {
                gboolean has = apm_mask_test(&shown, g_array_index(columns, guint, c));

                if (c > start && (c - start) % 16 == 0)
                    g_string_append_c(line, ' ');
                put_cell(line, has ? mm->symbol : ' ', mm->attached ? APM_CELL_IN_USE : APM_CELL_ASSIGNED,
                         colour && has);
            }
            put_line(line, out);
        }
    }
    fprintf(out, "\n%s\n", _("Legend:"));
    for (guint s = APM_CELL_HOST; s <= APM_CELL_OVERPROVISIONED; s++) {
        ApmMapCell sample = { .state = s };

        if (!map->counts[s] || s == APM_CELL_ASSIGNED || s == APM_CELL_IN_USE)
            continue;
        g_string_append(line, "  ");
        put_cell(line, apm_map_cell_char(map, &sample), s, colour);
        g_string_append_printf(line, "  %s (%u)", apm_map_state_words(s), map->counts[s]);
        put_line(line, out);
    }
    if (map->counts[APM_CELL_NONE])
        fprintf(out, "     %s (%u)\n", _("blank: no queue"), map->counts[APM_CELL_NONE]);
    if (map->counts[APM_CELL_IN_USE] || map->counts[APM_CELL_ASSIGNED])
        fprintf(out, "  %s\n", _("A letter: assigned to that mdev; in use when its guest runs"));
    for (guint i = 0; i < map->mdevs->len; i++) {
        const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);
        char uuid[APM_UUID_TEXT_LEN + 1];
        g_autofree char *owner = mdev_owner_words(mm);
        g_autofree char *cd = apm_mask_format_list(&mm->mdev->matrix.control_domains, APM_LIST_HEX);
        guint apqns = apm_matrix_apqn_count(&mm->mdev->matrix);
        guint given = apm_matrix_apqn_count(&mm->mdev->guest_matrix);

        if (!mm->shown)
            continue;
        g_string_append(line, "  ");
        put_cell(line, mm->symbol, mm->attached ? APM_CELL_IN_USE : APM_CELL_ASSIGNED, colour);
        g_string_append_printf(line, _("  mdev %s, %s"), apm_uuid_format(&mm->mdev->uuid, uuid), owner);
        put_line(line, out);
        fprintf(out, mm->attached ? _("     %u of %u APQNs in the guest; control domains %s\n")
                                  : _("     %u of %u APQNs would reach a guest; control domains %s\n"),
                given, apqns, *cd ? cd : "-");
    }
    if (notes->len) {
        fprintf(out, "\n%s\n", _("Not in the guests:"));
        for (guint i = 0; i < notes->len; i++) {
            fputs("  ", out);
            put_wrapped(out, g_ptr_array_index(notes, i), 5, options->width - 2);
        }
    }
}

/* ---- JSON ---------------------------------------------------------------------------------------------- */

static void
json_ids(JsonBuilder *b, const char *member, const ApmMask *mask)
{
    json_builder_set_member_name(b, member);
    json_builder_begin_array(b);
    APM_MASK_FOREACH(id, mask) {
        json_builder_add_int_value(b, id);
    }
    json_builder_end_array(b);
}

static void
json_string_or_null(JsonBuilder *b, const char *member, const char *value)
{
    json_builder_set_member_name(b, member);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

void
apm_map_build_json(const ApmMap *map, JsonBuilder *b)
{
    const ApmHost *host = map->host;
    char hex[APM_MASK_HEX_LEN + 1];

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "host");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "max_adapter_id");
    json_builder_add_int_value(b, host->max_adapter_id);
    json_builder_set_member_name(b, "max_domain_id");
    json_builder_add_int_value(b, host->max_domain_id);
    json_ids(b, "adapters", &host->qci.adapters);
    json_ids(b, "domains", &host->qci.domains);
    json_ids(b, "control_domains", &host->qci.control_domains);
    json_builder_set_member_name(b, "apmask");
    json_builder_add_string_value(b, apm_mask_format_hex(&host->apmask, hex));
    json_builder_set_member_name(b, "aqmask");
    json_builder_add_string_value(b, apm_mask_format_hex(&host->aqmask, hex));
    json_builder_end_object(b);
    json_ids(b, "rows", &map->adapters);
    json_ids(b, "columns", &map->domains);
    json_builder_set_member_name(b, "mdevs");
    json_builder_begin_array(b);
    for (guint i = 0; i < map->mdevs->len; i++) {
        const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);
        char uuid[APM_UUID_TEXT_LEN + 1], symbol[2] = { mm->symbol, 0 };

        if (!mm->shown)
            continue;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "symbol");
        json_builder_add_string_value(b, symbol);
        json_builder_set_member_name(b, "uuid");
        json_builder_add_string_value(b, apm_uuid_format(&mm->mdev->uuid, uuid));
        json_string_or_null(b, "guest", mm->mdev->guest);
        json_builder_set_member_name(b, "attached");
        json_builder_add_boolean_value(b, mm->attached);
        json_ids(b, "adapters", &mm->mdev->matrix.adapters);
        json_ids(b, "domains", &mm->mdev->matrix.domains);
        json_ids(b, "control_domains", &mm->mdev->matrix.control_domains);
        json_ids(b, "guest_adapters", &mm->mdev->guest_matrix.adapters);
        json_ids(b, "guest_domains", &mm->mdev->guest_matrix.domains);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "cells");
    json_builder_begin_array(b);
    APM_MASK_FOREACH(a, &map->adapters) {
        APM_MASK_FOREACH(d, &map->domains) {
            const ApmMapCell *cell = apm_map_cell(map, a, d);
            const ApmMapMdev *mm = apm_map_cell_mdev(map, cell);
            const ApmQueueInfo *q = apm_host_queue(host, (ApmApqn) { a, d });
            char apqn[APM_APQN_TEXT_LEN + 1], uuid[APM_UUID_TEXT_LEN + 1];
            g_autofree char *reason = NULL;

            if (cell->state == APM_CELL_NONE)
                continue;
            reason = apm_map_cell_reason(map, a, d);
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "apqn");
            json_builder_add_string_value(b, apm_apqn_format((ApmApqn) { a, d }, apqn));
            json_builder_set_member_name(b, "state");
            json_builder_add_string_value(b, apm_map_state_name(cell->state));
            json_string_or_null(b, "driver", q ? q->driver_name : NULL);
            json_string_or_null(b, "mdev", mm ? apm_uuid_format(&mm->mdev->uuid, uuid) : NULL);
            json_string_or_null(b, "guest", mm ? mm->mdev->guest : NULL);
            json_string_or_null(b, "reason", reason);
            json_builder_end_object(b);
        }
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

/* ---- SVG ----------------------------------------------------------------------------------------------- */

#define CELL 16
#define LEFT 112
#define TOP 64

/* a colour per mdev, none of them the red of "filtered" or the yellow of "over-provisioned" */
static const guint32 palette[] = { 0x1f77b4, 0x2ca02c, 0x9467bd, 0x8c564b, 0xe377c2, 0x17becf,
                                   0x3f51b5, 0x009688, 0x795548, 0x607d8b, 0x6d4c41, 0x00838f };

static guint32
lighter(guint32 rgb)
{
    guint r = ((rgb >> 16) & 0xff), g = ((rgb >> 8) & 0xff), b = rgb & 0xff;

    return ((r + 255) / 2) << 16 | ((g + 255) / 2) << 8 | (b + 255) / 2;
}

static guint32
cell_fill(const ApmMap *map, const ApmMapCell *cell)
{
    switch ((ApmCellState) cell->state) {
    case APM_CELL_HOST:
        return 0xdddddd;
    case APM_CELL_HOST_OFFLINE:
        return 0x9e9e9e;
    case APM_CELL_UNBOUND:
        return 0xe040fb;
    case APM_CELL_FREE:
        return 0xffe0b2;
    case APM_CELL_IN_USE:
        return palette[(cell->mdev - 1) % G_N_ELEMENTS(palette)];
    case APM_CELL_ASSIGNED:
        return lighter(palette[(cell->mdev - 1) % G_N_ELEMENTS(palette)]);
    case APM_CELL_FILTERED:
        return 0xff5252;
    case APM_CELL_OVERPROVISIONED:
        return 0xffee58;
    case APM_CELL_NONE:
    default:
        return 0xffffff;
    }
}

static void
svg_text(GString *svg, double x, double y, const char *attrs, const char *text)
{
    g_autofree char *escaped = g_markup_escape_text(text, -1);

    g_string_append_printf(svg, "<text x=\"%.1f\" y=\"%.1f\"%s%s>%s</text>\n", x, y, attrs ? " " : "",
                           attrs ? attrs : "", escaped);
}

static void
svg_swatch(GString *svg, double x, double y, guint32 fill, const char *symbol, const char *words)
{
    g_string_append_printf(svg,
                           "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#%06x\" "
                           "stroke=\"#888888\" stroke-width=\"0.5\"/>\n",
                           x, y, CELL, CELL, fill);
    if (symbol)
        svg_text(svg, x + CELL / 2.0, y + CELL - 4, "text-anchor=\"middle\" font-weight=\"bold\"", symbol);
    svg_text(svg, x + CELL + 8, y + CELL - 4, NULL, words);
}

char *
apm_map_to_svg(const ApmMap *map, const char *title)
{
    GString *svg = g_string_new(NULL);
    g_autoptr(GString) body = g_string_new(NULL);
    g_autoptr(GPtrArray) notes = apm_map_notes(map);
    guint cols = apm_mask_count(&map->domains), rows = apm_mask_count(&map->adapters), row = 0, col;
    guint ctrl_rows = 0;
    double width, height, y;

    /* the cells */
    APM_MASK_FOREACH(a, &map->adapters) {
        g_autofree char *label = g_strdup_printf("%02x %s", a, card_type(map->host, a));
        double cy = TOP + row * CELL;

        svg_text(body, LEFT - 6, cy + CELL - 4, "text-anchor=\"end\"", label);
        col = 0;
        APM_MASK_FOREACH(d, &map->domains) {
            const ApmMapCell *cell = apm_map_cell(map, a, d);
            const ApmMapMdev *mm = apm_map_cell_mdev(map, cell);
            double cx = LEFT + col * CELL;
            char apqn[APM_APQN_TEXT_LEN + 1], uuid[APM_UUID_TEXT_LEN + 1];
            g_autofree char *reason = apm_map_cell_reason(map, a, d);
            g_autofree char *tip = NULL, *tip_escaped = NULL;

            apm_apqn_format((ApmApqn) { a, d }, apqn);
            if (mm)
                tip = g_strdup_printf("%s: %s, mdev %s%s%s%s%s", apqn, apm_map_state_words(cell->state),
                                      apm_uuid_format(&mm->mdev->uuid, uuid), mm->mdev->guest ? ", guest " : "",
                                      mm->mdev->guest ? mm->mdev->guest : "", reason ? ": " : "", reason ? reason : "");
            else
                tip = g_strdup_printf("%s: %s", apqn, apm_map_state_words(cell->state));
            tip_escaped = g_markup_escape_text(tip, -1);
            g_string_append_printf(body,
                                   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#%06x\" "
                                   "stroke=\"#bbbbbb\" stroke-width=\"0.5\" data-apqn=\"%s\" data-state=\"%s\">"
                                   "<title>%s</title></rect>\n",
                                   cx, cy, CELL, CELL, cell_fill(map, cell), apqn, apm_map_state_name(cell->state),
                                   tip_escaped);
            if (mm) {
                char symbol[2] = { mm->symbol, 0 };

                svg_text(body, cx + CELL / 2.0, cy + CELL - 4,
                         cell->state == APM_CELL_IN_USE ? "text-anchor=\"middle\" fill=\"#ffffff\" font-weight=\"bold\""
                                                        : "text-anchor=\"middle\" font-weight=\"bold\"",
                         symbol);
            }
            col++;
        }
        row++;
    }
    /* the control domains of each mdev, under the domain columns */
    for (guint i = 0; i < map->mdevs->len; i++) {
        const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);
        g_autofree char *label = g_strdup_printf(_("ctrl %c"), mm->symbol);
        double cy = TOP + (rows + 1 + ctrl_rows) * CELL;
        char symbol[2] = { mm->symbol, 0 };
        ApmMask shown;

        apm_mask_and(&shown, &mm->mdev->matrix.control_domains, &map->domains);
        if (apm_mask_is_empty(&shown) || !mm->shown)
            continue;
        svg_text(body, LEFT - 6, cy + CELL - 4, "text-anchor=\"end\"", label);
        col = 0;
        APM_MASK_FOREACH(d, &map->domains) {
            if (apm_mask_test(&shown, d)) {
                g_string_append_printf(body,
                                       "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"#%06x\" "
                                       "stroke=\"#bbbbbb\" stroke-width=\"0.5\" data-control-domain=\"%d\" "
                                       "data-mdev=\"%s\"/>\n",
                                       LEFT + col * CELL * 1.0, cy, CELL, CELL,
                                       mm->attached ? palette[i % G_N_ELEMENTS(palette)]
                                                    : lighter(palette[i % G_N_ELEMENTS(palette)]),
                                       d, symbol);
                svg_text(body, LEFT + col * CELL + CELL / 2.0, cy + CELL - 4,
                         mm->attached ? "text-anchor=\"middle\" fill=\"#ffffff\" font-weight=\"bold\""
                                      : "text-anchor=\"middle\" font-weight=\"bold\"",
                         symbol);
            }
            col++;
        }
        ctrl_rows++;
    }
    /* the domain labels, written upwards above their columns */
    col = 0;
    APM_MASK_FOREACH(d, &map->domains) {
        g_autofree char *label = g_strdup_printf("%02x", d);
        double x = LEFT + col * CELL + CELL / 2.0 + 4;

        g_string_append_printf(body, "<text x=\"%.1f\" y=\"%d\" transform=\"rotate(-90 %.1f %d)\">%s</text>\n", x,
                               TOP - 4, x, TOP - 4, label);
        col++;
    }
    svg_text(body, 8, TOP - 6, "font-style=\"italic\"", _("adapter / domain"));
    /* the legend */
    y = TOP + (rows + 1 + ctrl_rows + 1) * CELL;
    svg_text(body, 16, y, "font-weight=\"bold\"", _("Legend"));
    y += 8;
    for (guint s = APM_CELL_HOST; s <= APM_CELL_OVERPROVISIONED; s++) {
        ApmMapCell sample = { .state = s, .mdev = 1 };
        g_autofree char *words = NULL;

        if (!map->counts[s] || s == APM_CELL_ASSIGNED || s == APM_CELL_IN_USE)
            continue;
        words = g_strdup_printf("%s (%u)", apm_map_state_words(s), map->counts[s]);
        svg_swatch(body, 16, y, cell_fill(map, &sample), NULL, words);
        y += CELL + 4;
    }
    for (guint i = 0; i < map->mdevs->len; i++) {
        const ApmMapMdev *mm = g_ptr_array_index(map->mdevs, i);
        guint32 fill = palette[i % G_N_ELEMENTS(palette)];
        char uuid[APM_UUID_TEXT_LEN + 1], symbol[2] = { mm->symbol, 0 };
        g_autofree char *owner = mdev_owner_words(mm);
        g_autofree char *cd = apm_mask_format_list(&mm->mdev->matrix.control_domains, APM_LIST_HEX);
        g_autofree char *words = g_strdup_printf(_("mdev %s, %s; control domains %s"),
                                                 apm_uuid_format(&mm->mdev->uuid, uuid), owner, *cd ? cd : "-");

        if (!mm->shown)
            continue;
        svg_swatch(body, 16, y, mm->attached ? fill : lighter(fill), symbol, words);
        y += CELL + 4;
    }
    if (notes->len) {
        y += 8;
        svg_text(body, 16, y + 4, "font-weight=\"bold\"", _("Not in the guests"));
        y += 10;
        for (guint i = 0; i < notes->len; i++) {
            y += CELL;
            svg_text(body, 16, y, NULL, g_ptr_array_index(notes, i));
        }
    }
    /* a width that holds the grid and the longest legend line (about 6.5 px a character at 12 px) */
    width = MAX(LEFT + cols * CELL + 24.0, 720.0);
    for (guint i = 0; i < notes->len; i++)
        width = MAX(width, 32 + strlen(g_ptr_array_index(notes, i)) * 6.5);
    height = y + 24;
    g_string_append_printf(svg,
                           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                           "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Verdana, sans-serif\" "
                           "font-size=\"11\">\n"
                           "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
                           width, height, width, height, width, height);
    svg_text(svg, 16, 22, "font-size=\"15\" font-weight=\"bold\"", title);
    g_string_append(svg, body->str);
    g_string_append(svg, "</svg>\n");
    return g_string_free(svg, FALSE);
}
