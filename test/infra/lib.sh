# shellcheck shell=bash
# Shared helpers for the kubetime development-service scripts (cassandra.sh, minio.sh,
# kube.sh, services.sh). Source it; do not execute it.
#
# Conventions:
#   * everything a service installs or writes lives under $KT_SERVICES_DIR (outside the repo);
#   * human-readable logging goes to STDERR, only `env` output goes to STDOUT;
#   * every wait is bounded.

if [[ -n "${KT_LIB_LOADED:-}" ]]; then return 0; fi
KT_LIB_LOADED=1

KT_SERVICES_DIR="${KUBETIME_SERVICES_DIR:-$HOME/.cache/kubetime-services}"
# shellcheck disable=SC2034  # used by the scripts that source this file
KT_INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KT_SERVICE="${KT_SERVICE:-infra}"   # set by each script, used as log prefix

mkdir -p "$KT_SERVICES_DIR/locks"

kt_log() { printf '%s [%s] %s\n' "$(date -u +%H:%M:%S)" "$KT_SERVICE" "$*" >&2; }
kt_warn() { kt_log "WARNING: $*"; }
kt_die() { kt_log "ERROR: $*"; exit 1; }

kt_require() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || kt_die "required command '$c' not found in PATH"
  done
}

# kt_go_install BIN_DIR LDFLAGS PACKAGE@VERSION -> `go install` into BIN_DIR, all or nothing: built
# into a sibling folder and moved into place only when the build succeeded, so a failed or
# interrupted build never leaves a half-filled cache. Static (CGO off), -trimpath, no VCS stamp,
# the machine's own Go (GOTOOLCHAIN=local: the module proxy is reached for modules only).
kt_go_install() {
  local bin_dir="$1" ldflags="$2" target="$3" tmp="$1.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! GOBIN="$tmp" CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off \
       GOFLAGS="${GOFLAGS:-} -buildvcs=false -p=${KUBETIME_GO_PARALLEL:-2}" \
       go install -trimpath -ldflags "$ldflags" "$target" >&2; then
    rm -rf "$tmp"
    kt_die "go install $target failed (see output above)"
  fi
  rm -rf "$bin_dir"; mv "$tmp" "$bin_dir"
}

# kt_port_open HOST PORT -> 0 when a TCP connect succeeds within 1 s.
kt_port_open() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
}

# kt_wait_until TIMEOUT_S DESCRIPTION CMD... -> polls CMD every second until it succeeds.
kt_wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  while ! "$@"; do
    if ((SECONDS >= deadline)); then
      kt_log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 1
  done
}

kt_wait_port() { kt_wait_until "$3" "$1:$2 to accept connections" kt_port_open "$1" "$2"; }
kt_wait_port_closed() { kt_wait_until "$3" "$1:$2 to close" kt_not kt_port_open "$1" "$2"; }
kt_not() { ! "$@"; }

# kt_pid_alive PIDFILE [MARKER] -> 0 when the pid in PIDFILE runs and (if given) its
# command line contains MARKER (guards against a recycled pid).
kt_pid_alive() {
  local pidfile="$1" marker="${2:-}" pid
  [[ -s "$pidfile" ]] || return 1
  pid="$(<"$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -d "/proc/$pid" ]] || return 1
  # a zombie (exited, not reaped) counts as dead
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  if [[ -n "$marker" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
  fi
}

# kt_start_daemon PIDFILE LOGFILE CMD... -> starts CMD detached (own session, stdin from
# /dev/null, stdout+stderr appended to LOGFILE, lock fd 9 closed so the daemon never holds
# the caller's lock or its stdout pipe), and records its pid in PIDFILE and its command
# line in PIDFILE.cmdline.
kt_start_daemon() {
  local pidfile="$1" logfile="$2"; shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  rm -f "$pidfile"
  printf '%q ' "$@" >"$pidfile.cmdline"; echo >>"$pidfile.cmdline"
  printf '%s %s starting %s (command line: %s)\n' "$KT_RUN_MARK" "$(date -u +%FT%TZ)" \
    "$(basename "$1")" "$pidfile.cmdline" >>"$logfile"
  # The inner bash writes its own pid and execs, so the pid file holds the daemon's pid
  # whether or not setsid had to fork.
  # shellcheck disable=SC2016  # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  local _
  for _ in $(seq 1 50); do [[ -s "$pidfile" ]] && return 0; sleep 0.1; done
  kt_die "daemon did not record its pid in $pidfile"
}
KT_RUN_MARK="===== kubetime-infra:"

# kt_stop_daemon PIDFILE MARKER GRACE_S -> SIGTERM, wait up to GRACE_S, then SIGKILL.
kt_stop_daemon() {
  local pidfile="$1" marker="$2" grace="$3" pid
  if ! kt_pid_alive "$pidfile" "$marker"; then
    rm -f "$pidfile"
    return 0
  fi
  pid="$(<"$pidfile")"
  kt_log "stopping pid $pid (SIGTERM, up to ${grace}s)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! kt_wait_until "$grace" "pid $pid to exit" kt_not kt_pid_alive "$pidfile" "$marker"; then
    kt_warn "pid $pid ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    kt_wait_until 30 "pid $pid to die after SIGKILL" kt_not kt_pid_alive "$pidfile" "$marker" ||
      kt_die "could not kill pid $pid"
  fi
  rm -f "$pidfile"
}

# kt_kill_daemon PIDFILE MARKER -> immediate SIGKILL (crash simulation for fault tests).
kt_kill_daemon() {
  local pidfile="$1" marker="$2" pid
  if kt_pid_alive "$pidfile" "$marker"; then
    pid="$(<"$pidfile")"
    kt_log "killing pid $pid (SIGKILL)"
    kill -KILL "$pid" 2>/dev/null || true
    kt_wait_until 30 "pid $pid to die" kt_not kt_pid_alive "$pidfile" "$marker" ||
      kt_die "could not kill pid $pid"
  fi
  rm -f "$pidfile"
}

# kt_lock NAME [TIMEOUT_S] -> takes an exclusive flock on fd 9 for the rest of the process,
# so two concurrent install/start runs of the same service serialize instead of racing.
kt_lock() {
  local name="$1" timeout="${2:-3600}"
  exec 9>"$KT_SERVICES_DIR/locks/$name.lock"
  if ! flock -n 9; then
    kt_log "waiting for another run holding the '$name' lock (up to ${timeout}s)"
    flock -w "$timeout" 9 || kt_die "could not take the '$name' lock within ${timeout}s"
  fi
}

kt_unlock() { flock -u 9 2>/dev/null || true; exec 9>&-; }

# kt_tail_log FILE [N] [SINCE_EPOCH] -> prints (to stderr) the last N lines of FILE written
# by the latest daemon start (after the last start marker), skipping a FILE not modified
# since SINCE_EPOCH.
kt_tail_log() {
  local f="$1" n="${2:-60}" since="${3:-0}"
  [[ -f "$f" ]] || return 0
  (($(stat -c %Y "$f") >= since)) || return 0
  kt_log "---- last $n lines of $f ----"
  awk -v mark="$KT_RUN_MARK" 'index($0, mark) == 1 { n = 0 } { buf[n++] = $0 }
       END { for (i = 0; i < n; i++) print buf[i] }' "$f" | tail -n "$n" >&2
  kt_log "---- end of $f ----"
}

# The command line of every service script: it defines cmd_install, cmd_start, cmd_stop,
# cmd_kill, cmd_status and cmd_env, then ends with `kt_main "$@"`.
kt_main() {
  case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    kill) cmd_kill ;;
    restart) cmd_stop; cmd_start ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) echo "usage: $0 install|start|stop|kill|restart|status|env" >&2; exit 2 ;;
  esac
}
