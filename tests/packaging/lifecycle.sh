#!/usr/bin/env bash
# The packages' life on a print server, with the system cupsd running and a
# queue on the backend (its printer: the project's emulator on 127.0.0.1):
#
#   tests/packaging/lifecycle.sh V1DIR V2DIR
#
# V1DIR and V2DIR hold the .deb files of two versions, V2 the higher
# (tests/packaging/build-debs.sh makes them).  As root, on a machine where
# flushprinter is not installed:
#
#   install V1 -> reinstall V1 -> upgrade to V2 (with a job printing) -> remove -> purge
#
# checking after each step the backend's mode and links, the state directory,
# lpinfo -v, and that the queue prints; that remove keeps the queue and the
# state and leaves nothing in /usr/lib/cups/backend; that purge removes the
# state directory.  Starts the system cupsd if it is not running and stops it
# again afterwards; removes its queue.  Ends with "lifecycle: N passed, N failed".
set -uo pipefail
[ $# -eq 2 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
v1=$(cd "$1" && pwd) v2=$(cd "$2" && pwd)
[ "$(id -u)" = 0 ] || { echo "lifecycle.sh: needs root (it installs packages)"; exit 2; }
queue=fp_lifecycle
backends=/usr/lib/cups/backend
statedir=/var/cache/cups/flushprinter
export DEBIAN_FRONTEND=noninteractive
passed=0 failed=0

ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
status() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '; }
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
debs() { ls "$1"/flushprinter_*.deb "$1"/libflushprinter1_*.deb "$1"/libflushprinter-dev_*.deb; }
lp_env() { env CUPS_SERVER=/run/cups/cups.sock "$@"; }

for p in flushprinter libflushprinter1 libflushprinter-dev; do
  case $(status "$p") in
    ''|un|pn) ;;
    *) echo "lifecycle.sh: $p is installed here ($(status "$p")); purge it first"; exit 2 ;;
  esac
done

work=$(mktemp -d)
emulator_pid=
# shellcheck source=tests/packaging/system-cupsd.sh
. "$top/tests/packaging/system-cupsd.sh"
FP_CUPSD_LOG=$work/cupsd.log
cleanup() {
  lp_env lpadmin -x "$queue" 2>/dev/null
  [ -z "$emulator_pid" ] || { kill "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null; }
  system_cupsd_stop
  rm -rf "$work"
}
trap cleanup EXIT

# apt as an administrator runs it; its output goes to apt.log, shown on failure.
apt() {
  if apt-get "$@" >>"$work/apt.log" 2>&1; then
    return 0
  fi
  tail -30 "$work/apt.log"
  return 1
}

py() { FP_BUILDDIR=$work python3 "$top/tests/packaging/syscupsd.py" "$@"; }

# The backend is one root-owned 0700 file, hard-linked once per scheme.
backend_ok() {
  local s
  for s in flushprinter+socket flushprinter+file flushprinter+usb; do
    [ "$(stat -c '%U %a %h %i' "$backends/$s" 2>/dev/null)" = \
      "root 700 3 $(stat -c %i "$backends/flushprinter+socket")" ] || return 1
  done
}
statedir_ok() { [ "$(stat -c '%U:%G %a %F' "$statedir" 2>/dev/null)" = "root:root 700 directory" ]; }
lists_scheme() { lp_env lpinfo -v 2>/dev/null | grep -qx 'network flushprinter+socket'; }
queue_uri() { lp_env lpstat -v "$queue" 2>/dev/null | sed -n 's/^device for [^:]*: //p'; }
state_files() { find "$statedir" -maxdepth 1 -name 'dev-*.state' 2>/dev/null | wc -l; }
prints() { py print "$queue" "$1" "$work/events.log" >/dev/null; }
no_scheme() { ! lists_scheme; }
state_kept() { statedir_ok && [ "$(stat -c %i "$statedir")" = "$inode" ] && [ "$(state_files)" -ge 1 ]; }

echo "== set-up: system cupsd, printer emulator"
system_cupsd_start || exit 1
mkdir -p "$work/tests"
gcc -std=gnu11 -O2 -D_GNU_SOURCE -o "$work/tests/fp-emulator" "$top"/tests/emulator/*.c || exit 1
# 300 kB/s: the job printed during the upgrade lasts a few seconds.
"$work/tests/fp-emulator" --listen 127.0.0.1:0 --port-file "$work/port" --log "$work/events.log" \
  --rate 300000 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 1 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port") || exit 1
uri="flushprinter+socket://127.0.0.1:$port/?reset=escpos&idle=300"
echo "   printer emulator on 127.0.0.1:$port"

echo "== install $(basename "$(ls "$v1"/flushprinter_*.deb)")"
# shellcheck disable=SC2046 # one word per file
check "apt-get install ./V1 debs" apt install -y -q --no-install-recommends $(debs "$v1")
check "flushprinter $(version flushprinter) installed" [ "$(status flushprinter)" = ii ]
check "backend: root's, mode 0700, one file linked as +socket, +file, +usb" backend_ok
check "state directory $statedir: root:root 0700" statedir_ok
check "lpinfo -v lists flushprinter+socket" lists_scheme
# (lpadmin says on stderr that raw queues are deprecated)
check "lpadmin a raw queue on $uri" lp_env lpadmin -p "$queue" -E -v "$uri" -m raw 2>>"$work/lpadmin.log"
check "the queue prints" prints INSTALLED
check "the backend keeps its state in $statedir" [ "$(state_files)" -ge 1 ]
inode=$(stat -c %i "$statedir")

echo "== reinstall the same version"
# shellcheck disable=SC2046
check "apt-get install --reinstall ./V1 debs" apt install -y -q --reinstall --no-install-recommends $(debs "$v1")
check "backend: still root's, mode 0700, linked three times" backend_ok
check "state directory kept (the same directory, its state file still there)" state_kept
check "the queue prints" prints REINSTALLED

echo "== upgrade to $(basename "$(ls "$v2"/flushprinter_*.deb)"), a job printing meanwhile"
old=$(version flushprinter)
job=$(py submit "$queue" DURING-UPGRADE 20000) || job=
apt_started=$(date +%s.%N)
# shellcheck disable=SC2046
check "apt-get install ./V2 debs while job $job prints" apt install -y -q --no-install-recommends $(debs "$v2")
new=$(version flushprinter)
check "flushprinter upgraded: $old -> $new" dpkg --compare-versions "$new" gt "$old"
check "the job printing during the upgrade completed whole" py wait "${job:-0}" DURING-UPGRADE "$work/events.log"
# the emulator's times are the clock's: its last connection closed after apt began
closed=$(sed -n 's/^T=\([0-9.]*\) C=[0-9]* close.*/\1/p' "$work/events.log" | tail -1)
check "that job was still printing when apt began (it ended ${closed:-?}, apt began $apt_started)" \
  awk -v a="$apt_started" -v c="${closed:-0}" 'BEGIN { exit !(c > a) }'
check "backend: still root's, mode 0700, linked three times" backend_ok
check "state directory kept, root:root 0700" statedir_ok
check "the queue's device URI is unchanged" [ "$(queue_uri)" = "$uri" ]
check "the queue prints" prints UPGRADED

echo "== remove"
check "apt-get remove" apt remove -y -q flushprinter libflushprinter-dev libflushprinter1
check "flushprinter removed, its configuration kept (dpkg: rc)" [ "$(status flushprinter)" = rc ]
check "nothing flushprinter's left in $backends" [ -z "$(find "$backends" -name '*flushprinter*')" ]
check "the filter is gone" [ ! -e /usr/lib/cups/filter/flushprinter ]
check "lpinfo -v no longer lists flushprinter+socket" no_scheme
check "the queue is still configured, with its device URI" [ "$(queue_uri)" = "$uri" ]
check "the state directory and its state are kept" state_kept

echo "== purge"
# what remove left in dpkg's database (the library packages have no conffiles: gone already)
rc=()
for p in flushprinter libflushprinter1 libflushprinter-dev; do [ "$(status "$p")" != rc ] || rc+=("$p"); done
check "apt-get purge ${rc[*]}" apt purge -y -q "${rc[@]}"
for p in flushprinter libflushprinter1 libflushprinter-dev; do
  check "$p purged" [ -z "$(status "$p" | grep -v '^un$')" ]
done
check "the state directory is gone" [ ! -e "$statedir" ]
left=$(find /usr/lib/cups /usr/share/cups /usr/share/doc /usr/share/man /usr/include \
         /usr/lib/*-linux-gnu /usr/bin /var/cache/cups /etc/cups/ppd \
         -name '*flushprinter*' 2>/dev/null)
check "no file named *flushprinter* left in the packages' directories${left:+: $left}" [ -z "$left" ]

echo "lifecycle: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
