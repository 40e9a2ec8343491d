#!/usr/bin/env bash
# Helm for rendering deploy/helm/kubetime in the tests, built from the Go module proxy (no
# download from get.helm.sh: this machine reaches only package registries).
#
#   test/infra/helm.sh install   go install helm.sh/helm/v3/cmd/helm@<pinned> into the cache (once)
#   test/infra/helm.sh path      print the helm binary's path (exit 3 when not installed)
#   test/infra/helm.sh env       export KUBETIME_HELM=<path>, KUBETIME_SERVICEMONITOR_CRD=<path>
#                                and KUBETIME_PROMETHEUSRULE_CRD=<path>
#
# install also takes prometheus-operator's ServiceMonitor and PrometheusRule CRDs from that
# project's Go module (example/prometheus-operator-crd/), so the tests can dry-run the chart's
# ServiceMonitor and PrometheusRule against the real CRD schemas:
# $CACHE/helm/crds/<version>/monitoring.coreos.com_{servicemonitors,prometheusrules}.yaml.
#
# The binary lives in ${KUBETIME_SERVICES_DIR:-$HOME/.cache/kubetime-services}/helm/<version>/helm.
# kustomize needs no build: kubectl (test/infra/kube.sh) embeds it (`kubectl kustomize`).
set -euo pipefail

HELM_VERSION="${KUBETIME_HELM_VERSION:-v3.22.0}"
PROM_OPERATOR_VERSION="${KUBETIME_PROM_OPERATOR_VERSION:-v0.85.0}"

KT_SERVICE=helm
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HELM_DIR="$KT_SERVICES_DIR/helm/$HELM_VERSION"
HELM_BIN="$HELM_DIR/helm"
CRD_FILE="$KT_SERVICES_DIR/helm/crds/$PROM_OPERATOR_VERSION/monitoring.coreos.com_servicemonitors.yaml"
RULE_CRD_FILE="$KT_SERVICES_DIR/helm/crds/$PROM_OPERATOR_VERSION/monitoring.coreos.com_prometheusrules.yaml"

installed() { [[ -x "$HELM_BIN" ]] && "$HELM_BIN" version --short >/dev/null 2>&1; }

install_crd() {
  [[ -s "$CRD_FILE" && -s "$RULE_CRD_FILE" ]] && return 0
  kt_require go
  local tmp dir
  tmp="$(mktemp -d)"
  # go mod download needs a module context; an empty throwaway one will do.
  dir="$(cd "$tmp" && go mod init kubetime.local/crds >/dev/null 2>&1 &&
    go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROM_OPERATOR_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$CRD_FILE")"
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$CRD_FILE.tmp"
  mv "$CRD_FILE.tmp" "$CRD_FILE"
  cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" "$RULE_CRD_FILE.tmp"
  mv "$RULE_CRD_FILE.tmp" "$RULE_CRD_FILE"
  kt_log "ServiceMonitor and PrometheusRule CRDs (prometheus-operator $PROM_OPERATOR_VERSION): $CRD_FILE, $RULE_CRD_FILE"
}

install() {
  install_crd
  if installed; then
    kt_log "helm $HELM_VERSION already installed: $HELM_BIN"
    return 0
  fi
  kt_require go
  kt_lock helm-install 3600
  if installed; then return 0; fi
  mkdir -p "$HELM_DIR"
  kt_log "building helm $HELM_VERSION with $(go version | awk '{print $3}') (slow on a cold build cache)"
  local started=$SECONDS
  # Helm stamps its version through -ldflags, as its Makefile does; without it `helm version`
  # reports the module's default.
  GOBIN="$HELM_DIR" CGO_ENABLED=0 GOFLAGS=-mod=mod go install \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  installed || kt_die "helm was built but $HELM_BIN does not run"
  kt_log "helm $("$HELM_BIN" version --short) installed in $((SECONDS - started))s: $HELM_BIN"
  kt_unlock
}

case "${1:-}" in
  install) install ;;
  path) installed || exit 3; echo "$HELM_BIN" ;;
  env)
    if installed; then echo "export KUBETIME_HELM=$HELM_BIN"; fi
    if [[ -s "$CRD_FILE" ]]; then echo "export KUBETIME_SERVICEMONITOR_CRD=$CRD_FILE"; fi
    if [[ -s "$RULE_CRD_FILE" ]]; then echo "export KUBETIME_PROMETHEUSRULE_CRD=$RULE_CRD_FILE"; fi
    ;;
  *) echo "usage: $0 install|path|env" >&2; exit 2 ;;
esac
