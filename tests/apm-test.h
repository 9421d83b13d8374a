/* apm-test.h: helpers shared by the unit tests */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

/* A private temporary folder, removed with everything in it by apm_test_tmpdir_free. */
char *apm_test_tmpdir_new(void);
void apm_test_tmpdir_free(char *dir);

/* Writes contents to root/relpath, creating folders. */
void apm_test_write_file(const char *root, const char *relpath, const char *contents);

/* The name of an errno value for messages ("EINVAL"), or its number. */
const char *apm_test_errno_name(int err);

/* strcmp for g_ptr_array_sort of strings */
gint apm_test_strcmp_ptr(gconstpointer a, gconstpointer b);
