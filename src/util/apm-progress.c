/* apm-progress.c: a progress line on stderr, drawn only on a terminal and only for slow work */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "apm-progress.h"

struct _ApmProgress {
    char *what;
    gint64 start;      /* monotonic, microseconds */
    gint64 delay;      /* nothing is drawn before start + delay */
    gint64 last_draw;
    guint spin;
    gsize width;       /* characters of the last line drawn, 0 when none is on screen */
    GThread *ticker;   /* apm_progress_tick(): draws until stop is set */
    GMutex lock;
    GCond cond;
    gboolean stop;
};

static gboolean
progress_wanted(void)
{
    const char *force = g_getenv("APMATRIX_PROGRESS");

    if (force && g_str_equal(force, "0"))
        return FALSE;
    if (force && g_str_equal(force, "1"))
        return TRUE;
    return isatty(STDERR_FILENO) == 1;
}

ApmProgress *
apm_progress_new(const char *what)
{
    ApmProgress *p;
    const char *delay = g_getenv("APMATRIX_PROGRESS_DELAY_MS");

    if (!progress_wanted())
        return NULL;
    p = g_new0(ApmProgress, 1);
    p->what = g_strdup(what);
    p->start = g_get_monotonic_time();
    p->delay = (delay ? (gint64) g_ascii_strtoull(delay, NULL, 10) : 1000) * 1000;
    g_mutex_init(&p->lock);
    g_cond_init(&p->cond);
    return p;
}

void
apm_progress_update(ApmProgress *p, guint64 done, guint64 total)
{
    static const char spinner[] = "|/-\\";
    gint64 now = g_get_monotonic_time();
    g_autoptr(GString) line = NULL;

    /* at most ten redraws a second (and the last step), none before the delay */
    if (!p || now - p->start < p->delay ||
        (p->last_draw && now - p->last_draw < 100 * 1000 && !(total && done == total)))
        return;
    p->last_draw = now;
    line = g_string_new(NULL);
    if (total)
        g_string_printf(line, "%s: %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " (%u%%)", p->what, done, total,
                        (guint) (done * 100 / total));
    else
        g_string_printf(line, "%s %c %.1f s", p->what, spinner[p->spin++ % 4], (now - p->start) / 1e6);
    /* pad over what the previous line left */
    while (line->len < p->width)
        g_string_append_c(line, ' ');
    fprintf(stderr, "\r%s", line->str);
    fflush(stderr);
    p->width = line->len;
}

static gpointer
tick(gpointer data)
{
    ApmProgress *p = data;

    g_mutex_lock(&p->lock);
    while (!p->stop) {
        gint64 until = g_get_monotonic_time() + 100 * 1000;

        g_mutex_unlock(&p->lock);
        apm_progress_update(p, 0, 0);
        g_mutex_lock(&p->lock);
        while (!p->stop && g_cond_wait_until(&p->cond, &p->lock, until))
            ;
    }
    g_mutex_unlock(&p->lock);
    return NULL;
}

void
apm_progress_tick(ApmProgress *p)
{
    if (p && !p->ticker)
        p->ticker = g_thread_new("apm-progress", tick, p);
}

void
apm_progress_free(ApmProgress *p)
{
    if (!p)
        return;
    if (p->ticker) {
        g_mutex_lock(&p->lock);
        p->stop = TRUE;
        g_cond_signal(&p->cond);
        g_mutex_unlock(&p->lock);
        g_thread_join(p->ticker);
    }
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->cond);
    if (p->width) {
        fprintf(stderr, "\r%*s\r", (int) p->width, "");
        fflush(stderr);
    }
    g_free(p->what);
    g_free(p);
}
