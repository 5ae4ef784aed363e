/* request: parses one client request line into a command and its checked
 * fields, so the handlers in server.c only ever see valid requests. Pure (no
 * I/O, no daemon state): unit-tested and fuzzed. The protocol is in proto.h. */
#ifndef CAVIAR_REQUEST_H
#define CAVIAR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "proto.h"

struct request {
	enum proto_cmd cmd;   /* its fields: proto.h's vocabulary */
	cJSON *json;          /* the parsed request (owned) */
	const cJSON *spec;    /* PROTO_SUBMIT: the spec object, inside json */
	int64_t sweep, trial; /* ids; 0 when absent */
	int64_t n;            /* PROTO_TOP: rows; PROTO_SLOTS: slots; PROTO_EXTEND: trials;
	                       * 0 when absent */
	int force;            /* PROTO_RM, PROTO_ADJUST, PROTO_FORK: "force": true */
	const char *text;     /* PROTO_NOTE: the note, inside json */
	const cJSON *tags;    /* PROTO_TAG, PROTO_UNTAG: the array of tags, inside json */
	const cJSON *set;     /* PROTO_ADJUST, PROTO_FORK: {"lr": 0.01, "optimizer": "adam"},
	                       * inside json: 1 to REQUEST_MAX_SET names, each a number,
	                       * a string or a boolean; NULL when absent (fork) */
	int64_t epoch;        /* PROTO_FORK: the parent's epoch; 0 when absent (its latest) */
};

#define REQUEST_MAX_NOTE 4096 /* bytes in a note */
#define REQUEST_MAX_TAG 64    /* bytes in a tag */
#define REQUEST_MAX_SET 64    /* names changed by one adjust or fork */

/* Parses len bytes. Returns 0, or a negated proto_error (-PROTO_E_BAD_REQUEST,
 * -PROTO_E_BAD_VERSION, -PROTO_E_UNKNOWN_CMD) with a message for the client in
 * err ("unknown command \"frobnicate\"", "\"sweep\": expected a positive
 * integer id"). r needs request_finish either way. */
int request_parse(struct request *r, const char *text, size_t len, char *err, size_t errlen);
void request_finish(struct request *r);

#endif
