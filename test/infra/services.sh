#!/usr/bin/env bash
# Orchestrates kubetime's real development services (Cassandra, MinIO, Kubernetes, an
# OpenTelemetry Collector) and tools (promtool; chromium for the web timeline's browser test).
#   services.sh up|down|env|status [--only cassandra,minio,kube,otelcol,promtool,chromium]
#
#   eval "$(bash test/infra/services.sh up)"
#
# `up` installs each service on first use and starts it (a running service is left alone),
# installs/starts run in parallel; then the `export ...` lines of every service go to STDOUT.
# All progress output goes to STDERR. Everything is cached under
# ${KUBETIME_SERVICES_DIR:-$HOME/.cache/kubetime-services}.
set -euo pipefail

ALL_SERVICES=(cassandra minio kube otelcol promtool chromium)

KT_SERVICE=services
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  echo "usage: $0 up|down|env|status [--only $(IFS=,; echo "${ALL_SERVICES[*]}")]" >&2
  exit 2
}

action="${1:-}"; shift || true
selected=("${ALL_SERVICES[@]}")
while (($#)); do
  case "$1" in
    --only) [[ $# -ge 2 ]] || usage; IFS=, read -r -a selected <<<"$2"; shift 2 ;;
    --only=*) IFS=, read -r -a selected <<<"${1#--only=}"; shift ;;
    *) usage ;;
  esac
done

# Keep the canonical order and drop services whose script is missing (loudly).
services=()
for s in "${selected[@]}"; do
  [[ " ${ALL_SERVICES[*]} " == *" $s "* ]] || kt_die "unknown service '$s' (known: ${ALL_SERVICES[*]})"
done
for s in "${ALL_SERVICES[@]}"; do
  [[ " ${selected[*]} " == *" $s "* ]] || continue
  if [[ -f "$KT_INFRA_DIR/$s.sh" ]]; then
    services+=("$s")
  else
    kt_warn "##### $KT_INFRA_DIR/$s.sh does not exist: SKIPPING service '$s' #####"
  fi
done
((${#services[@]})) || kt_die "no service to act on"

svc() { bash "$KT_INFRA_DIR/$1.sh" "${@:2}"; }

print_env() {
  local s
  for s in "${services[@]}"; do svc "$s" env; done
}

case "$action" in
  up)
    kt_log "bringing up: ${services[*]} (cache: $KT_SERVICES_DIR)"
    started=$SECONDS
    declare -A pids=()
    for s in "${services[@]}"; do
      # Per service: serialize concurrent `up` runs (scripts without their own lock, too),
      # install, then start. The lock fd is closed for the children so that no daemon
      # inherits it. Their stdout is not part of our output contract: send it to stderr.
      (
        exec 8>"$KT_SERVICES_DIR/locks/services-$s.lock"
        flock -w 7200 8 || kt_die "could not take the up-lock for $s"
        svc "$s" install 8>&- && svc "$s" start 8>&-
      ) >&2 &
      pids[$s]=$!
    done
    failed=()
    for s in "${services[@]}"; do
      wait "${pids[$s]}" || failed+=("$s")
    done
    if ((${#failed[@]})); then
      kt_die "failed to bring up: ${failed[*]} (see messages above; logs under $KT_SERVICES_DIR/<service>/logs)"
    fi
    kt_log "all up in $((SECONDS - started))s: ${services[*]}"
    print_env
    ;;
  down)
    rc=0
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do
      svc "${services[$i]}" stop >&2 || { kt_warn "stopping ${services[$i]} failed"; rc=1; }
    done
    exit "$rc"
    ;;
  env)
    print_env
    ;;
  status)
    rc=0
    for s in "${services[@]}"; do svc "$s" status || rc=1; done
    exit "$rc"
    ;;
  *) usage ;;
esac
