#!/usr/bin/env bash
# slurm-cluster.sh: brings up, checks and tears down a private single-node Slurm
# cluster (munged + slurmctld + slurmd on 127.0.0.1) for the Slurm launcher's
# integration tests and CI. Works without systemd; run as root.
#   scripts/slurm-cluster.sh up [DIR]      install what is missing, start, wait until srun
#                                          works; last stdout line: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-cluster.sh status [DIR]  exit 0 if the cluster in DIR is up and healthy
#   scripts/slurm-cluster.sh down [DIR]    stop the daemons (munged only if we started it), remove DIR
# DIR defaults to /tmp/caviar-slurm and holds the config, state, spool, pid and log files.
# Outside DIR it touches only /run/munge, /etc/slurm/slurm.conf and the munge key.
# Only the export line goes to stdout; every message goes to stderr.
set -euo pipefail

readonly wait_secs=30 # bound on every wait for a daemon or the node
packages=(slurm-wlm munge)

say() { echo "slurm: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { echo "usage: $0 up|down|status [DIR]" >&2; exit 2; }

# alive PID NAME: the process exists, is not a zombie (late reaping, see the notes)
# and is called NAME (so a recycled pid does not count).
alive() {
	local pid=$1 name=$2 state
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
	[[ -n $state && $state != Z && $state != X ]] || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

# pid_of FILE: the pid in a pidfile, or nothing.
pid_of() { [ ! -f "$1" ] || tr -dc 0-9 <"$1"; }

# listening PORT [PID]: some process (PID if given) listens on TCP PORT.
listening() {
	local out
	out=$(ss -Hltnp "sport = :$1" 2>/dev/null) || return 1
	[ -n "$out" ] || return 1
	[ $# -lt 2 ] || [[ $out == *"pid=$2,"* ]]
}

# last_line FILE: the last non-empty line of a log, for one-line error messages.
last_line() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 1 || true; }

# conf_value KEY: a KEY=value setting from $conf.
conf_value() { [ ! -f "$conf" ] || sed -n "s/^$1=//p" "$conf" | head -n 1; }

# detached LOG CMD...: runs CMD (a daemon that forks) with stdin /dev/null, output to
# LOG and no other inherited descriptor: munged keeps every fd it inherits, so a
# caller's pipe (eval "$(... up)", a test harness) would otherwise never see EOF.
detached() {
	local log=$1
	shift
	(
		local fd
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			if [ "$fd" -gt 2 ]; then
				eval "exec $fd>&-"
			fi
		done
		exec "$@" </dev/null >>"$log" 2>&1
	)
}

install_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	say "installing ${missing[*]}"
	apt-get update -qq >&2 || die "cannot start: apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2 || die "cannot start: apt-get install ${missing[*]} failed"
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

# The directories and key munged insists on; systemd's tmpfiles would create /run/munge.
munge_prepare() {
	install -d -o munge -g munge -m 0755 /run/munge
	install -d -o munge -g munge -m 0700 /etc/munge /var/log/munge
	install -d -o munge -g munge -m 0711 /var/lib/munge
	if [ ! -s /etc/munge/munge.key ]; then
		say "creating /etc/munge/munge.key"
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=128 status=none
	fi
	chown munge:munge /etc/munge/munge.key
	chmod 0600 /etc/munge/munge.key
}

# Reuses a working munged (ours or the system's); otherwise starts one. munged's own
# files go to /run/munge, not $dir: the munge user may not reach $dir (mktemp -d is
# 0700). $dir/munged.pid records that this script started it, for `down`.
munge_start() {
	munge_works && return 0
	munge_prepare
	rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock /run/munge/munged.pid
	detached "$dir/munged.out" runuser -u munge -- munged \
		--pid-file=/run/munge/munged.pid --log-file=/run/munge/munged.log \
		--seed-file=/run/munge/munged.seed ||
		die "cannot start: munged exited: $(last_line "$dir/munged.out")"
	local i
	for ((i = 0; i < wait_secs * 10; i++)); do
		if munge_works; then
			cp /run/munge/munged.pid "$dir/munged.pid"
			return 0
		fi
		sleep 0.1
	done
	die "cannot start: munge -n | unmunge fails: $(last_line /run/munge/munged.log)"
}

# free_ports: the first pair P, P+1 from 6817 with neither port in use.
free_ports() {
	local p
	for ((p = 6817; p < 6917; p += 2)); do
		if ! listening "$p" && ! listening $((p + 1)); then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# write_conf PORT: slurm.conf for one node with twice the real CPUs (so trials never
# queue behind a job that is still COMPLETING), every path under $dir.
write_conf() {
	local port=$1 host cpus
	host=$(hostname)
	cpus=$(($(nproc) * 2))
	cat >"$conf" <<-EOF
		# Generated by scripts/slurm-cluster.sh; the cluster lives in $dir.
		ClusterName=caviar
		SlurmctldHost=$host(127.0.0.1)
		SlurmctldPort=$port
		SlurmdPort=$((port + 1))
		SlurmUser=root
		AuthType=auth/munge
		MpiDefault=none
		ProctrackType=proctrack/linuxproc
		TaskPlugin=task/none
		SelectType=select/cons_tres
		SelectTypeParameters=CR_CPU
		SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
		ReturnToService=2
		SlurmdParameters=config_overrides
		MailProg=/bin/true
		KillWait=5
		MinJobAge=300
		StateSaveLocation=$dir/state
		SlurmdSpoolDir=$dir/spool
		SlurmctldPidFile=$dir/slurmctld.pid
		SlurmdPidFile=$dir/slurmd.pid
		SlurmctldLogFile=$dir/slurmctld.log
		SlurmdLogFile=$dir/slurmd.log
		NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
		PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
	EOF
	install -d -m 0755 /etc/slurm
	cp "$conf" /etc/slurm/slurm.conf
}

# wait_listening NAME PORT: until NAME (pidfile in $dir) itself listens on PORT.
# A daemon can die after writing its pidfile ("Address already in use").
wait_listening() {
	local name=$1 port=$2 i pid
	for ((i = 0; i < wait_secs * 20; i++)); do
		pid=$(pid_of "$dir/$name.pid")
		if [ -n "$pid" ]; then
			alive "$pid" "$name" || return 1
			listening "$port" "$pid" && return 0
		fi
		sleep 0.05
	done
	return 1
}

# start_daemon NAME PORT ARGS...: starts a Slurm daemon and waits until it listens;
# on failure sets $why to the daemon's last log line.
start_daemon() {
	local name=$1 port=$2
	shift 2
	if detached "$dir/$name.log" "$name" "$@" && wait_listening "$name" "$port"; then
		return 0
	fi
	why="$name exited: $(last_line "$dir/$name.log")"
	return 1
}

# node_state: the node's state as sinfo shows it (idle, mixed, down*, ...).
node_state() { timeout 5 sinfo -h -o %T 2>/dev/null | head -n 1; }

wait_idle() {
	local i state=
	for ((i = 0; i < wait_secs * 20; i++)); do
		state=$(node_state)
		[ "$state" = idle ] && return 0
		sleep 0.05
	done
	why="node not idle after ${wait_secs} s (state '${state:-none}'): $(last_line "$dir/slurmd.log")"
	stop_slurm
	die "cannot start: $why"
}

srun_works() { timeout 20 srun -Q -n1 --immediate=10 -J slurm-cluster-check /bin/true </dev/null >&2; }

# healthy: daemons alive and listening, the node usable, and (unless every CPU is
# taken, when a new job would queue) srun runs /bin/true.
healthy() {
	[ -f "$conf" ] || return 1
	local port
	port=$(conf_value SlurmctldPort)
	[ -n "$port" ] || return 1
	local ctld slurmd
	ctld=$(pid_of "$dir/slurmctld.pid")
	slurmd=$(pid_of "$dir/slurmd.pid")
	alive "$ctld" slurmctld && listening "$port" "$ctld" || return 1
	alive "$slurmd" slurmd && listening $((port + 1)) "$slurmd" || return 1
	munge_works || return 1
	case $(node_state) in
	idle | mixed) srun_works 2>/dev/null ;;
	allocated | completing) timeout 5 scontrol ping >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

# stop PIDFILE NAME: SIGTERM, wait (zombies count as dead), then SIGKILL.
stop() {
	local pid i
	pid=$(pid_of "$1")
	alive "$pid" "$2" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" "$2" || return 0
		sleep 0.05
	done
	say "$2 ($pid) ignored SIGTERM; killing it"
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" "$2" || return 0
		sleep 0.05
	done
	say "$2 ($pid) did not die"
}

# cancel_jobs: cancels this cluster's jobs so their slurmstepds go away before slurmd.
cancel_jobs() {
	local port pid jobs i
	port=$(conf_value SlurmctldPort)
	pid=$(pid_of "$dir/slurmctld.pid")
	[ -n "$port" ] && alive "$pid" slurmctld && listening "$port" "$pid" || return 0
	jobs=$(timeout 5 squeue -h -o %i 2>/dev/null) || return 0
	[ -n "$jobs" ] || return 0
	# shellcheck disable=SC2086
	timeout 5 scancel $jobs 2>/dev/null || true
	for ((i = 0; i < wait_secs * 10; i++)); do
		[ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && return 0
		sleep 0.1
	done
}

stop_slurm() {
	cancel_jobs
	stop "$dir/slurmd.pid" slurmd
	stop "$dir/slurmctld.pid" slurmctld
}

# other_cluster: the DIR of another running cluster started by this script (its
# slurmctld runs with -f DIR/slurm.conf), or nothing.
other_cluster() {
	local pid conf_arg
	for pid in $(pgrep -x slurmctld || true); do
		alive "$pid" slurmctld || continue
		conf_arg=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/{n;p;q}') || true
		if [ -n "$conf_arg" ] && [ "${conf_arg%/slurm.conf}" != "$dir" ]; then
			echo "${conf_arg%/slurm.conf}"
			return 0
		fi
	done
}

# start_slurm: a fresh slurmctld + slurmd on free ports; on failure sets $why and
# returns 2 when another process took a port in the meantime.
start_slurm() {
	local port
	rm -rf "$dir/state" "$dir/spool" "$dir"/slurm*.log "$dir"/slurm*.pid
	install -d -m 0755 "$dir/state" "$dir/spool"
	port=$(free_ports) || { why="no free port pair in 6817-6918"; return 1; }
	write_conf "$port" || { why="cannot write $conf or /etc/slurm/slurm.conf"; return 1; }
	say "starting slurmctld and slurmd on ports $port, $((port + 1)) in $dir"
	if start_daemon slurmctld "$port" -c -f "$conf" &&
		start_daemon slurmd $((port + 1)) -f "$conf"; then
		return 0
	fi
	stop_slurm
	[[ $why != *"Address already in use"* ]] || return 2
	return 1
}

cmd_up() {
	if healthy; then
		cmp -s "$conf" /etc/slurm/slurm.conf || cp "$conf" /etc/slurm/slurm.conf
		echo "export SLURM_CONF=$conf"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "cannot start: must run as root"
	install_packages
	stop_slurm # leftovers of a half-up cluster in $dir
	install -d -m 0755 "$dir"
	munge_start
	local attempt rc
	for attempt in 1 2 3; do
		rc=0
		start_slurm || rc=$?
		[ "$rc" -eq 2 ] || break
		say "attempt $attempt: $why; retrying on other ports"
	done
	[ "$rc" -eq 0 ] || die "cannot start: $why"
	wait_idle
	if ! srun_works; then
		why="srun -n1 /bin/true fails: $(last_line "$dir/slurmctld.log")"
		stop_slurm
		die "cannot start: $why"
	fi
	echo "export SLURM_CONF=$conf"
}

cmd_down() {
	stop_slurm
	local other
	if [ -f "$dir/munged.pid" ]; then
		other=$(other_cluster)
		if [ -n "$other" ] && [ -d "$other" ]; then
			say "leaving munged running for the cluster in $other"
			cp "$dir/munged.pid" "$other/munged.pid" # its `down` stops munged
		else
			stop "$dir/munged.pid" munged
		fi
	fi
	if [ -f /etc/slurm/slurm.conf ] && cmp -s "$conf" /etc/slurm/slurm.conf; then
		rm -f /etc/slurm/slurm.conf
	fi
	rm -rf "$dir"
}

cmd_status() {
	healthy && return 0
	say "the cluster in $dir is not up"
	return 1
}

main() {
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then
		usage
	fi
	dir=${2:-/tmp/caviar-slurm}
	why=
	[[ $dir = /* ]] || dir=$PWD/$dir
	dir=${dir%/}
	conf=$dir/slurm.conf
	export SLURM_CONF=$conf
	case $1 in
	up) cmd_up ;;
	down) cmd_down ;;
	status) cmd_status ;;
	*) usage ;;
	esac
}

main "$@"
