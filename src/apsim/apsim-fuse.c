/* apsim-fuse.c: libfuse3 operations over the simulated /sys tree. Every request resolves its path afresh, so
 * the tree follows the model as devices come and go; caching is off so that userspace sees each change at
 * once; each write() reaches the attribute's store as one call (direct I/O), as with sysfs. */
#define FUSE_USE_VERSION 312
#include "config.h"
#include "apsim-fuse.h"

#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "apm-error.h"
#include "apm-i18n.h"
#include "apsim-host-private.h"
#include "apsim-sysfs.h"

struct ApsimFuse {
    ApsimHost *host;
    struct fuse *fuse;
    char *mountpoint;
    time_t started;
    pthread_mutex_t handles_lock; /* a leaf: nothing else is taken under it (a pthread mutex, which ThreadSanitizer
                                   * sees; GLib's futex-based GMutex it does not) */
    GHashTable *handles; /* open files; those the kernel had not released when the loop ended are freed at unmount */
};

typedef struct {
    ApsimNode node;
    pthread_mutex_t lock; /* a leaf: reads of one open file one at a time, as the kernel's seq_file does (its
                           * m->lock); two threads may pread one file at once */
    GString *content;
    gboolean filled;
} Handle;

static ApsimFuse *
current(void)
{
    return fuse_get_context()->private_data;
}

static void *
op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void) conn;
    cfg->entry_timeout = 0;
    cfg->attr_timeout = 0;
    cfg->negative_timeout = 0;
    cfg->direct_io = 1;
    cfg->kernel_cache = 0;
    return fuse_get_context()->private_data;
}

/* A node whose device went away answers ENODEV, as a sysfs file held open across a device removal does. */
static gboolean
node_alive(ApsimHost *host, const ApsimNode *node)
{
    gboolean alive = TRUE;

    apm_lock_acquire(&host->devices);
    switch (node->obj.kind) {
    case APSIM_OBJ_CARD:
        alive = host->cards[node->obj.adapter].present;
        break;
    case APSIM_OBJ_QUEUE:
        alive = apsim_queue_slot(host, node->obj.adapter, node->obj.domain)->present;
        break;
    case APSIM_OBJ_MDEV:
        alive = node->obj.mdev && node->obj.mdev->registered;
        break;
    default:
        break;
    }
    apm_lock_release(&host->devices);
    return alive;
}

static int
op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    ApsimFuse *af = current();
    ApsimNode node;

    (void) fi;
    apsim_host_count_fs(af->host, APSIM_FS_GETATTR);
    if (!apsim_sysfs_resolve(af->host, path, &node))
        return -ENOENT;
    memset(st, 0, sizeof(*st));
    st->st_uid = 0;
    st->st_gid = 0;
    st->st_atime = st->st_mtime = st->st_ctime = af->started;
    switch (node.type) {
    case APSIM_NODE_DIR:
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        break;
    case APSIM_NODE_LINK:
        st->st_mode = S_IFLNK | 0777;
        st->st_nlink = 1;
        st->st_size = strlen(node.target);
        break;
    case APSIM_NODE_ATTR:
        st->st_mode = S_IFREG | node.attr->mode;
        st->st_nlink = 1;
        st->st_size = 4096;
        break;
    }
    apsim_sysfs_node_clear(&node);
    return 0;
}

static int
op_readlink(const char *path, char *buf, size_t size)
{
    ApsimNode node;

    apsim_host_count_fs(current()->host, APSIM_FS_READLINK);
    if (!apsim_sysfs_resolve(current()->host, path, &node))
        return -ENOENT;
    if (node.type != APSIM_NODE_LINK) {
        apsim_sysfs_node_clear(&node);
        return -EINVAL;
    }
    g_strlcpy(buf, node.target, size);
    apsim_sysfs_node_clear(&node);
    return 0;
}

static int
op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset, struct fuse_file_info *fi,
           enum fuse_readdir_flags flags)
{
    ApsimFuse *af = current();
    ApsimNode node;
    GArray *entries;

    (void) offset;
    (void) fi;
    (void) flags;
    apsim_host_count_fs(af->host, APSIM_FS_READDIR);
    if (!apsim_sysfs_resolve(af->host, path, &node))
        return -ENOENT;
    if (node.type != APSIM_NODE_DIR) {
        apsim_sysfs_node_clear(&node);
        return -ENOTDIR;
    }
    entries = apsim_sysfs_list(af->host, &node);
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    for (guint i = 0; i < entries->len; i++) {
        ApsimDirEntry *e = &g_array_index(entries, ApsimDirEntry, i);
        struct stat st = { 0 };

        st.st_mode = e->type == APSIM_NODE_DIR ? S_IFDIR : e->type == APSIM_NODE_LINK ? S_IFLNK : S_IFREG;
        if (fill(buf, e->name, &st, 0, 0))
            break;
    }
    apsim_sysfs_entries_free(entries);
    apsim_sysfs_node_clear(&node);
    return 0;
}

static int
op_open(const char *path, struct fuse_file_info *fi)
{
    ApsimFuse *af = current();
    int acc = fi->flags & O_ACCMODE;
    Handle *h = g_new0(Handle, 1);

    apsim_host_count_fs(af->host, APSIM_FS_OPEN);
    if (!apsim_sysfs_resolve(af->host, path, &h->node)) {
        g_free(h);
        return -ENOENT;
    }
    if (h->node.type != APSIM_NODE_ATTR) {
        apsim_sysfs_node_clear(&h->node);
        g_free(h);
        return -EISDIR;
    }
    /* kernfs: EACCES when the attribute lacks the operation asked for; only root may write */
    if (((acc == O_WRONLY || acc == O_RDWR) && (!h->node.attr->store || fuse_get_context()->uid != 0)) ||
        ((acc == O_RDONLY || acc == O_RDWR) && !h->node.attr->show)) {
        apsim_sysfs_node_clear(&h->node);
        g_free(h);
        return -EACCES;
    }
    h->content = g_string_new(NULL);
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_lock(&af->handles_lock);
    g_hash_table_add(af->handles, h);
    pthread_mutex_unlock(&af->handles_lock);
    fi->fh = (uint64_t) (uintptr_t) h;
    fi->direct_io = 1;
    return 0;
}

static int
op_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    ApsimFuse *af = current();
    Handle *h = (Handle *) (uintptr_t) fi->fh;

    (void) path;
    if (!node_alive(af->host, &h->node))
        return -ENODEV;
    pthread_mutex_lock(&h->lock);
    if (!h->filled || offset == 0) {
        int rc;

        apsim_host_count_fs(af->host, APSIM_FS_READ);
        g_string_truncate(h->content, 0);
        rc = apsim_sysfs_read(af->host, &h->node, h->content);
        if (rc < 0) {
            h->filled = FALSE;
            pthread_mutex_unlock(&h->lock);
            return rc;
        }
        h->filled = TRUE;
    }
    if ((gsize) offset >= h->content->len) {
        size = 0;
    } else {
        size = MIN(size, h->content->len - offset);
        memcpy(buf, h->content->str + offset, size);
    }
    pthread_mutex_unlock(&h->lock);
    return (int) size;
}

static int
op_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    ApsimFuse *af = current();
    Handle *h = (Handle *) (uintptr_t) fi->fh;
    int rc;

    (void) path;
    (void) offset;
    apsim_host_count_fs(af->host, APSIM_FS_WRITE);
    if (!node_alive(af->host, &h->node))
        return -ENODEV;
    rc = apsim_sysfs_write(af->host, &h->node, buf, size);
    return rc < 0 ? rc : (int) size;
}

static void
handle_free(Handle *h)
{
    apsim_sysfs_node_clear(&h->node);
    pthread_mutex_destroy(&h->lock);
    g_string_free(h->content, TRUE);
    g_free(h);
}

static void
handle_free_entry(gpointer key, gpointer value, gpointer data)
{
    (void) value;
    (void) data;
    handle_free(key);
}

static int
op_release(const char *path, struct fuse_file_info *fi)
{
    ApsimFuse *af = current();
    Handle *h = (Handle *) (uintptr_t) fi->fh;

    (void) path;
    pthread_mutex_lock(&af->handles_lock);
    g_hash_table_remove(af->handles, h);
    pthread_mutex_unlock(&af->handles_lock);
    handle_free(h);
    return 0;
}

static int
op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    ApsimNode node;
    int rc = 0;

    (void) size;
    (void) fi;
    if (!apsim_sysfs_resolve(current()->host, path, &node))
        return -ENOENT;
    if (node.type != APSIM_NODE_ATTR)
        rc = -EISDIR;
    else if (!node.attr->store)
        rc = -EACCES;
    apsim_sysfs_node_clear(&node);
    return rc; /* `echo x > attr` opens with O_TRUNC, which sysfs ignores */
}

static const struct fuse_operations operations = {
    .init = op_init,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .readdir = op_readdir,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .release = op_release,
    .truncate = op_truncate,
};

ApsimFuse *
apsim_fuse_mount(ApsimHost *host, const char *mountpoint, GError **error)
{
    ApsimFuse *af = g_new0(ApsimFuse, 1);
    char *argv[] = { "apsim", "-o", "fsname=sysfs,subtype=apsim,allow_other", NULL };
    struct fuse_args args = FUSE_ARGS_INIT(3, argv);

    af->host = host;
    af->mountpoint = g_strdup(mountpoint);
    af->started = time(NULL);
    pthread_mutex_init(&af->handles_lock, NULL);
    af->handles = g_hash_table_new(g_direct_hash, g_direct_equal);
    af->fuse = fuse_new(&args, &operations, sizeof(operations), af);
    fuse_opt_free_args(&args);
    if (!af->fuse) {
        g_set_error(error, APM_ERROR, APM_ERROR_IO, _("Cannot create the FUSE file system"));
        g_hash_table_unref(af->handles);
        pthread_mutex_destroy(&af->handles_lock);
        g_free(af->mountpoint);
        g_free(af);
        return NULL;
    }
    if (fuse_mount(af->fuse, mountpoint) != 0) {
        g_set_error(error, APM_ERROR, APM_ERROR_IO,
                    _("Cannot mount the simulated /sys at %s (is /dev/fuse available, and are you root?)"),
                    mountpoint);
        fuse_destroy(af->fuse);
        g_hash_table_unref(af->handles);
        pthread_mutex_destroy(&af->handles_lock);
        g_free(af->mountpoint);
        g_free(af);
        return NULL;
    }
    return af;
}

int
apsim_fuse_loop(ApsimFuse *af)
{
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    int rc;

    fuse_loop_cfg_set_clone_fd(cfg, 0);
    fuse_loop_cfg_set_max_threads(cfg, 64);
    fuse_loop_cfg_set_idle_threads(cfg, 8);
    rc = fuse_loop_mt(af->fuse, cfg);
    fuse_loop_cfg_destroy(cfg);
    return rc;
}

void
apsim_fuse_exit(ApsimFuse *af)
{
    fuse_exit(af->fuse);
}

void
apsim_fuse_unmount(ApsimFuse *af)
{
    if (!af)
        return;
    fuse_unmount(af->fuse);
    fuse_destroy(af->fuse);
    /* files still open when the loop ended: their release will never come */
    g_hash_table_foreach(af->handles, handle_free_entry, NULL);
    g_hash_table_unref(af->handles);
    pthread_mutex_destroy(&af->handles_lock);
    g_free(af->mountpoint);
    g_free(af);
}

void
apsim_fuse_handle_signals(ApsimFuse *af)
{
    fuse_set_signal_handlers(fuse_get_session(af->fuse));
}
