/* apsim-qmp-private.h: the QEMU fronts' state, shared by apsim-qmp.c (fronts, monitors, events, the request
 * IRQ), apsim-qmp-commands.c (what a monitor answers) and apsim-qemu-socket.c (fronts started by apsim-qemu).
 * Everything here runs in the QMP loop thread. Nothing outside those files includes it. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <pthread.h>

#include "apsim-qmp.h"

#define APSIM_SYSFSDEV_PREFIX "/sys/bus/mdev/devices/"

typedef struct ApsimFront ApsimFront;

typedef enum {
    APSIM_CLIENT_MONITOR, /* a QMP monitor session */
    APSIM_CLIENT_PENDING, /* a connection to the QEMU-front socket that has not said what it is */
    APSIM_CLIENT_OWNER,   /* the apsim-qemu process behind a front: the front lives as long as it */
} ApsimClientRole;

typedef struct {
    ApsimQmp *qmp;
    ApsimFront *front;
    ApsimClientRole role;
    GSocketConnection *conn;
    GDataInputStream *in;
    GOutputStream *out;
    GCancellable *cancel;
    gint64 pid; /* the peer's process (SO_PEERCRED), or 0 */
    gboolean negotiated;
    gboolean closed;
} ApsimClient;

/* QEMU's RunState, as query-status names it */
typedef enum {
    APSIM_RUN_PRELAUNCH,
    APSIM_RUN_RUNNING,
    APSIM_RUN_PAUSED,
    APSIM_RUN_SHUTDOWN,
} ApsimRunState;

struct ApsimFront {
    ApsimQmp *qmp;
    char *name;         /* the guest's name; NULL for a probe (machine "none", no guest) */
    ApsimGuest *guest;  /* NULL for a probe */
    const char *machine;
    guint version[3];   /* major, minor, micro, as the greeting and query-version say */
    ApsimRunState state;
    gboolean no_shutdown;          /* -no-shutdown: a guest that shuts down stays, stopped */
    gboolean migrate_events;       /* migrate-set-capabilities events */
    GArray *vcpu_threads;          /* gint64: the thread of each vCPU (query-cpus-fast) */
    GPtrArray *chardevs;           /* "label" then "filename", alternating (query-chardev) */
    char *device_id;               /* the vfio-ap device, or NULL */
    char *mdev;
    gboolean hang_unplug;          /* device_del is accepted but the guest never lets go (no DEVICE_DELETED) */
    gboolean unplug_pending;
    guint powerdown_source;        /* the guest OS shutting down after system_powerdown */
    char *path;                    /* the monitor socket of a front apsim serves itself, or NULL */
    GSocketService *service;
    GList *clients;                /* ApsimClient: monitor sessions */
    ApsimClient *owner;            /* the apsim-qemu process, for fronts it started (NULL once it went) */
    gint64 owner_pid;              /* its pid: the key in ApsimQmp.owned */
};

struct ApsimQmp {
    ApsimHost *host;
    char *dir;
    GMainContext *context;
    GMainLoop *loop;
    GThread *thread;
    GHashTable *fronts; /* name -> ApsimFront: the guests' fronts */
    GHashTable *owned;  /* the owner's pid -> ApsimFront: fronts apsim-qemu started, probes too */
    GSocketService *qemu_service; /* the QEMU-front socket */
    char *qemu_path;
    GList *pending;               /* ApsimClient: its connections that have not said what they are */
    /* hand-offs between threads, in pthread primitives so that ThreadSanitizer sees them */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    GQueue unplugs; /* guest names whose QEMU must act on a request IRQ */
};

/* ---- apsim-qmp.c ---- */
/* The string member key of o, or NULL when o is NULL or the member is missing or not a string (peers send
 * anything; json-glib's own getters would complain) */
const char *apsim_json_string(JsonObject *o, const char *key);
void apsim_client_send(ApsimClient *c, JsonNode *node);
void apsim_client_reply(ApsimClient *c, JsonNode *id, JsonNode *value); /* value NULL: {} */
void apsim_client_error(ApsimClient *c, JsonNode *id, const char *klass, const char *desc);
/* Reads lines from the client until it goes; each line goes to the handler of its role */
void apsim_client_start(ApsimClient *c);
ApsimClient *apsim_client_new(ApsimQmp *qmp, GSocketConnection *conn, ApsimClientRole role);
void apsim_client_send_greeting(ApsimClient *c);

/* An event to every negotiated monitor of the front; data may be NULL ({}), and is consumed */
void apsim_front_event(ApsimFront *f, const char *event, JsonNode *data);
void apsim_front_event_device(ApsimFront *f, const char *event, const char *device);
void apsim_front_event_shutdown(ApsimFront *f, gboolean guest, const char *reason);

/* A front with a guest (name non-NULL) or a probe; not yet registered anywhere */
ApsimFront *apsim_front_new(ApsimQmp *qmp, const char *name, gboolean old_qemu, GError **error);
/* device_add driver=vfio-ap, with QEMU's wording for each refusal */
gboolean apsim_front_device_add(ApsimFront *f, const char *driver, const char *sysfsdev, const char *id,
                                GError **error);
/* The device leaves the guest: qdev_simple_device_unplug_cb, then DEVICE_DELETED when event is set (the unplug
 * of a running QEMU; a QEMU that quits or dies closes its devices without it) */
void apsim_front_device_close(ApsimFront *f, gboolean event);
/* The QEMU process behind the front ends: its device closes, its guest stops and goes, the front is freed */
void apsim_front_end(ApsimFront *f);

/* ---- apsim-qmp-commands.c ---- */
/* Runs one negotiated QMP command of a monitor */
void apsim_qmp_dispatch(ApsimClient *c, const char *cmd, JsonNode *id, JsonObject *args);
/* The machine types a front runs: "s390-ccw-virtio-7.2" (alias "s390-ccw-virtio") and "none" */
const char *apsim_qmp_machine_canonical(const char *name);

/* ---- apsim-qemu-socket.c ---- */
/* The first line on the QEMU-front socket: start a front, or be a monitor of the caller's front */
void apsim_qemu_socket_request(ApsimClient *c, const char *line);
/* A line from a front's owner, after the start */
void apsim_qemu_socket_owner_line(ApsimClient *c, const char *line);
gboolean apsim_qemu_socket_listen(ApsimQmp *qmp, const char *path, GError **error);
void apsim_qemu_socket_close(ApsimQmp *qmp);
