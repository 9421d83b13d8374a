/* fuzz-glib.h: what every fuzz target shares: a GLib warning or critical is a finding too (a GError set twice,
 * a failed g_return_if_fail), and it aborts so that libFuzzer keeps the input that caused it */
#pragma once

#include <glib.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);

static GLogWriterOutput
fuzz_fatal_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    g_log_writer_standard_streams(level, fields, n_fields, data);
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        abort();
    return G_LOG_WRITER_HANDLED;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    g_log_set_writer_func(fuzz_fatal_writer, NULL, NULL);
    return 0;
}
