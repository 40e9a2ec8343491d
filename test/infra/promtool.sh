#!/usr/bin/env bash
# Prometheus' promtool, for checking and unit-testing kubetime's alert rules.
#   promtool.sh install|start|stop|status|env
# A tool, not a daemon: `install` builds it from the Go module proxy into the service cache
# (once; later runs never touch the network), `start` only checks that the binary runs, so that
# `services.sh up` can treat it like the other services, and `env` names the binary.
set -euo pipefail

# ---- pinned versions / settings (the one place to change them) -------------------------
# The v0.x tags of github.com/prometheus/prometheus are Prometheus 3.x (v0.316.0 = 3.16.0).
PROMETHEUS_MODULE="github.com/prometheus/prometheus"
PROMETHEUS_VERSION="${KUBETIME_PROMETHEUS_VERSION:-v0.316.0}"
# -----------------------------------------------------------------------------------------

KT_SERVICE=promtool
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN_DIR="$KT_SERVICES_DIR/promtool/$PROMETHEUS_VERSION/bin"
PROMTOOL_BIN="$BIN_DIR/promtool"

cmd_install() {
  kt_lock promtool-install
  if [[ -x "$PROMTOOL_BIN" ]]; then
    kt_log "promtool $PROMETHEUS_VERSION already installed at $PROMTOOL_BIN"
    kt_unlock; return 0
  fi
  kt_require go
  kt_log "building $PROMETHEUS_MODULE/cmd/promtool@$PROMETHEUS_VERSION with $(go version | awk '{print $3}') (slow: a large dependency tree)"
  local started=$SECONDS
  # Stamp the version like Prometheus' own build does (promtool --version would say nothing).
  # v0.316.0 -> 3.16.0
  local v="${PROMETHEUS_VERSION#v0.}" mm ldflags="-s -w"
  mm="${v%%.*}"
  ldflags+=" -X github.com/prometheus/common/version.Version=${mm:0:1}.${mm:1}.${v#*.}"
  kt_go_install "$BIN_DIR" "$ldflags" "$PROMETHEUS_MODULE/cmd/promtool@$PROMETHEUS_VERSION"
  kt_log "promtool built in $((SECONDS - started))s: $("$PROMTOOL_BIN" --version 2>&1 | head -1)"
  kt_unlock
}

cmd_start() {
  [[ -x "$PROMTOOL_BIN" ]] || cmd_install
  "$PROMTOOL_BIN" --version >/dev/null 2>&1 || kt_die "$PROMTOOL_BIN does not run"
  kt_log "promtool ready at $PROMTOOL_BIN"
}

cmd_status() {
  if [[ -x "$PROMTOOL_BIN" ]]; then
    echo "promtool: installed $PROMTOOL_BIN ($PROMETHEUS_VERSION)"
    return 0
  fi
  echo "promtool: not installed"
  return 3
}

cmd_env() {
  echo "export KUBETIME_PROMTOOL=$PROMTOOL_BIN"
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop|kill) kt_log "promtool is a tool, not a daemon: nothing to stop" ;;
  restart) cmd_start ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 install|start|stop|kill|restart|status|env" >&2; exit 2 ;;
esac
