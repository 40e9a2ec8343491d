#!/usr/bin/env bash
# Chromium, for the web timeline's browser test (test/e2e/ui-browser.test.ts, driven by
# playwright-core, which brings no browser of its own).
#   chromium.sh install|start|stop|status|env      (bash test/infra/chromium.sh = install)
# A tool, not a daemon, like promtool.sh: `install` puts Debian's `chromium` package in place
# with apt-get (once; idempotent: nothing is done when the binary is there), `start` only checks
# that it runs, and `env` names it. Installing needs root and Debian's package mirror; a first
# install downloads about 100 MB and takes a minute or two.
set -euo pipefail

# ---- settings (the one place to change them) ---------------------------------------------
CHROMIUM_BIN="${KUBETIME_CHROMIUM_BIN:-/usr/bin/chromium}"
CHROMIUM_PACKAGE="${KUBETIME_CHROMIUM_PACKAGE:-chromium}"
# -------------------------------------------------------------------------------------------

KT_SERVICE=chromium
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs() { "$CHROMIUM_BIN" --headless --no-sandbox --version >/dev/null 2>&1; }

cmd_install() {
  kt_lock chromium-install
  if [[ -x "$CHROMIUM_BIN" ]]; then
    kt_log "chromium already installed at $CHROMIUM_BIN"
    kt_unlock; return 0
  fi
  kt_require apt-get
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || kt_die "installing $CHROMIUM_PACKAGE needs root (or sudo); install it by hand: apt-get install -y --no-install-recommends $CHROMIUM_PACKAGE"
    sudo=(sudo -n)
  fi
  local started=$SECONDS
  kt_log "installing Debian's $CHROMIUM_PACKAGE package with apt-get (first time only)"
  # The package lists may be missing or stale (a fresh image): update once if the install fails.
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$CHROMIUM_PACKAGE" >&2; then
    kt_log "apt-get install failed; updating the package lists and trying again"
    "${sudo[@]}" apt-get update >&2 || kt_die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "$CHROMIUM_PACKAGE" >&2 \
      || kt_die "apt-get install $CHROMIUM_PACKAGE failed (see output above)"
  fi
  [[ -x "$CHROMIUM_BIN" ]] || kt_die "$CHROMIUM_PACKAGE is installed but $CHROMIUM_BIN is missing"
  kt_log "chromium installed in $((SECONDS - started))s: $("$CHROMIUM_BIN" --version 2>/dev/null | head -1)"
  kt_unlock
}

cmd_start() {
  [[ -x "$CHROMIUM_BIN" ]] || cmd_install
  runs || kt_die "$CHROMIUM_BIN does not run ($CHROMIUM_BIN --headless --no-sandbox --version failed)"
  kt_log "chromium ready at $CHROMIUM_BIN"
}

cmd_status() {
  if [[ -x "$CHROMIUM_BIN" ]]; then
    echo "chromium: installed $CHROMIUM_BIN ($("$CHROMIUM_BIN" --version 2>/dev/null | head -1))"
    return 0
  fi
  echo "chromium: not installed"
  return 3
}

cmd_env() {
  echo "export KUBETIME_CHROMIUM=$CHROMIUM_BIN"
}

case "${1:-install}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop|kill) kt_log "chromium is a tool, not a daemon: nothing to stop" ;;
  restart) cmd_start ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 install|start|stop|kill|restart|status|env" >&2; exit 2 ;;
esac
