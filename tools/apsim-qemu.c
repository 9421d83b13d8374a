/* apsim-qemu: the emulator that libvirt's QEMU driver starts for a guest of the simulated host. It reads QEMU's
 * command line, runs the guest in apsim (its vfio-ap device opened there, set_kvm and all) and relays libvirt's
 * monitor to the guest's front in apsim. See docs/apsim-qemu.1.rst.
 *
 * apsim is found at /run/apsim/qemu.sock, which `apsim exec` binds: libvirt starts its emulators with a cleared
 * environment. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "apm-i18n.h"
#include "apsim-qemu-options.h"

#define APSIM_QEMU_SOCKET "/run/apsim/qemu.sock"
#define QEMU_VERSION "7.2.0"

/* ---- what the command line asks for ---------------------------------------------------------------------- */

typedef struct {
    char *id;
    char *path;   /* a socket to create and listen on */
    int fd;       /* an inherited listening socket, or -1 */
    gboolean used; /* a monitor uses it */
} Chardev;

typedef struct {
    char *text; /* the argument, for messages */
    char *driver;
    char *id;
    char *sysfsdev;
} Device;

typedef struct {
    char *name;
    char *machine;
    gboolean paused;
    gboolean no_shutdown;
    gboolean daemonize;
    char *pidfile;
    guint vcpus;
    GPtrArray *chardevs; /* Chardev */
    GPtrArray *devices;  /* Device */
} Config;

static const char *prog = "apsim-qemu";

static void
chardev_free(Chardev *c)
{
    g_free(c->id);
    g_free(c->path);
    g_free(c);
}

static void
device_free(Device *d)
{
    g_free(d->text);
    g_free(d->driver);
    g_free(d->id);
    g_free(d->sysfsdev);
    g_free(d);
}

static void
config_clear(Config *cfg)
{
    g_free(cfg->name);
    g_free(cfg->machine);
    g_free(cfg->pidfile);
    g_clear_pointer(&cfg->chardevs, g_ptr_array_unref);
    g_clear_pointer(&cfg->devices, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Config, config_clear)

static void G_GNUC_PRINTF(2, 3)
fail_option(const char *option, const char *format, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, format);
    text = g_strdup_vprintf(format, ap);
    va_end(ap);
    if (option)
        g_printerr("%s: %s: %s\n", prog, option, text);
    else
        g_printerr("%s: %s\n", prog, text);
}

/* QEMU's key=value,key=value form (",," is a comma in a value); the first item may be a bare value for the
 * option's implied key */
static GHashTable *
keyval_split(const char *value, const char *implied)
{
    GHashTable *kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GString) item = g_string_new(NULL);
    gboolean first = TRUE;

    for (const char *p = value;; p++) {
        if (*p == ',' && p[1] == ',') {
            g_string_append_c(item, ',');
            p++;
            continue;
        }
        if (*p && *p != ',') {
            g_string_append_c(item, *p);
            continue;
        }
        if (item->len || *p) {
            const char *eq = strchr(item->str, '=');

            if (eq)
                g_hash_table_replace(kv, g_strndup(item->str, eq - item->str), g_strdup(eq + 1));
            else if (first && implied)
                g_hash_table_replace(kv, g_strdup(implied), g_strdup(item->str));
            else
                g_hash_table_replace(kv, g_strdup(item->str), g_strdup("on")); /* a bare flag */
        }
        first = FALSE;
        g_string_truncate(item, 0);
        if (!*p)
            break;
    }
    return kv;
}

static const ApsimQemuOption *
option_of(const char *option)
{
    return apsim_qemu_option_find(option + (option[1] == '-' ? 2 : 1));
}

static GHashTable *
keyval_parse(const char *option, const char *value)
{
    const ApsimQemuOption *o = option_of(option);

    return keyval_split(value, o ? o->implied : NULL);
}

/* Refuses any key that the option does not take (apsim-qemu-options.c) */
static gboolean
keyval_only(GHashTable *kv, const char *option, const char *what)
{
    const ApsimQemuOption *o = option_of(option);
    const char *const *allowed = o && o->keys ? o->keys : (const char *const[]) { NULL };
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, kv);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        if (!g_strv_contains(allowed, key)) {
            fail_option(option, _("Property '%s.%s' not found: apsim's QEMU front does not implement it"), what,
                        (char *) key);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
is_on(const char *v)
{
    return v && (g_str_equal(v, "on") || g_str_equal(v, "yes") || g_str_equal(v, "true"));
}

typedef gboolean (*OptionFunc)(Config *cfg, const char *option, const char *value);

/* An option whose effect apsim does not model: only its keys are checked */
static gboolean
opt_ignored(Config *cfg, const char *option, const char *value)
{
    const ApsimQemuOption *o = option_of(option);
    g_autoptr(GHashTable) kv = NULL;

    (void) cfg;
    if (!value || !o->keys || value[0] == '{')
        return TRUE;
    kv = keyval_parse(option, value);
    return keyval_only(kv, option, o->name);
}

static gboolean
opt_name(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = keyval_parse(option, value);

    if (!keyval_only(kv, option, "name"))
        return FALSE;
    g_free(cfg->name);
    cfg->name = g_strdup(g_hash_table_lookup(kv, "guest"));
    return TRUE;
}

static gboolean
opt_paused(Config *cfg, const char *option, const char *value)
{
    (void) option;
    (void) value;
    cfg->paused = TRUE;
    return TRUE;
}

static gboolean
opt_no_shutdown(Config *cfg, const char *option, const char *value)
{
    (void) option;
    (void) value;
    cfg->no_shutdown = TRUE;
    return TRUE;
}

static gboolean
opt_daemonize(Config *cfg, const char *option, const char *value)
{
    (void) option;
    (void) value;
    cfg->daemonize = TRUE;
    return TRUE;
}

static gboolean
opt_pidfile(Config *cfg, const char *option, const char *value)
{
    (void) option;
    g_free(cfg->pidfile);
    cfg->pidfile = g_strdup(value);
    return TRUE;
}

static gboolean
check_accel(const char *option, const char *list)
{
    g_auto(GStrv) accels = g_strsplit(list, ":", -1);

    /* QEMU takes the first that works; apsim offers TCG alone */
    for (guint i = 0; accels[i]; i++)
        if (g_str_equal(accels[i], "tcg"))
            return TRUE;
    fail_option(option, _("accelerator '%s' is not available: apsim's QEMU front runs TCG only"), list);
    return FALSE;
}

static gboolean
opt_machine(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = keyval_parse(option, value);
    const char *type = g_hash_table_lookup(kv, "type");

    if (!type) {
        fail_option(option, _("No machine specified"));
        return FALSE;
    }
    if (!keyval_only(kv, option, type))
        return FALSE;
    if (g_hash_table_lookup(kv, "accel") && !check_accel(option, g_hash_table_lookup(kv, "accel")))
        return FALSE;
    g_free(cfg->machine);
    cfg->machine = g_strdup(type);
    return TRUE;
}

static gboolean
opt_accel(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = keyval_parse(option, value);

    (void) cfg;
    return check_accel(option, g_hash_table_lookup(kv, "accel") ? g_hash_table_lookup(kv, "accel") : "");
}

static gboolean
opt_smp(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = keyval_parse(option, value);
    const char *cpus = g_hash_table_lookup(kv, "cpus");
    guint64 n = 1;

    if (!keyval_only(kv, option, "smp"))
        return FALSE;
    if (cpus && (!g_ascii_string_to_unsigned(cpus, 10, 1, 248, &n, NULL))) {
        fail_option(option, _("Invalid number of CPUs '%s'"), cpus);
        return FALSE;
    }
    cfg->vcpus = (guint) n;
    return TRUE;
}

static gboolean
opt_display(Config *cfg, const char *option, const char *value)
{
    (void) cfg;
    if (!g_str_has_prefix(value, "none")) {
        fail_option(option, _("display '%s' is not available: apsim's QEMU front has no display"), value);
        return FALSE;
    }
    return TRUE;
}

static gboolean
opt_object(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = NULL;
    const char *type;

    (void) cfg;
    if (value[0] == '{') {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonNode *root;

        if (!json_parser_load_from_data(parser, value, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(root = json_parser_get_root(parser))) {
            fail_option(option, _("'%s' is not a valid object in JSON"), value);
            return FALSE;
        }
        type = json_object_get_string_member_with_default(json_node_get_object(root), "qom-type", NULL);
        kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        if (type)
            g_hash_table_insert(kv, g_strdup("qom-type"), g_strdup(type));
    } else {
        kv = keyval_parse(option, value);
    }
    type = g_hash_table_lookup(kv, "qom-type");
    /* libvirt's master key and the guest's RAM: nothing in them matters to apsim */
    if (!type || (!g_str_equal(type, "secret") && !g_str_equal(type, "memory-backend-ram") &&
                  !g_str_equal(type, "memory-backend-file"))) {
        fail_option(option, _("object type '%s' is not implemented by apsim's QEMU front"), type ? type : "");
        return FALSE;
    }
    return TRUE;
}

static gboolean
opt_chardev(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = keyval_parse(option, value);
    const char *backend = g_hash_table_lookup(kv, "backend");
    const char *fd = g_hash_table_lookup(kv, "fd");
    Chardev *c;

    if (!backend || !g_str_equal(backend, "socket")) {
        fail_option(option, _("chardev backend '%s' is not implemented by apsim's QEMU front (only socket, for a "
                              "monitor)"), backend ? backend : "");
        return FALSE;
    }
    if (!keyval_only(kv, option, "chardev"))
        return FALSE;
    if (!g_hash_table_lookup(kv, "id") || !is_on(g_hash_table_lookup(kv, "server")) ||
        (!fd && !g_hash_table_lookup(kv, "path"))) {
        fail_option(option, _("apsim's QEMU front takes a monitor socket as a server, with an id and a path or an "
                              "inherited fd"));
        return FALSE;
    }
    c = g_new0(Chardev, 1);
    c->id = g_strdup(g_hash_table_lookup(kv, "id"));
    c->path = g_strdup(g_hash_table_lookup(kv, "path"));
    c->fd = -1;
    if (fd) {
        guint64 n;

        if (!g_ascii_string_to_unsigned(fd, 10, 3, G_MAXINT, &n, NULL) || fcntl((int) n, F_GETFD) < 0) {
            fail_option(option, _("fd '%s' is not an open file descriptor"), fd);
            chardev_free(c);
            return FALSE;
        }
        c->fd = (int) n;
    }
    g_ptr_array_add(cfg->chardevs, c);
    return TRUE;
}

static Chardev *
find_chardev(Config *cfg, const char *id)
{
    for (guint i = 0; id && i < cfg->chardevs->len; i++) {
        Chardev *c = g_ptr_array_index(cfg->chardevs, i);

        if (g_str_equal(c->id, id))
            return c;
    }
    return NULL;
}

static gboolean
opt_mon(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = keyval_parse(option, value);
    const char *mode = g_hash_table_lookup(kv, "mode");
    Chardev *c;

    if (!keyval_only(kv, option, "mon"))
        return FALSE;
    if (!mode || !g_str_equal(mode, "control")) {
        fail_option(option, _("only QMP monitors (mode=control) are implemented by apsim's QEMU front"));
        return FALSE;
    }
    c = find_chardev(cfg, g_hash_table_lookup(kv, "chardev"));
    if (!c) {
        fail_option(option, _("chardev '%s' not found"),
                    g_hash_table_lookup(kv, "chardev") ? (char *) g_hash_table_lookup(kv, "chardev") : "");
        return FALSE;
    }
    c->used = TRUE;
    return TRUE;
}

/* -qmp unix:PATH,server=on,wait=off: a monitor on a socket of its own */
static gboolean
opt_qmp(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = NULL;
    Chardev *c;

    if (!g_str_has_prefix(value, "unix:")) {
        fail_option(option, _("apsim's QEMU front takes -qmp unix:PATH,server=on"));
        return FALSE;
    }
    kv = keyval_split(value + 5, "path");
    if (!is_on(g_hash_table_lookup(kv, "server"))) {
        fail_option(option, _("apsim's QEMU front takes -qmp unix:PATH,server=on"));
        return FALSE;
    }
    c = g_new0(Chardev, 1);
    c->id = g_strdup_printf("compat_monitor%u", cfg->chardevs->len);
    c->path = g_strdup(g_hash_table_lookup(kv, "path"));
    c->fd = -1;
    c->used = TRUE;
    g_ptr_array_add(cfg->chardevs, c);
    return TRUE;
}

static gboolean
opt_device(Config *cfg, const char *option, const char *value)
{
    g_autoptr(GHashTable) kv = NULL;
    const char *driver;
    Device *d;

    if (value[0] == '{') {
        g_autoptr(JsonParser) parser = json_parser_new();
        JsonNode *root;
        JsonObjectIter iter;
        const char *member;
        JsonNode *node;

        if (!json_parser_load_from_data(parser, value, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(root = json_parser_get_root(parser))) {
            fail_option(option, _("'%s' is not a valid device in JSON"), value);
            return FALSE;
        }
        kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        json_object_iter_init(&iter, json_node_get_object(root));
        while (json_object_iter_next(&iter, &member, &node))
            g_hash_table_insert(kv, g_strdup(member),
                                g_strdup(JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
                                             ? json_node_get_string(node)
                                             : ""));
    } else {
        kv = keyval_parse(option, value);
    }
    driver = g_hash_table_lookup(kv, "driver");
    if (!driver || !g_str_equal(driver, "vfio-ap")) {
        g_autofree char *what = g_strdup_printf("-device %s", value);

        fail_option(what, _("'%s' is not a valid device model name: apsim's QEMU front implements vfio-ap only"),
                    driver ? driver : "");
        return FALSE;
    }
    if (!keyval_only(kv, option, "vfio-ap"))
        return FALSE;
    d = g_new0(Device, 1);
    d->text = g_strdup_printf("-device %s", value);
    d->driver = g_strdup(driver);
    d->id = g_strdup(g_hash_table_lookup(kv, "id"));
    d->sysfsdev = g_strdup(g_hash_table_lookup(kv, "sysfsdev"));
    g_ptr_array_add(cfg->devices, d);
    return TRUE;
}

static gboolean
opt_kvm(Config *cfg, const char *option, const char *value)
{
    (void) cfg;
    (void) value;
    return check_accel(option, "kvm");
}

static gboolean opt_version(Config *cfg, const char *option, const char *value);
static gboolean opt_help(Config *cfg, const char *option, const char *value);

/* What apsim's front does with each option of apsim-qemu-options.c; any other option is refused */
static const struct {
    const char *name;
    OptionFunc func;
} handlers[] = {
    { "M", opt_machine },
    { "S", opt_paused },
    { "accel", opt_accel },
    { "audiodev", opt_ignored },   /* no sound device: nothing uses it */
    { "boot", opt_ignored },       /* nothing to boot from */
    { "chardev", opt_chardev },
    { "cpu", opt_ignored },        /* the CPU model is not simulated */
    { "daemonize", opt_daemonize },
    { "device", opt_device },
    { "display", opt_display },
    { "enable-kvm", opt_kvm },
    { "h", opt_help },
    { "help", opt_help },
    { "m", opt_ignored },          /* the guest's memory is not simulated */
    { "machine", opt_machine },
    { "mon", opt_mon },
    { "msg", opt_ignored },
    { "name", opt_name },
    { "no-shutdown", opt_no_shutdown },
    { "no-user-config", opt_ignored },
    { "nodefaults", opt_ignored },
    { "nographic", opt_ignored },
    { "object", opt_object },
    { "overcommit", opt_ignored },
    { "pidfile", opt_pidfile },
    { "qmp", opt_qmp },
    { "rtc", opt_ignored },
    { "sandbox", opt_ignored },    /* no seccomp filter: the front does nothing a filter would stop */
    { "smp", opt_smp },
    { "uuid", opt_ignored },
    { "version", opt_version },
};

static gboolean
opt_version(Config *cfg, const char *option, const char *value)
{
    (void) cfg;
    (void) option;
    (void) value;
    printf("QEMU emulator version " QEMU_VERSION " (apsim " PACKAGE_VERSION ")\n");
    exit(0);
}

static gboolean
opt_help(Config *cfg, const char *option, const char *value)
{
    (void) cfg;
    (void) option;
    (void) value;
    printf(_("Usage: %s [OPTION]...\n"
             "apsim's QEMU front: the emulator that libvirt's QEMU driver starts for a guest of the simulated AP host\n"
             "(name it in the domain's <emulator>). It takes the options libvirt passes; see apsim-qemu(1).\n"
             "Options:"),
           prog);
    for (guint i = 0; i < G_N_ELEMENTS(handlers); i++) {
        const ApsimQemuOption *o = apsim_qemu_option_find(handlers[i].name);

        printf(" -%s%s", handlers[i].name, o && o->arg ? " ARG" : "");
    }
    printf("\n");
    exit(0);
}

static gboolean
parse_args(Config *cfg, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        const ApsimQemuOption *opt;
        guint k;

        if (name[0] != '-' || !name[1]) {
            fail_option(argv[i], _("apsim's QEMU front takes no disk image"));
            return FALSE;
        }
        name += name[1] == '-' ? 2 : 1;
        opt = apsim_qemu_option_find(name);
        for (k = 0; opt && k < G_N_ELEMENTS(handlers); k++)
            if (g_str_equal(handlers[k].name, name))
                break;
        if (!opt || k == G_N_ELEMENTS(handlers)) {
            fail_option(argv[i], _("invalid option (apsim's QEMU front does not implement it)"));
            return FALSE;
        }
        if (opt->arg && i + 1 >= argc) {
            fail_option(argv[i], _("requires an argument"));
            return FALSE;
        }
        if (!handlers[k].func(cfg, argv[i], opt->arg ? argv[i + 1] : NULL))
            return FALSE;
        if (opt->arg)
            i++;
    }
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        Chardev *c = g_ptr_array_index(cfg->chardevs, i);

        if (!c->used) {
            fail_option(NULL, _("chardev '%s' is not used by a monitor: apsim's QEMU front has no other device "
                                "for it"), c->id);
            return FALSE;
        }
    }
    if (!cfg->machine)
        cfg->machine = g_strdup("s390-ccw-virtio");
    return TRUE;
}

/* ---- the vCPUs: threads that exist, so that libvirt can place them, and do nothing ------------------------- */

typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    GArray *tids;
} VcpuStart;

static void *
vcpu_thread(void *data)
{
    VcpuStart *s = data;
    gint64 tid = gettid();

    pthread_mutex_lock(&s->mutex);
    g_array_append_val(s->tids, tid);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mutex);
    for (;;)
        pause();
    return NULL;
}

static GArray *
start_vcpus(guint n)
{
    static VcpuStart s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL };

    s.tids = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (guint i = 0; i < n; i++) {
        pthread_t t;

        if (pthread_create(&t, NULL, vcpu_thread, &s) != 0)
            break;
        pthread_detach(t);
        pthread_mutex_lock(&s.mutex);
        while (s.tids->len <= i)
            pthread_cond_wait(&s.cond, &s.mutex);
        pthread_mutex_unlock(&s.mutex);
    }
    return s.tids;
}

/* ---- apsim ------------------------------------------------------------------------------------------------- */

static int
connect_unix(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static gboolean
write_all(int fd, const char *buf, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        buf += n;
        len -= (gsize) n;
    }
    return TRUE;
}

/* One line from fd (the reply to a request), without its newline; NULL at EOF */
static char *
read_line(int fd)
{
    g_autoptr(GString) line = g_string_new(NULL);
    char ch;

    for (;;) {
        ssize_t n = read(fd, &ch, 1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        if (ch == '\n')
            break;
        g_string_append_c(line, ch);
    }
    return g_strchomp(g_string_free(g_steal_pointer(&line), FALSE));
}

static char *
start_request(const Config *cfg, GArray *tids)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *text = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "execute");
    json_builder_add_string_value(b, "apsim-qemu-start");
    json_builder_set_member_name(b, "arguments");
    json_builder_begin_object(b);
    if (cfg->name && !g_str_equal(cfg->machine, "none")) {
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, cfg->name);
    }
    json_builder_set_member_name(b, "machine");
    json_builder_add_string_value(b, cfg->machine);
    json_builder_set_member_name(b, "paused");
    json_builder_add_boolean_value(b, cfg->paused);
    json_builder_set_member_name(b, "no-shutdown");
    json_builder_add_boolean_value(b, cfg->no_shutdown);
    json_builder_set_member_name(b, "vcpu-threads");
    json_builder_begin_array(b);
    for (guint i = 0; i < tids->len; i++)
        json_builder_add_int_value(b, g_array_index(tids, gint64, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "chardevs");
    json_builder_begin_array(b);
    for (guint i = 0; i < cfg->chardevs->len; i++) {
        const Chardev *c = g_ptr_array_index(cfg->chardevs, i);
        g_autofree char *filename = c->path ? g_strdup_printf("unix:%s,server=on", c->path)
                                            : g_strdup_printf("unix:,server=on,fd=%d", c->fd);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "label");
        json_builder_add_string_value(b, c->id);
        json_builder_set_member_name(b, "filename");
        json_builder_add_string_value(b, filename);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "devices");
    json_builder_begin_array(b);
    for (guint i = 0; i < cfg->devices->len; i++) {
        const Device *d = g_ptr_array_index(cfg->devices, i);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "driver");
        json_builder_add_string_value(b, d->driver);
        if (d->id) {
            json_builder_set_member_name(b, "id");
            json_builder_add_string_value(b, d->id);
        }
        if (d->sysfsdev) {
            json_builder_set_member_name(b, "sysfsdev");
            json_builder_add_string_value(b, d->sysfsdev);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    text = json_generator_to_data(gen, NULL);
    return g_strconcat(text, "\n", NULL);
}

/* The guest starts in apsim; the connection returned stands for this process there */
static int
start_guest(const Config *cfg, const char *socket_path)
{
    g_autoptr(GArray) tids = start_vcpus(g_str_equal(cfg->machine, "none") ? 0 : MAX(cfg->vcpus, 1));
    g_autofree char *request = start_request(cfg, tids);
    g_autofree char *reply = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *o = NULL;
    int fd = connect_unix(socket_path);

    if (fd < 0) {
        fail_option(NULL, _("cannot reach the simulated host at %s: %s (run libvirtd under apsim exec, which binds "
                            "it there)"), socket_path, g_strerror(errno));
        return -1;
    }
    if (!write_all(fd, request, strlen(request)) || !(reply = read_line(fd))) {
        fail_option(NULL, _("the simulated host at %s closed the connection"), socket_path);
        close(fd);
        return -1;
    }
    if (json_parser_load_from_data(parser, reply, -1, NULL) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
        o = json_node_get_object(json_parser_get_root(parser));
    if (o && json_object_has_member(o, "return"))
        return fd;
    close(fd);
    if (o && json_object_has_member(o, "error") && JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "error"))) {
        JsonObject *e = json_object_get_object_member(o, "error");
        const char *desc = json_object_get_string_member_with_default(e, "desc", "");
        gint64 device = json_object_get_int_member_with_default(e, "device", -1);

        if (device >= 0 && device < (gint64) cfg->devices->len)
            fail_option(((Device *) g_ptr_array_index(cfg->devices, device))->text, "%s", desc);
        else
            fail_option(NULL, "%s", desc);
    } else {
        fail_option(NULL, _("the simulated host answered '%s'"), reply);
    }
    return -1;
}

/* ---- the monitors ------------------------------------------------------------------------------------------ */

static int
listen_unix(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);
    if (bind(fd, (struct sockaddr *) &addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

typedef struct {
    int listen_fd;
    int client;  /* libvirt's connection, or -1 */
    int monitor; /* the front's monitor in apsim, or -1 */
} Monitor;

static void
monitor_disconnect(Monitor *m)
{
    if (m->client >= 0)
        close(m->client);
    if (m->monitor >= 0)
        close(m->monitor);
    m->client = m->monitor = -1;
}

/* A monitor client came: QEMU serves one at a time, each a new QMP session of the front */
static void
monitor_accept(Monitor *m, const char *socket_path)
{
    static const char request[] = "{\"execute\":\"apsim-qemu-monitor\"}\n";
    int client = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    int monitor;

    if (client < 0)
        return;
    monitor = connect_unix(socket_path);
    if (monitor < 0 || !write_all(monitor, request, sizeof(request) - 1)) {
        g_printerr("%s: %s\n", prog, _("cannot open a monitor session in the simulated host"));
        if (monitor >= 0)
            close(monitor);
        close(client);
        return;
    }
    m->client = client;
    m->monitor = monitor;
}

/* Copies what is there from one end to the other; FALSE when that end is gone */
static gboolean
relay(int from, int to)
{
    char buf[65536];
    ssize_t n = read(from, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return TRUE;
    return n > 0 && write_all(to, buf, (gsize) n);
}

/* Serves until the guest ends (apsim closes the owner connection) or a signal says to go */
static int
serve(GPtrArray *monitors, int owner, int sigfd, const char *socket_path)
{
    for (;;) {
        g_autofree struct pollfd *fds = g_new0(struct pollfd, 2 + 2 * monitors->len);
        nfds_t n = 0;

        fds[n++] = (struct pollfd) { .fd = owner, .events = POLLIN };
        fds[n++] = (struct pollfd) { .fd = sigfd, .events = POLLIN };
        for (guint i = 0; i < monitors->len; i++) {
            Monitor *m = g_ptr_array_index(monitors, i);

            if (m->client < 0) {
                fds[n++] = (struct pollfd) { .fd = m->listen_fd, .events = POLLIN };
            } else {
                fds[n++] = (struct pollfd) { .fd = m->client, .events = POLLIN };
                fds[n++] = (struct pollfd) { .fd = m->monitor, .events = POLLIN };
            }
        }
        if (poll(fds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        if (fds[0].revents) {
            char buf[4096];

            if (read(owner, buf, sizeof(buf)) <= 0)
                return 0; /* the guest ended: quit, shutdown, apsim ctl guest-stop, apsim stopping */
        }
        if (fds[1].revents) {
            static const char request[] = "{\"execute\":\"apsim-qemu-exit\",\"arguments\":{\"signal\":15}}\n";
            struct signalfd_siginfo si;
            char buf[4096];

            if (read(sigfd, &si, sizeof(si)) != sizeof(si))
                continue;
            /* QEMU on SIGTERM, SIGINT, SIGHUP: SHUTDOWN, then it exits; apsim closes the device first */
            if (write_all(owner, request, sizeof(request) - 1))
                while (read(owner, buf, sizeof(buf)) > 0)
                    ;
            return 0;
        }
        for (nfds_t k = 2; k < n; k++) {
            if (!fds[k].revents)
                continue;
            for (guint i = 0; i < monitors->len; i++) {
                Monitor *m = g_ptr_array_index(monitors, i);

                if (fds[k].fd == m->listen_fd && m->client < 0)
                    monitor_accept(m, socket_path);
                else if (fds[k].fd == m->client && m->client >= 0 && !relay(m->client, m->monitor))
                    monitor_disconnect(m);
                else if (fds[k].fd == m->monitor && m->monitor >= 0 && !relay(m->monitor, m->client))
                    monitor_disconnect(m);
            }
        }
    }
}

/* ---- main -------------------------------------------------------------------------------------------------- */

static gboolean
write_pidfile(const char *path)
{
    g_autofree char *text = g_strdup_printf("%d\n", (int) getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0 || !write_all(fd, text, strlen(text))) {
        fail_option("-pidfile", _("cannot write %s: %s"), path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return FALSE;
    }
    close(fd);
    return TRUE;
}

/* -daemonize: the parent returns once the child serves (0) or has failed (1), as QEMU's os_daemonize does */
static int
daemonize(int *ready_fd)
{
    int pipefd[2];
    pid_t pid;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        char status = 1;

        close(pipefd[1]);
        if (read(pipefd[0], &status, 1) != 1)
            status = 1;
        _exit(status);
    }
    close(pipefd[0]);
    setsid();
    *ready_fd = pipefd[1];
    return 0;
}

static void
report_ready(int *ready_fd, char status)
{
    if (*ready_fd < 0)
        return;
    if (write(*ready_fd, &status, 1) != 1) {
        /* the parent is gone already */
    }
    close(*ready_fd);
    *ready_fd = -1;
}

static void
detach_stdio(void)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (null < 0)
        return;
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    close(null);
}

int
main(int argc, char **argv)
{
    g_auto(Config) cfg = { 0 };
    g_autoptr(GPtrArray) monitors = g_ptr_array_new_with_free_func(g_free);
    const char *socket_path = g_getenv("APSIM_QEMU_SOCKET") ? g_getenv("APSIM_QEMU_SOCKET") : APSIM_QEMU_SOCKET;
    int ready_fd = -1, owner, sigfd;
    sigset_t sigs;

    apm_i18n_init();
    {
        g_autofree char *base = g_path_get_basename(argv[0]);

        g_set_prgname(base);
        prog = g_get_prgname();
    }
    cfg.chardevs = g_ptr_array_new_with_free_func((GDestroyNotify) chardev_free);
    cfg.devices = g_ptr_array_new_with_free_func((GDestroyNotify) device_free);
    if (!parse_args(&cfg, argc, argv))
        return 1;
    /* the monitors listen before anything else: libvirt connects as soon as it knows the process */
    for (guint i = 0; i < cfg.chardevs->len; i++) {
        Chardev *c = g_ptr_array_index(cfg.chardevs, i);
        Monitor *m = g_new0(Monitor, 1);

        m->client = m->monitor = -1;
        m->listen_fd = c->fd >= 0 ? c->fd : listen_unix(c->path);
        if (m->listen_fd < 0) {
            fail_option("-chardev", _("cannot listen on %s: %s"), c->path, g_strerror(errno));
            g_free(m);
            return 1;
        }
        fcntl(m->listen_fd, F_SETFD, FD_CLOEXEC);
        g_ptr_array_add(monitors, m);
    }
    if (cfg.daemonize && daemonize(&ready_fd) < 0) {
        fail_option("-daemonize", "%s", g_strerror(errno));
        return 1;
    }
    /* the signals that end QEMU go to the relay loop; the vCPU threads inherit the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    owner = start_guest(&cfg, socket_path);
    if (owner < 0 || (cfg.pidfile && !write_pidfile(cfg.pidfile))) {
        report_ready(&ready_fd, 1);
        return 1;
    }
    report_ready(&ready_fd, 0);
    if (cfg.daemonize)
        detach_stdio();
    return serve(monitors, owner, sigfd, socket_path);
}
