# forkserver_lib.sh: what the fork server tests (test_forkserver.sh, the
# Python server; test_forkserver_c.sh, the C one) ask of a sweep's records
# alike. Sourced after lib.sh.

# distinct SWEEP METRIC: how many different values its trials reported.
distinct() { sql "SELECT count(DISTINCT value) FROM points p JOIN trials t ON t.id = p.trial_id
	WHERE t.sweep_id = $1 AND metric = '$2'"; }

# fell_back SWEEP: the log lines saying it runs a process per trial, as its
# program cannot serve.
fell_back() { grep -c "sweep $1: one process per trial from now on: its program cannot serve" "$TMP/daemon.log"; }

# own_setups SWEEP: its trials whose "server" at epoch 1 is their own pid:
# each its own program, which ran setup itself.
own_setups() { sql "SELECT count(*) FROM points s JOIN points p ON p.trial_id = s.trial_id AND
		p.epoch = s.epoch AND p.metric = 'pid' JOIN trials t ON t.id = s.trial_id
		WHERE t.sweep_id = $1 AND s.metric = 'server' AND s.epoch = 1 AND s.value = p.value"; }
