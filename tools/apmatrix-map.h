/* apmatrix-map.h: the three forms of `apmatrix matrix`: a text grid (colour on a terminal, folded to the
 * width), JSON for scripts, and an SVG picture for reports */
#pragma once

#include "apm-jsonio.h"
#include <stdio.h>

#include "apm-map.h"

typedef struct {
    gboolean colour;   /* ANSI colours */
    guint width;       /* columns to fit; wider hosts are folded into bands of domains */
    const char *title; /* the first line */
} ApmMapTextOptions;

void apm_map_print_text(const ApmMap *map, const ApmMapTextOptions *options, FILE *out);
void apm_map_build_json(const ApmMap *map, JsonBuilder *b);
char *apm_map_to_svg(const ApmMap *map, const char *title);
