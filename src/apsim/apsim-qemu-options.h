/* apsim-qemu-options.h: the QEMU command-line options that apsim's QEMU front takes, with the keys of each: what
 * apsim-qemu parses and what query-command-line-options tells libvirt, from one table */
#pragma once

#include <glib.h>

typedef struct {
    const char *name;        /* without the leading dash */
    gboolean arg;            /* it takes a value */
    const char *implied;     /* the key a bare first item of the value stands for, or NULL */
    const char *const *keys; /* the keys of a key=value,... value (NULL-terminated), or NULL */
} ApsimQemuOption;

/* Sorted by name */
const ApsimQemuOption *apsim_qemu_options(guint *n);
const ApsimQemuOption *apsim_qemu_option_find(const char *name);
