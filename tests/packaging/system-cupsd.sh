# shellcheck shell=bash
# Sourced (bash): start the system cupsd if it is not running, and stop it
# again afterwards only if this script started it.
#
#   system_cupsd_start    start it (systemd when it runs the machine, else
#                         `cupsd -f` in the background) and wait until it answers
#   system_cupsd_stop     stop it if system_cupsd_start started it
#
# "Running" means answering on its own socket, /run/cups/cups.sock: other
# schedulers on this machine (tests' private ones on 127.0.0.1 ports, with
# sockets of their own) are neither counted nor touched.

FP_CUPSD_SOCKET=/run/cups/cups.sock
FP_CUPSD_STARTED=        # "systemd", or the pid of the cupsd we started
FP_CUPSD_LOG=${FP_CUPSD_LOG:-/tmp/flushprinter-system-cupsd.log}

# (lpstat -r exits 0 either way: read what it says)
system_cupsd_answers() {
  [ "$(env -u CUPS_SERVER LC_ALL=C lpstat -h "$FP_CUPSD_SOCKET" -r 2>/dev/null)" = "scheduler is running" ]
}

system_cupsd_start() {
  if system_cupsd_answers; then
    echo "system cupsd: already running, left as it is"
    return 0
  fi
  if [ -d /run/systemd/system ] && systemctl start cups.service 2>/dev/null; then
    FP_CUPSD_STARTED=systemd
  else
    mkdir -p /run/cups
    /usr/sbin/cupsd -f </dev/null >"$FP_CUPSD_LOG" 2>&1 &
    FP_CUPSD_STARTED=$!
  fi
  for _ in $(seq 1 200); do
    system_cupsd_answers && { echo "system cupsd: started ($FP_CUPSD_STARTED)"; return 0; }
    if [ "$FP_CUPSD_STARTED" != systemd ] && ! kill -0 "$FP_CUPSD_STARTED" 2>/dev/null; then
      echo "system cupsd: exited at start:"; cat "$FP_CUPSD_LOG"; FP_CUPSD_STARTED=
      return 1
    fi
    sleep 0.1
  done
  echo "system cupsd: no answer in 20 s"
  system_cupsd_stop
  return 1
}

system_cupsd_stop() {
  case $FP_CUPSD_STARTED in
    '') return 0 ;;
    systemd) systemctl stop cups.service cups.socket cups.path 2>/dev/null || true ;;
    *)
      kill -TERM "$FP_CUPSD_STARTED" 2>/dev/null || true
      for _ in $(seq 1 300); do
        kill -0 "$FP_CUPSD_STARTED" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$FP_CUPSD_STARTED" 2>/dev/null || true
      wait "$FP_CUPSD_STARTED" 2>/dev/null || true
      ;;
  esac
  echo "system cupsd: stopped ($FP_CUPSD_STARTED)"
  FP_CUPSD_STARTED=
}
