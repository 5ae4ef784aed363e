/* forkserver_proto: the messages between caviard and a fork server, defined
 * once. daemon/forkserver.c speaks it on caviard's side; on the program's,
 * the Python SDK (sdk/caviar.py, caviar.serve) and the C SDK
 * (sdk/caviar_report.h, caviar_serve).
 *
 * A command sweep with "fork_server": true starts its program once, with
 * FORKSERVER_ENV=1 in its environment and its stdin a Unix socket
 * (SOCK_SEQPACKET: one message a JSON object, at most FORKSERVER_MAX_MSG
 * bytes). The program does its setup (imports, data) and then serves:
 *
 *   server -> caviard  {"ready": true, "pid": P}      setup done, no thread
 *                                                     started: send trials
 *                      {"error": "..."}               it cannot serve (a thread
 *                                                     pool exists, setup
 *                                                     failed); then it exits
 *   caviard -> server  {"trial": ID, "env": ["NAME=value", ...], "cwd": DIR,
 *                       "memory_mb": N}               with SCM_RIGHTS: the
 *                                                     trial's stdin, stdout
 *                                                     and stderr
 *   server -> caviard  {"started": ID, "pid": C}      the trial runs as C
 *                      {"failed": ID, "error": "..."} it could not be forked
 *
 * The server forks a child, which forks the trial's process C and exits at
 * once: C is then an orphan, and caviard, a child subreaper, becomes its
 * parent, so C's exit reaches caviard as any trial's does, whatever becomes
 * of the server. A server may make C before its trial is asked for (a spare:
 * sdk/caviar.py keeps two, as forking a process of torch's size twice takes
 * tens of ms); a spare that never gets a trial exits when its server does,
 * and caviard reaps it as an exit nobody claims. C leads its own process group (set by the child before it
 * says "started"), takes the three descriptors as 0, 1 and 2, adds env to its
 * environment, moves to cwd, limits its address space to memory_mb (0: no
 * limit), and once caviard is its parent (CAVIAR_PARENT_PID) asks to die with
 * it, as caviard --exec-limits does for a spawned trial. Then it runs the
 * trial: the same lines, signals and control lines as any command trial.
 * caviard closing the socket asks the server to exit. */
#ifndef CAVIAR_FORKSERVER_PROTO_H
#define CAVIAR_FORKSERVER_PROTO_H

#define FORKSERVER_ENV "CAVIAR_FORK_SERVER"
#define FORKSERVER_MAX_MSG (256u << 10)

#define FORKSERVER_READY "ready"
#define FORKSERVER_PID "pid"
#define FORKSERVER_ERROR "error"
#define FORKSERVER_TRIAL "trial"
#define FORKSERVER_ENVIRON "env"
#define FORKSERVER_CWD "cwd"
#define FORKSERVER_MEMORY "memory_mb"
#define FORKSERVER_STARTED "started"
#define FORKSERVER_FAILED "failed"

#endif
