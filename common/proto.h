/* proto: what caviard and its clients agree on, its one home: the default
 * paths and the vocabulary (request names and fields, event names, error
 * codes; docs/protocol.md shows them in use). Over a unix socket, a client
 * sends one JSON request per line ({"cmd": "ls", "v": 1, ...}) and gets one
 * JSON reply per line ({"ok": true, ...} or {"ok": false, "error": "...",
 * "code": "not_found"}). Bump PROTO_VERSION when a request or reply changes
 * incompatibly. Parsing a request is the daemon's (daemon/request.h). */
#ifndef CAVIAR_PROTO_H
#define CAVIAR_PROTO_H

#include <stddef.h>

#define PROTO_VERSION 1
#define PROTO_MAX_REQUEST (1u << 20) /* bytes in one request line */
/* What a trial's program prints to caviard is another protocol: worker_proto.h. */

/* The socket path clients and the daemon use when none is given:
 * $CAVIAR_SOCKET, else $XDG_RUNTIME_DIR/caviar/caviard.sock, else
 * /tmp/caviar-$UID/caviard.sock. Returns 0, or -1 if it does not fit in n. */
int proto_default_socket(char *buf, size_t n);

/* The database caviard uses when none is given, where the client looks
 * without a daemon: $XDG_DATA_HOME/caviar/caviar.db, else
 * ~/.local/share/caviar/caviar.db. Returns 0, or -1 if it does not fit in n. */
int proto_default_db(char *buf, size_t n);

/* The requests ("cmd"). */
enum proto_cmd {
	PROTO_SUBMIT,    /* spec */
	PROTO_LS,
	PROTO_TOP,       /* sweep, n (default 10) */
	PROTO_STATUS,
	PROTO_WAIT,      /* sweep */
	PROTO_CANCEL,    /* sweep or trial */
	PROTO_PAUSE,     /* sweep */
	PROTO_RESUME,    /* sweep */
	PROTO_SHUTDOWN,
	PROTO_SUBSCRIBE, /* sweep (optional: all sweeps) */
	PROTO_SLOTS,     /* n */
	PROTO_EXTEND,    /* sweep, n: n more trials */
	PROTO_RM,        /* sweep, force (optional boolean) */
	PROTO_NOTE,      /* sweep or trial, text (a string; "" clears the note) */
	PROTO_TAG,       /* sweep, tags (a non-empty array of non-empty strings) */
	PROTO_UNTAG,     /* sweep, tags */
	PROTO_ADJUST,    /* trial, set (an object of name -> value), force */
	PROTO_FORK,      /* trial, epoch (optional), set (optional), force */
	PROTO_PARETO,    /* sweep: its goals and its Pareto front (query_pareto) */
	PROTO_CMD_COUNT
};

/* A request's fields besides "cmd" and "v", as bits of proto_cmd_fields. */
enum proto_field {
	PROTO_NEED_SWEEP = 1, PROTO_OPT_SWEEP = 2, PROTO_NEED_SPEC = 4, PROTO_OPT_N = 8,
	PROTO_NEED_N = 16,
	PROTO_SWEEP_OR_TRIAL = 32, /* one of "sweep" and "trial" (trial when both) */
	PROTO_OPT_FORCE = 64, PROTO_NEED_TEXT = 128, PROTO_NEED_TAGS = 256,
	PROTO_NEED_TRIAL = 512, PROTO_NEED_SET = 1024, PROTO_OPT_SET = 2048,
	PROTO_OPT_EPOCH = 4096,
	PROTO_FIELD_LAST = PROTO_OPT_EPOCH
};

/* The command's name ("submit"; "?" out of range), the bits of its fields;
 * proto_cmd_find: the command named name, or -1. */
const char *proto_cmd_name(enum proto_cmd cmd);
unsigned proto_cmd_fields(enum proto_cmd cmd);
int proto_cmd_find(const char *name);

/* The key a field bit stands for ("sweep"; PROTO_SWEEP_OR_TRIAL: "sweep|trial"),
 * and whether the request must carry it (1) or may (0). */
const char *proto_field_key(enum proto_field f);
int proto_field_required(enum proto_field f);

/* The events of the stream ("event"; daemon/events.h has their fields). */
enum proto_event {
	PROTO_EV_SNAPSHOT,      /* the first, after a subscribe's reply */
	PROTO_EV_TRIAL_STARTED,
	PROTO_EV_PROGRESS,
	PROTO_EV_TRIAL_ENDED,
	PROTO_EV_ADJUSTED,
	PROTO_EV_SWEEP_STARTED, /* the sweep's events, STARTED to ENDED: PROTO_EV_IS_SWEEP */
	PROTO_EV_SWEEP_PAUSED,
	PROTO_EV_SWEEP_RESUMED,
	PROTO_EV_SWEEP_STOPPING,
	PROTO_EV_SWEEP_ENDED,
	PROTO_EV_NOTE,
	PROTO_EV_COUNT
};

#define PROTO_EV_IS_SWEEP(ev) ((ev) >= PROTO_EV_SWEEP_STARTED && (ev) <= PROTO_EV_SWEEP_ENDED)

/* The event's name ("trial_ended"; "?" out of range); proto_event_find: the
 * event named name, or -1. */
const char *proto_event_name(enum proto_event ev);
int proto_event_find(const char *name);

/* Why a request was refused: an error reply's "code", beside its "error"
 * message (for a person). Handlers return one negated (-PROTO_E_NOT_FOUND);
 * err_set's -1 is PROTO_E_REFUSED. */
enum proto_error {
	PROTO_E_REFUSED = 1,   /* "refused": the request cannot be done now (the
	                        * default: a sweep already over, a trial not running) */
	PROTO_E_BAD_REQUEST,   /* "bad_request": not JSON, a field missing or wrong */
	PROTO_E_BAD_VERSION,   /* "bad_version": another "v" than PROTO_VERSION */
	PROTO_E_UNKNOWN_CMD,   /* "unknown_command" */
	PROTO_E_NOT_FOUND,     /* "not_found": no such sweep or trial */
	PROTO_E_BAD_SPEC,      /* "bad_spec": submit's spec is invalid */
	PROTO_E_BUSY,          /* "busy": the sweep is active (rm without force) */
	PROTO_E_DB,            /* "db_error": the database cannot be written */
	PROTO_E_UNAVAILABLE,   /* "unavailable": what it needs cannot run (Slurm) */
	PROTO_E_SHUTTING_DOWN, /* "shutting_down": the daemon stops before the reply */
	PROTO_E_COUNT
};

/* The code's name ("not_found"); "refused" for any other value. */
const char *proto_error_name(int code);

/* A new request {"cmd": proto_cmd_name(cmd)} for a client to add its fields
 * to (the client adds "v"). Returns a cJSON object; the caller deletes it. */
struct cJSON *proto_request(enum proto_cmd cmd);

#endif
