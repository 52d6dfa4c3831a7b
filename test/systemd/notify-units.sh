#!/usr/bin/env bash
# Type=notify units under a real systemd, run in the v2 guest from the repo root:
#   ../shared/vm/run-in-vm --systemd --timeout 300 test/systemd/notify-units.sh
# Two template units like docs/systemd.md's: `minidocker run` in the foreground (MAINPID = the
# runtime) and `run -d` (MAINPID = the container). Checks: the unit becomes active only after the
# container said READY=1 (it sleeps 2 s first), MainPID, `systemctl kill` reaches the container, a
# crash restarts it (Restart=on-failure), `systemctl stop` leaves no container, state dir or cgroup.
# Prints one "ok"/"FAIL" line per check, the journal, and "N passed, N failed"; exit 1 on a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
MD=${MINIDOCKER_BIN:-$PWD/dist/minidocker}
work=$(mktemp -d /tmp/notify-units.XXXXXX)
root=$work/root
passed=0 failed=0
check() { # check NAME COMMAND...: one line, counted
  local name=$1; shift
  if "$@"; then echo "ok   $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
prop() { systemctl show -P "$2" "$1"; }
log() { echo "# $*"; }

[ "$(cat /proc/1/comm)" = systemd ] || { echo "FAIL not under systemd (run-in-vm --systemd)"; echo "0 passed, 1 failed"; exit 1; }

# The bundle: busybox, a static sd-notify (busybox has no sender), a process that traps TERM and
# USR1, sleeps 2 s, then says READY=1.
mkdir -p "$work/bundle"
cp -a bundles/busybox/rootfs "$work/bundle/rootfs"
gcc -static -O2 -o "$work/bundle/rootfs/bin/sd-notify" test/fixtures/sd-notify.c || { echo "FAIL gcc -static"; echo "0 passed, 1 failed"; exit 1; }
"$MD" spec --bundle "$work/bundle"
python3 - "$work/bundle/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "trap 'echo got TERM; exit 0' TERM; trap 'echo got USR1' USR1; echo started; sleep 2; sd-notify READY=1 STATUS=serving; echo notified; while :; do sleep 0.2; done"]
json.dump(c, open(path, "w"))
EOF

unit() { # unit NAME MODE: a template unit, MODE fg (foreground run) or detach (run -d)
  local run
  if [ "$2" = fg ]; then run="run"; else run="run -d --pid-file /run/$1-%i.pid"; fi
  cat > "/run/systemd/system/$1@.service" <<EOF
[Unit]
Description=minidocker container %i ($2)

[Service]
Type=notify
NotifyAccess=main
ExecStartPre=-$MD --root $root delete --force %i
ExecStart=$MD --root $root $run --bundle $work/bundle %i
$( [ "$2" = detach ] && echo "ExecStopPost=$MD --root $root delete --force %i" )
KillMode=$( [ "$2" = fg ] && echo mixed || echo control-group )
Delegate=yes
Restart=on-failure
RestartSec=1
TimeoutStartSec=90
TimeoutStopSec=30
EOF
}
unit md-fg fg
unit md-detach detach
systemctl daemon-reload

state_pid() { "$MD" --root "$root" state "$1" 2>/dev/null | sed -n 's/^ *"pid": \([0-9]*\),$/\1/p'; }
gone() { # gone ID PID: no state, no process, no cgroup named ID
  ! "$MD" --root "$root" state "$1" >/dev/null 2>&1 && ! kill -0 "$2" 2>/dev/null && [ -z "$(find /sys/fs/cgroup -name "$1" -type d 2>/dev/null)" ]
}
wait_for() { local i; for i in $(seq 1 150); do "$@" && return 0; sleep 0.2; done; return 1; }

for mode in fg detach; do
  u="md-$mode@c-$mode.service" id="c-$mode"
  log "$u"
  t0=$(date +%s%N)
  systemctl start "$u"; rc=$?
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  log "systemctl start took ${ms} ms (container sleeps 2000 ms before READY=1)"
  check "$mode: systemctl start succeeds" [ "$rc" = 0 ]
  check "$mode: start returned only after READY (>= 2000 ms)" [ "$ms" -ge 2000 ]
  check "$mode: active (running)" [ "$(prop "$u" ActiveState)/$(prop "$u" SubState)" = active/running ]
  check "$mode: STATUS relayed" [ "$(prop "$u" StatusText)" = serving ]
  main=$(prop "$u" MainPID) cpid=$(state_pid "$id")
  log "MainPID=$main container pid=$cpid cgroup of container: $(cat /proc/"$cpid"/cgroup 2>/dev/null)"
  if [ "$mode" = fg ]; then
    check "fg: MainPID is the runtime (minidocker run)" grep -q "minidocker" "/proc/$main/cmdline"
  else
    check "detach: MainPID is the container's process" [ "$main" = "$cpid" ]
    check "detach: --pid-file names it" [ "$(cat "/run/md-detach-$id.pid")" = "$cpid" ]
  fi
  systemctl kill -s USR1 --kill-whom=main "$u"
  check "$mode: systemctl kill reaches the container" wait_for sh -c "journalctl -q -u '$u' -o cat | grep -q 'got USR1'"

  # a crash: the container's process is killed; Restart=on-failure brings a new one
  kill -9 "$cpid"
  check "$mode: crash -> restarted (NRestarts=1, active again)" wait_for sh -c "[ \"\$(systemctl show -P NRestarts '$u')\" = 1 ] && [ \"\$(systemctl show -P ActiveState '$u')\" = active ]"
  cpid2=$(state_pid "$id")
  check "$mode: a new container runs" sh -c "[ -n '$cpid2' ] && [ '$cpid2' != '$cpid' ] && kill -0 '$cpid2'"

  systemctl stop "$u"
  check "$mode: stop -> inactive" [ "$(prop "$u" ActiveState)" = inactive ]
  check "$mode: stop -> container, state dir and cgroup gone" wait_for gone "$id" "$cpid2"
  log "journal of $u:"
  journalctl -q -u "$u" -o short-monotonic --no-pager | sed 's/^/    /'
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
