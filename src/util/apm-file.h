/* apm-file.h: reading files that someone other than root may control (guest folders, libvirt's status files,
 * udev rules, records under /run), without following links, blocking or reading without bound */
#pragma once

#include <glib.h>
#include <sys/types.h>

typedef enum {
    APM_FILE_ANY_OWNER = 0,
    /* owned by root or by the owner of the folder it is in, and with one link only: a user who can write the
     * folder cannot make root read another user's (or root's) file through a hard link */
    APM_FILE_FOLDER_OWNER = 1 << 0,
} ApmFileFlags;

/* Reads path: not through a symbolic link (refused), never waiting on a FIFO or device (only a regular file is
 * read), at most max bytes (refused from its size before reading, and again while reading). A missing file is
 * APM_ERROR_NOT_FOUND; every refusal names the file and what was wrong with it. The text is NUL-terminated;
 * length (may be NULL) gets its size. */
char *apm_file_read_untrusted(const char *path, gsize max, ApmFileFlags flags, gsize *length, GError **error);

/* Writes text to path atomically: a hidden temporary file in the same folder (".NAME.XXXXXXXX.tmp", which no
 * reader of a folder of UUIDs or names takes), the explicit mode whatever the umask, fsync, rename over path,
 * fsync of the folder. Readers see the old file or the new one, never a part; a kill leaves at most the hidden
 * temporary file. The folder must exist. */
gboolean apm_file_write_atomic(const char *path, const char *text, gsize length, mode_t mode, GError **error);
