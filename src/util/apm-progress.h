/* apm-progress.h: a progress line on a terminal for anything that can take more than a second */
#pragma once

#include <glib.h>

typedef struct _ApmProgress ApmProgress;

/* A progress indicator for "what" ("Reading the AP host"), written to stderr. It shows nothing unless stderr is
 * a terminal, and nothing until the work has taken longer than a second ($APMATRIX_PROGRESS_DELAY_MS changes
 * that, for tests); $APMATRIX_PROGRESS=0 turns it off, =1 shows it on any stderr. Every function accepts NULL. */
ApmProgress *apm_progress_new(const char *what);
/* done out of total (total 0: unknown, a spinner and the elapsed time instead of a percentage) */
void apm_progress_update(ApmProgress *progress, guint64 done, guint64 total);
/* For work that blocks without reporting: a spinner with the elapsed time, drawn by a thread of its own until
 * the progress is freed. No apm_progress_update() may follow. */
void apm_progress_tick(ApmProgress *progress);
/* Clears the line it drew and frees it. */
void apm_progress_free(ApmProgress *progress);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApmProgress, apm_progress_free)
