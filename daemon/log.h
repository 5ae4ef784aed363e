/* log: caviard's clock and its log lines. Every module of the daemon stamps its
 * records with log_now and reports what it did with log_msg; neither knows any
 * other module, so any of them may call these without tying itself to the hub. */
#ifndef CAVIAR_LOG_H
#define CAVIAR_LOG_H

/* Wall clock now, in unix seconds: the time records and log lines carry. */
double log_now(void);

/* Logs one line to stderr: "caviard: <message>", stamped unless the journal
 * (systemd) stamps lines itself. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
