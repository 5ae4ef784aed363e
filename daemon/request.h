/* request: parses one client request line into a command and its checked
 * fields, so the handlers in server.c only ever see valid requests. Pure (no
 * I/O, no daemon state): unit-tested and fuzzed. The protocol is in proto.h. */
#ifndef CAVIAR_REQUEST_H
#define CAVIAR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum request_cmd {
	REQ_SUBMIT,    /* spec */
	REQ_LS,
	REQ_TOP,       /* sweep, n (default 10) */
	REQ_STATUS,
	REQ_WAIT,      /* sweep */
	REQ_CANCEL,    /* sweep or trial */
	REQ_PAUSE,     /* sweep */
	REQ_RESUME,    /* sweep */
	REQ_SHUTDOWN,
	REQ_SUBSCRIBE, /* sweep (optional: all sweeps) */
	REQ_SLOTS,     /* n */
	REQ_EXTEND,    /* sweep, n: n more trials */
	REQ_RM,        /* sweep, force (optional boolean) */
	REQ_NOTE,      /* sweep or trial, text (a string; "" clears the note) */
	REQ_TAG,       /* sweep, tags (a non-empty array of non-empty strings) */
	REQ_UNTAG,     /* sweep, tags */
	REQ_ADJUST,    /* trial, set (an object of name -> value) */
	REQ_FORK,      /* trial, epoch (optional), set (optional) */
	REQ_COUNT
};

struct request {
	enum request_cmd cmd;
	cJSON *json;          /* the parsed request (owned) */
	const cJSON *spec;    /* REQ_SUBMIT: the spec object, inside json */
	int64_t sweep, trial; /* ids; 0 when absent */
	int64_t n;            /* REQ_TOP: rows; REQ_SLOTS: slots; REQ_EXTEND: trials;
	                       * 0 when absent */
	int force;            /* REQ_RM, REQ_ADJUST, REQ_FORK: "force": true */
	const char *text;     /* REQ_NOTE: the note, inside json */
	const cJSON *tags;    /* REQ_TAG, REQ_UNTAG: the array of tags, inside json */
	const cJSON *set;     /* REQ_ADJUST, REQ_FORK: {"lr": 0.01, "optimizer": "adam"},
	                       * inside json: 1 to REQUEST_MAX_SET names, each a number,
	                       * a string or a boolean; NULL when absent (fork) */
	int64_t epoch;        /* REQ_FORK: the parent's epoch; 0 when absent (its latest) */
};

#define REQUEST_MAX_NOTE 4096 /* bytes in a note */
#define REQUEST_MAX_TAG 64    /* bytes in a tag */
#define REQUEST_MAX_SET 64    /* names changed by one adjust or fork */

/* Parses len bytes. Returns 0, or -1 with a message for the client in err
 * ("unknown command \"frobnicate\"", "\"sweep\": expected a positive integer
 * id"). r needs request_finish either way. */
int request_parse(struct request *r, const char *text, size_t len, char *err, size_t errlen);
void request_finish(struct request *r);

/* The command's name ("submit"). */
const char *request_name(enum request_cmd cmd);

#endif
