# slurm-cluster.sh: a real one-node SLURM cluster on loopback, for tests (sourced, after tap.sh).
# hs_cluster_packages      install slurm-wlm and munge when missing (root + apt-get), else skip
# hs_cluster_start DIR     munged, slurmctld and slurmd from Debian's packages, everything (config,
#                          key, sockets, state, logs) in a private folder of their own (mktemp -d
#                          in /tmp), with its pids file and logs copied to DIR; node "localhost"
#                          with this machine's CPUs and memory and two fake GPUs (GRES backed by
#                          links to /dev/null, so that --gres=gpu:N sets CUDA_VISIBLE_DEVICES);
#                          exports SLURM_CONF
# hs_cluster_stop          cancel the jobs left, stop every daemon started here by its PID, copy
#                          the logs to DIR and remove the private folder
# hs_cluster_logs          the daemons' logs as TAP comments
# The caller makes sure hs_cluster_stop runs: trap hs_cluster_stop EXIT (see tests/slurm.sh).
hs_cluster_pids=
hs_cluster_tmp=

# hs_cluster_packages: the SLURM daemons and clients, and munge.
hs_cluster_packages() {
	hs_cluster_have && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		diag "installing slurm-wlm and munge"
		# Where systemd runs, the packages start their own services: this cluster does not meet
		# them (its own key, sockets and ports).
		hs_c_apt="apt-get install -y -q --no-install-recommends slurm-wlm munge"
		DEBIAN_FRONTEND=noninteractive $hs_c_apt >"$HS_TMPDIR/apt.log" 2>&1 ||
			{ apt-get update -q >>"$HS_TMPDIR/apt.log" 2>&1 &&
				DEBIAN_FRONTEND=noninteractive $hs_c_apt >>"$HS_TMPDIR/apt.log" 2>&1; }
	fi
	hs_cluster_have || skip_all "slurm-wlm and munge are not installed and cannot be installed"
}
hs_cluster_have() {
	for hs_c_c in munged slurmctld slurmd sbatch srun scontrol sinfo scancel; do
		command -v "$hs_c_c" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$hs_c_c" >/dev/null 2>&1 ||
			return 1
	done
}

# hs_free_port: a TCP port nobody listens on now (the kernel's choice).
hs_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# hs_cluster_start DIR: 0 once the node is idle; otherwise 1, with the daemons' logs in TAP comments.
hs_cluster_start() {
	hs_cluster_dir=$1
	# munged refuses a folder (for its key, seed, socket, log or pid) below one that its group
	# may write without the sticky bit, and a release tarball unpacked as root keeps the
	# archive's group-writable folders (the build tree's tests/ among them): the daemons' state
	# lives in a private folder under /tmp (sticky) instead, whose path is also short enough for
	# socket names (108 bytes at most).
	mkdir -p "$hs_cluster_dir" || return 1
	hs_cluster_tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-slurm.XXXXXX") && chmod 755 "$hs_cluster_tmp" ||
		return 1
	hs_c_d=$hs_cluster_tmp
	hs_c_r=$hs_c_d/run
	mkdir -p "$hs_c_r/munge" "$hs_c_r/spool" "$hs_c_d/munge-key" "$hs_c_d/state" "$hs_c_d/log" \
		"$hs_c_d/dev" || return 1
	# munged wants its key private and its socket's folder open to all.
	chmod 700 "$hs_c_d/munge-key" && chmod 755 "$hs_c_r/munge" || return 1
	PATH=$PATH:/usr/sbin
	# Variables of an enclosing SLURM job would send the clients to the real cluster.
	for hs_c_v in $(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$hs_c_v"; done
	export SLURM_CONF="$hs_c_d/slurm.conf"

	# munge: a key of our own, a socket of our own.
	dd if=/dev/urandom of="$hs_c_d/munge-key/munge.key" bs=1024 count=1 2>/dev/null &&
		chmod 400 "$hs_c_d/munge-key/munge.key" || return 1
	munged --foreground --socket="$hs_c_r/munge/munge.socket" --key-file="$hs_c_d/munge-key/munge.key" \
		--pid-file="$hs_c_d/munge-key/munged.pid" --seed-file="$hs_c_d/munge-key/munged.seed" \
		--log-file="$hs_c_d/log/munged.log" >"$hs_c_d/log/munged.out" 2>&1 &
	hs_cluster_pids="$hs_cluster_pids $!"

	# The node as slurmd sees it (CPUs, sockets, cores, threads, memory), named localhost.
	hs_c_node=$(slurmd -C | sed -n '1s/^NodeName=[^ ]* //p')
	[ -n "$hs_c_node" ] || { diag "slurmd -C printed nothing"; return 1; }
	ln -sf /dev/null "$hs_c_d/dev/gpu0" && ln -sf /dev/null "$hs_c_d/dev/gpu1"
	hs_c_ctld_port=$(hs_free_port) && hs_c_slurmd_port=$(hs_free_port) || return 1
	cat >"$hs_c_d/slurm.conf" <<EOF
ClusterName=hetsched-test
SlurmctldHost=localhost
SlurmctldPort=$hs_c_ctld_port
SlurmdPort=$hs_c_slurmd_port
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$hs_c_r/munge/munge.socket
StateSaveLocation=$hs_c_d/state
SlurmdSpoolDir=$hs_c_r/spool
SlurmctldPidFile=$hs_c_d/slurmctld.pid
SlurmdPidFile=$hs_c_d/slurmd.pid
SlurmctldLogFile=$hs_c_d/log/slurmctld.log
SlurmdLogFile=$hs_c_d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=600
KillWait=2
SchedulerParameters=kill_invalid_depend,batch_sched_delay=0
GresTypes=gpu
NodeName=localhost NodeAddr=127.0.0.1 $hs_c_node Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
	cat >"$hs_c_d/gres.conf" <<EOF
AutoDetect=off
NodeName=localhost Name=gpu File=$hs_c_d/dev/gpu0
NodeName=localhost Name=gpu File=$hs_c_d/dev/gpu1
EOF
	# slurmctld first: slurmd registers with it. Both need munged's socket.
	hs_cluster_wait 5 test -S "$hs_c_r/munge/munge.socket" ||
		{ diag "munged did not open its socket"; hs_cluster_logs; return 1; }
	slurmctld -D -i -f "$hs_c_d/slurm.conf" >"$hs_c_d/log/slurmctld.out" 2>&1 &
	hs_cluster_pids="$hs_cluster_pids $!"
	slurmd -D -N localhost -f "$hs_c_d/slurm.conf" >"$hs_c_d/log/slurmd.out" 2>&1 &
	hs_cluster_pids="$hs_cluster_pids $!"
	echo "$hs_cluster_pids" >"$hs_c_d/pids"
	cp "$hs_c_d/pids" "$hs_cluster_dir/pids"

	# Up when the node is idle (about half a second here).
	hs_cluster_wait 20 hs_node_idle && return 0
	diag "the node is not idle after 20 s (state: $(timeout 5 sinfo -h -n localhost -o %T 2>&1))"
	hs_cluster_logs
	return 1
}
hs_node_idle() { [ "$(timeout 5 sinfo -h -n localhost -o %T 2>/dev/null)" = idle ]; }

# hs_cluster_wait SECONDS COMMAND...: 0 as soon as COMMAND succeeds, 1 after SECONDS, or as soon
# as one of the daemons started here has died.
hs_cluster_wait() {
	hs_c_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		for hs_c_pid in $hs_cluster_pids; do
			kill -0 "$hs_c_pid" 2>/dev/null || { diag "daemon $hs_c_pid exited"; return 1; }
		done
		[ "$(date +%s)" -lt $hs_c_end ] || return 1
		sleep 0.1
	done
}

hs_cluster_logs() {
	for hs_c_f in "$hs_c_d"/log/*; do
		[ -s "$hs_c_f" ] && { diag "--- $hs_c_f"; tail -n 20 "$hs_c_f" | sed 's/^/# /'; }
	done
}

# hs_cluster_stop: idempotent; also runs when the test fails or is interrupted.
hs_cluster_stop() {
	[ -n "$hs_cluster_pids$hs_cluster_tmp" ] || return 0
	scancel --quiet --user="$(id -un)" 2>/dev/null
	# Every daemon, by the PID it had when this script started it; SIGKILL after 5 s.
	for hs_c_pid in $hs_cluster_pids; do kill "$hs_c_pid" 2>/dev/null; done
	hs_c_i=0
	while [ $hs_c_i -lt 50 ]; do
		hs_c_alive=
		for hs_c_pid in $hs_cluster_pids; do
			kill -0 "$hs_c_pid" 2>/dev/null && hs_c_alive="$hs_c_alive $hs_c_pid"
		done
		[ -z "$hs_c_alive" ] && break
		sleep 0.1
		hs_c_i=$((hs_c_i + 1))
	done
	for hs_c_pid in $hs_c_alive; do kill -KILL "$hs_c_pid" 2>/dev/null; done
	for hs_c_pid in $hs_cluster_pids; do wait "$hs_c_pid" 2>/dev/null; done
	hs_cluster_pids=
	if [ -n "$hs_cluster_tmp" ]; then
		cp -r "$hs_cluster_tmp/log" "$hs_cluster_dir/" 2>/dev/null
		rm -rf "$hs_cluster_tmp"
	fi
	hs_cluster_tmp=
}
