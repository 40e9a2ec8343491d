#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for kubetime's tests, without Docker:
# etcd + kube-apiserver + kube-controller-manager + kube-scheduler built from the Go module
# proxy, and kwok simulating three nodes (pods get scheduled and go Running, no containers).
#
#   test/infra/kube.sh install   build the binaries into $CACHE/kube/<versions>/bin (once)
#   test/infra/kube.sh start     PKI + etcd + apiserver (+ audit) + kcm + scheduler + kwok + nodes
#   test/infra/kube.sh stop      stop everything (pid files), wait for the ports to close
#   test/infra/kube.sh status    what runs, and /readyz (exit 0 up, 3 stopped, 1 unhealthy)
#   test/infra/kube.sh env       export lines for tests (KUBECONFIG, audit log, etcd, etcdctl)
#   test/infra/kube.sh smoke     roll out a test Deployment and wait for its pods to be Running
#   test/infra/kube.sh restart   stop + start;  kill: SIGKILL everything (crash simulation)
#   test/infra/kube.sh restart-apiserver   restart only the apiserver (e.g. new audit sink)
#   test/infra/kube.sh restart-controllers kube-controller-manager and kube-scheduler afresh
#
# See test/infra/kube/README.md for versions, build times, flags and pitfalls.
set -euo pipefail

# ---- pinned versions ------------------------------------------------------------------------
K8S_VERSION=v1.34.4        # k8s.io/kubernetes; staging modules are replaced by v0.34.4
ETCD_VERSION=v3.6.16       # all go.etcd.io/etcd/* modules pinned to this tag
KWOK_VERSION=v0.7.0        # sigs.k8s.io/kwok (go.mod: go 1.24.0; v0.8.0 says go 1.26.0, also usable)

# ---- layout ---------------------------------------------------------------------------------
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ASSETS="$HERE/kube"
CACHE="${KUBETIME_SERVICES_DIR:-$HOME/.cache/kubetime-services}"
KUBE_DIR="$CACHE/kube"
VERSION_KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
VDIR="$KUBE_DIR/$VERSION_KEY"
BIN="$VDIR/bin"
SRC="$VDIR/src"
PKI="$KUBE_DIR/pki"
RUN="$KUBE_DIR/run"
LOGS="$KUBE_DIR/logs"
PIDS="$RUN/pids"
ETCD_DATA="$RUN/etcd-data"
AUDIT_DIR="$RUN/audit"
AUDIT_LOG="$AUDIT_DIR/audit.log"
KUBECONFIG_PATH="$KUBE_DIR/kubeconfig"

# ---- endpoints ------------------------------------------------------------------------------
ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380
APISERVER_PORT=6443
KCM_PORT=10257
SCHED_PORT=10259
KWOK_PORT=10247            # kwok's own healthz/metrics server
SERVICE_CIDR=10.0.0.0/24
POD_CIDR=10.244.0.0/16
AUDIT_WEBHOOK_URL="${KUBETIME_AUDIT_WEBHOOK_URL:-http://127.0.0.1:8080/v1/audit}"
AUDIT_TOKEN="${KUBETIME_AUDIT_TOKEN:-kubetime-audit-token}"
# Set KUBETIME_KUBE_FRESH=1 to wipe etcd data (and the audit log) on start.
FRESH="${KUBETIME_KUBE_FRESH:-0}"
START_TIMEOUT="${KUBETIME_KUBE_START_TIMEOUT:-180}"

COMPONENTS_START=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
COMPONENTS_STOP=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

# ---- small helpers ----------------------------------------------------------------------------
# Self-contained (test/infra/lib.sh did not exist when this was written); the conventions match
# it: progress on stderr, only `env` on stdout, bounded waits, setsid daemons with fds 8/9 closed.
log() { printf '[kube %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until <seconds> <description> <logfile-or-empty> <command...>
# Polls the command; on timeout, or as soon as the component that writes <logfile> has
# exited, prints the tail of <logfile> and fails.
wait_until() {
  local timeout=$1 what=$2 logfile=$3; shift 3
  local deadline=$((SECONDS + timeout)) comp=""
  [[ -n "$logfile" ]] && comp=$(basename "$logfile" .log)
  until "$@" >/dev/null 2>&1; do
    local why=""
    if [[ -n "$comp" && -f "$PIDS/$comp.pid" ]] && ! alive "$comp"; then
      why="$comp exited"
    elif ((SECONDS >= deadline)); then
      why="timed out after ${timeout}s"
    fi
    if [[ -n "$why" ]]; then
      log "$why while waiting for: $what"
      if [[ -n "$logfile" && -f "$logfile" ]]; then
        log "last lines of $logfile:"
        tail -n 40 "$logfile" >&2 || true
      fi
      return 1
    fi
    sleep 0.5
  done
}

pid_of() { if [[ -f "$PIDS/$1.pid" ]]; then cat "$PIDS/$1.pid"; fi; }

# alive <component>: the pid file's process exists and is still that binary.
alive() {
  local pid; pid=$(pid_of "$1")
  [[ -n "$pid" && -d "/proc/$pid" ]] || return 1
  local exe; exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [[ "$(basename "${exe% (deleted)}")" == "$1" ]]
}

# launch <component> <args...>: run $BIN/<component> detached, log to $LOGS, pid to $PIDS.
launch() {
  local name=$1; shift
  mkdir -p "$LOGS" "$PIDS"
  {
    echo "===== $(date -Is) starting $name"
    printf '%q ' "$BIN/$name" "$@"; echo
  } >>"$LOGS/$name.log"
  # bash -c writes its own pid then execs, so the pid file holds the real process even if
  # setsid forks.
  # shellcheck disable=SC2016  # expanded by the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDS/$name.pid" "$BIN/$name" "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null 8>&- 9>&- &
  local _
  for _ in $(seq 1 50); do [[ -s "$PIDS/$name.pid" ]] && break; sleep 0.1; done
  log "started $name (pid $(pid_of "$name"), log $LOGS/$name.log)"
}

# stop_component <component>: TERM, wait up to 20s, then KILL.
stop_component() {
  local name=$1 pid
  pid=$(pid_of "$name")
  if alive "$name"; then
    log "stopping $name (pid $pid)"
    local loglines; loglines=$(wc -l <"$LOGS/$name.log" 2>/dev/null || echo 0)
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while [[ -d "/proc/$pid" ]] && ((SECONDS < deadline)); do
      sleep 0.2
      # The apiserver's graceful shutdown waits up to --request-timeout (60s) for open watch
      # connections (kcm, scheduler, kwok, tests). Once it has flushed its audit backends
      # there is nothing left to lose: do not wait for the watchers.
      if [[ "$name" == kube-apiserver ]] &&
        tail -n +"$((loglines + 1))" "$LOGS/$name.log" | grep -q 'audit backend shutdown completed'; then
        sleep 1
        [[ -d "/proc/$pid" ]] && log "kube-apiserver flushed its audit backends; not waiting for open watches"
        kill -KILL "$pid" 2>/dev/null || true
        local _
        for _ in $(seq 1 50); do [[ -d "/proc/$pid" ]] || break; sleep 0.1; done
        break
      fi
    done
    if [[ -d "/proc/$pid" ]]; then
      log "$name did not exit after TERM, sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$PIDS/$name.pid"
}

ports_of() {
  case $1 in
    etcd) echo "$ETCD_CLIENT_PORT $ETCD_PEER_PORT" ;;
    kube-apiserver) echo "$APISERVER_PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;;
    kube-scheduler) echo "$SCHED_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
  esac
}

ports_closed() { local p; for p in "$@"; do ! port_open "$p" || return 1; done; }

# refuse to start over a foreign process holding our port
check_ports_free() {
  local name=$1 p
  for p in $(ports_of "$name"); do
    if port_open "$p"; then
      die "port $p (for $name) is in use by a process this script did not start; see: ss -ltnp 'sport = :$p'"
    fi
  done
}

# take_lock: serialize concurrent install/start/stop runs of this script (fd 9; the daemons
# are started with fd 8 and 9 closed so they never hold a caller's lock).
take_lock() {
  mkdir -p "$KUBE_DIR"
  exec 9>"$KUBE_DIR/.lock"
  if ! flock -n 9; then
    log "waiting for another kube.sh run to finish (lock $KUBE_DIR/.lock)"
    flock -w 7200 9 || die "could not take $KUBE_DIR/.lock"
  fi
}

# ---- install --------------------------------------------------------------------------------
go_env() {
  export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
  export GOFLAGS="${GOFLAGS:-} -p=${KUBETIME_GO_PARALLEL:-$(nproc)}"
}

# go_build_progress <label> <logfile> <go build args...>: build with -v, print a heartbeat.
go_build_progress() {
  local label=$1 logfile=$2; shift 2
  local t0=$SECONDS
  log "$label: go build $* (log: $logfile)"
  go build -v "$@" >"$logfile" 2>&1 &
  local gpid=$!
  local next=$((SECONDS + 30))
  while kill -0 "$gpid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)) && kill -0 "$gpid" 2>/dev/null; then
      log "$label: still building, $(grep -c . "$logfile" || true) packages compiled, $((SECONDS - t0))s elapsed"
      next=$((SECONDS + 30))
    fi
  done
  if ! wait "$gpid"; then
    tail -n 40 "$logfile" >&2
    die "$label: go build failed (full log: $logfile)"
  fi
  log "$label: built in $((SECONDS - t0))s"
  echo "$label $((SECONDS - t0))s $(date -Is)" >>"$VDIR/build-times.txt"
}

install_etcd() {
  if [[ -x "$BIN/etcd" && -x "$BIN/etcdctl" ]]; then log "etcd $ETCD_VERSION already built"; return; fi
  local dir="$SRC/etcd" out="$VDIR/tmp-etcd"
  rm -rf "$dir" "$out"; mkdir -p "$dir" "$out"
  log "etcd $ETCD_VERSION: preparing wrapper module in $dir"
  local m
  {
    echo "module kubetime.local/etcd-build"
    echo
    echo "go 1.24.0"
    echo
    echo "require ("
    for m in api/v3 client/pkg/v3 client/v3 pkg/v3 server/v3 etcdctl/v3 etcdutl/v3; do
      echo "	go.etcd.io/etcd/$m $ETCD_VERSION"
    done
    echo ")"
  } >"$dir/go.mod"
  cat >"$dir/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
EOF
  (cd "$dir" && go mod tidy) >"$VDIR/etcd-tidy.log" 2>&1 || { tail -n 30 "$VDIR/etcd-tidy.log" >&2; die "etcd: go mod tidy failed"; }
  # tidy may have raised a version; the pin must hold for every go.etcd.io/etcd module
  if (cd "$dir" && go list -m all) | awk '$1 ~ /^go\.etcd\.io\/etcd\// && $2 != "'"$ETCD_VERSION"'"' | grep .; then
    die "etcd: some go.etcd.io/etcd modules are not at $ETCD_VERSION"
  fi
  (cd "$dir" && go_build_progress "etcd" "$VDIR/etcd-build.log" -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  (cd "$dir" && go_build_progress "etcdctl" "$VDIR/etcdctl-build.log" -trimpath -ldflags "-s -w" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3)
  mkdir -p "$BIN"; mv "$out/etcd" "$out/etcdctl" "$BIN/"; rm -rf "$out"
}

install_kubernetes() {
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubectl) b missing=0
  for b in "${want[@]}"; do [[ -x "$BIN/$b" ]] || missing=1; done
  if ((missing == 0)); then log "kubernetes $K8S_VERSION already built"; return; fi
  local dir="$SRC/kubernetes" out="$VDIR/tmp-kubernetes"
  rm -rf "$dir" "$out"; mkdir -p "$dir" "$out"
  local staging_version="v0.${K8S_VERSION#v1.}"
  log "kubernetes $K8S_VERSION: fetching its go.mod for the staging module list"
  local modfile
  modfile=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')
  [[ -f "$modfile" ]] || die "kubernetes: could not download go.mod of k8s.io/kubernetes@$K8S_VERSION"
  # every "k8s.io/<x> => ./staging/src/k8s.io/<x>" in the tag's go.mod becomes "=> k8s.io/<x> v0.Y.Z"
  local staging
  staging=$(awk '$2 == "=>" && $3 ~ /^\.\/staging\/src\// {print $1}' "$modfile")
  [[ $(wc -l <<<"$staging") -ge 20 ]] || die "kubernetes: found too few staging modules in $modfile"
  local gover godebug
  gover=$(awk '$1 == "go" {print $2; exit}' "$modfile")
  godebug=$(grep -E '^godebug ' "$modfile" || true)
  {
    echo "module kubetime.local/kubernetes-build"
    echo
    echo "go $gover"
    [[ -n "$godebug" ]] && { echo; echo "$godebug"; }
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    local m
    for m in $staging; do echo "	$m => $m $staging_version"; done
    echo ")"
  } >"$dir/go.mod"
  log "kubernetes: $(wc -l <<<"$staging") staging modules replaced by $staging_version"
  cat >"$dir/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
  log "kubernetes: go mod tidy (downloads the dependencies the first time)"
  (cd "$dir" && go mod tidy) >"$VDIR/kubernetes-tidy.log" 2>&1 || { tail -n 30 "$VDIR/kubernetes-tidy.log" >&2; die "kubernetes: go mod tidy failed"; }
  local minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  local now; now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$now"
  done
  (cd "$dir" && go_build_progress "kubernetes" "$VDIR/kubernetes-build.log" -trimpath -ldflags "$ld" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
  mkdir -p "$BIN"
  for b in "${want[@]}"; do mv "$out/$b" "$BIN/"; done
  rm -rf "$out"
}

install_kwok() {
  if [[ -x "$BIN/kwok" ]]; then log "kwok $KWOK_VERSION already built"; return; fi
  local dir="$SRC/kwok" out="$VDIR/tmp-kwok"
  rm -rf "$dir" "$out"; mkdir -p "$dir" "$out"
  printf 'module kubetime.local/kwok-build\n\ngo 1.24.0\n\nrequire sigs.k8s.io/kwok %s\n' "$KWOK_VERSION" >"$dir/go.mod"
  cat >"$dir/tools.go" <<'EOF'
//go:build tools

package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
EOF
  (cd "$dir" && go mod tidy) >"$VDIR/kwok-tidy.log" 2>&1 || { tail -n 30 "$VDIR/kwok-tidy.log" >&2; die "kwok: go mod tidy failed"; }
  (cd "$dir" && go_build_progress "kwok" "$VDIR/kwok-build.log" -trimpath \
    -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok)
  mkdir -p "$BIN"; mv "$out/kwok" "$BIN/"; rm -rf "$out"
}

cmd_install() {
  command -v go >/dev/null || die "go is not installed"
  go_env
  mkdir -p "$VDIR"
  local t0=$SECONDS
  log "installing into $BIN (versions: kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
  install_etcd
  install_kubernetes
  install_kwok
  log "install done in $((SECONDS - t0))s: $(cd "$BIN" && echo *)"
}

# ---- PKI ------------------------------------------------------------------------------------
# sign <name> <CA name> <subject> <extensions>: key + certificate signed by <CA name>
sign() {
  local name=$1 ca=$2 subj=$3 ext=$4
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subj" \
    -out "$PKI/$name.csr" 2>/dev/null
  printf '%b\n' "$ext" >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt.tmp" 2>/dev/null
  mv "$PKI/$name.crt.tmp" "$PKI/$name.crt"
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

make_ca() {
  local name=$1 cn=$2
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -days 3650 -sha256 \
    -subj "/CN=$cn" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" -out "$PKI/$name.crt.tmp" 2>/dev/null
  mv "$PKI/$name.crt.tmp" "$PKI/$name.crt"
}

# ensure_pki: creates whatever is missing (a new CA invalidates everything it signed).
ensure_pki() {
  local client="basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth"
  local server="basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth"
  server+="\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default"
  server+=",DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  if [[ ! -f "$PKI/ca.crt" ]]; then
    log "generating the test CA in $PKI"
    rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
    make_ca ca kubetime-test-ca
  fi
  [[ -f "$PKI/front-proxy-ca.crt" ]] || { make_ca front-proxy-ca kubetime-front-proxy-ca; rm -f "$PKI/front-proxy-client.crt"; }
  [[ -f "$PKI/apiserver.crt" ]] || sign apiserver ca "/CN=kube-apiserver" "$server"
  # clients: the admin is in system:masters; the controllers get their bootstrap RBAC identities
  [[ -f "$PKI/admin.crt" ]] || sign admin ca "/O=system:masters/CN=kubetime-admin" "$client"
  [[ -f "$PKI/kube-controller-manager.crt" ]] || sign kube-controller-manager ca "/CN=system:kube-controller-manager" "$client"
  [[ -f "$PKI/kube-scheduler.crt" ]] || sign kube-scheduler ca "/CN=system:kube-scheduler" "$client"
  [[ -f "$PKI/kwok.crt" ]] || sign kwok ca "/O=system:masters/CN=kwok-controller" "$client"
  # the aggregation layer's client (also silences "missing requestheader-client-ca" errors)
  # a serving cert for kubetime's audit sink: the apiserver sends the bearer token only over
  # https (client-go's clientcmd drops user credentials for a plain http server)
  [[ -f "$PKI/audit-sink.crt" ]] || sign audit-sink ca "/CN=kubetime-audit-sink" \
    "${server%%subjectAltName=*}subjectAltName=IP:127.0.0.1,DNS:localhost"
  [[ -f "$PKI/front-proxy-client.crt" ]] || sign front-proxy-client front-proxy-ca "/CN=front-proxy-client" "$client"
  # service-account token signing key pair
  if [[ ! -f "$PKI/sa.pub" ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI/sa.key" 2>/dev/null
    openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
}

# write_kubeconfig <file> <client-cert-name>
write_kubeconfig() {
  local file=$1 name=$2
  cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubetime
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$name.crt")
    client-key-data: $(base64 -w0 <"$PKI/$name.key")
contexts:
- name: kubetime
  context:
    cluster: kubetime
    user: $name
current-context: kubetime
EOF
  mv "$file.tmp" "$file"
}

write_audit_webhook_config() {
  # a kubeconfig whose cluster is the sink and whose user carries the bearer token
  local tls=""
  if [[ "$AUDIT_WEBHOOK_URL" == https://* ]]; then
    if [[ "${KUBETIME_AUDIT_WEBHOOK_INSECURE:-0}" == 1 ]]; then
      tls="    insecure-skip-tls-verify: true"
    else
      tls="    certificate-authority: ${KUBETIME_AUDIT_WEBHOOK_CA:-$PKI/ca.crt}"
    fi
  else
    log "note: the audit sink URL is plain http, so the apiserver sends NO bearer token (client-go sends credentials only over https)"
  fi
  cat >"$RUN/audit-webhook.kubeconfig.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubetime-audit
  cluster:
    server: $AUDIT_WEBHOOK_URL
$tls
users:
- name: kube-apiserver
  user:
    token: $AUDIT_TOKEN
contexts:
- name: default
  context:
    cluster: kubetime-audit
    user: kube-apiserver
current-context: default
EOF
  chmod 600 "$RUN/audit-webhook.kubeconfig.tmp"
  mv "$RUN/audit-webhook.kubeconfig.tmp" "$RUN/audit-webhook.kubeconfig"
}

# ---- start ----------------------------------------------------------------------------------
curl_admin() {
  curl -sS --fail --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT$1"
}
readyz_ok() { [[ "$(curl_admin /readyz 2>/dev/null)" == ok ]]; }
kctl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

start_etcd() {
  if alive etcd; then log "etcd already running"; return; fi
  check_ports_free etcd
  mkdir -p "$RUN"   # etcd creates its data dir itself, with mode 0700
  launch etcd --name kubetime --data-dir "$ETCD_DATA" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "kubetime=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes=4294967296 --log-level=warn
  wait_until 60 "etcd /health" "$LOGS/etcd.log" \
    curl -sf --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
  log "etcd ready on http://127.0.0.1:$ETCD_CLIENT_PORT"
}

apiserver_args() {
  # shellcheck disable=SC2054  # the commas belong to flag values
  APISERVER_ARGS=(
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT"
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT"
    --cert-dir="$RUN/apiserver-certs"
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
    --client-ca-file="$PKI/ca.crt"
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt"
    --requestheader-allowed-names=front-proxy-client
    --requestheader-username-headers=X-Remote-User
    --requestheader-group-headers=X-Remote-Group
    --requestheader-extra-headers-prefix=X-Remote-Extra-
    --proxy-client-cert-file="$PKI/front-proxy-client.crt"
    --proxy-client-key-file="$PKI/front-proxy-client.key"
    --endpoint-reconciler-type=none
    --service-cluster-ip-range="$SERVICE_CIDR"
    --allow-privileged=true
    --authorization-mode=Node,RBAC
    --service-account-issuer=https://kubernetes.default.svc.cluster.local
    --service-account-key-file="$PKI/sa.pub"
    --service-account-signing-key-file="$PKI/sa.key"
    --audit-policy-file="$RUN/audit-policy.yaml"
    --audit-log-path="$AUDIT_LOG" --audit-log-format=json
    --audit-log-maxsize=200 --audit-log-maxbackup=5
    --audit-webhook-config-file="$RUN/audit-webhook.kubeconfig"
    --audit-webhook-mode=batch
    --audit-webhook-batch-max-wait=1s
    --audit-webhook-initial-backoff=1s
    --v="${KUBETIME_KUBE_VERBOSITY:-1}"
  )
  # extra flags for special tests, e.g. "--watch-cache=false --etcd-compaction-interval=10s"
  if [[ -n "${KUBETIME_KUBE_APISERVER_ARGS:-}" ]]; then
    local extra
    read -r -a extra <<<"$KUBETIME_KUBE_APISERVER_ARGS"
    APISERVER_ARGS+=("${extra[@]}")
  fi
}

start_apiserver() {
  write_audit_webhook_config
  # a copy, so that the running apiserver does not depend on which checkout started it
  cp "$ASSETS/audit-policy.yaml" "$RUN/audit-policy.yaml.tmp" && mv "$RUN/audit-policy.yaml.tmp" "$RUN/audit-policy.yaml"
  apiserver_args
  # the apiserver reads its flags and files once: when they changed, restart it
  local want_hash
  want_hash=$( { printf '%s\n' "${APISERVER_ARGS[@]}"; cat "$RUN/audit-webhook.kubeconfig" "$RUN/audit-policy.yaml"; } | sha256sum | cut -c1-16)
  if alive kube-apiserver; then
    if [[ "$(cat "$RUN/apiserver.config-hash" 2>/dev/null)" == "$want_hash" ]]; then
      log "kube-apiserver already running"
      return
    fi
    log "kube-apiserver config changed (audit sink $AUDIT_WEBHOOK_URL): restarting it"
    stop_component kube-apiserver
    wait_until 30 "port $APISERVER_PORT to close" "" ports_closed "$APISERVER_PORT"
  fi
  check_ports_free kube-apiserver
  mkdir -p "$AUDIT_DIR" "$RUN/apiserver-certs"
  launch kube-apiserver "${APISERVER_ARGS[@]}"
  echo "$want_hash" >"$RUN/apiserver.config-hash"
  log "audit webhook -> $AUDIT_WEBHOOK_URL (batch, max wait 1s); audit log -> $AUDIT_LOG"
  wait_until "$START_TIMEOUT" "kube-apiserver /readyz" "$LOGS/kube-apiserver.log" readyz_ok
  log "kube-apiserver ready on https://127.0.0.1:$APISERVER_PORT"
}

start_kcm() {
  if alive kube-controller-manager; then log "kube-controller-manager already running"; return; fi
  check_ports_free kube-controller-manager
  local kc="$PKI/kube-controller-manager.kubeconfig"
  launch kube-controller-manager --kubeconfig="$kc" \
    --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --leader-elect=false --controllers='*' --use-service-account-credentials=true \
    --root-ca-file="$PKI/ca.crt" --service-account-private-key-file="$PKI/sa.key" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --v="${KUBETIME_KUBE_VERBOSITY:-1}"
}

start_scheduler() {
  if alive kube-scheduler; then log "kube-scheduler already running"; return; fi
  check_ports_free kube-scheduler
  local kc="$PKI/kube-scheduler.kubeconfig"
  launch kube-scheduler --kubeconfig="$kc" \
    --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false \
    --v="${KUBETIME_KUBE_VERBOSITY:-1}"
}

start_kwok() {
  if alive kwok; then log "kwok already running"; return; fi
  check_ports_free kwok
  launch kwok --kubeconfig="$PKI/kwok.kubeconfig" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="$POD_CIDR" --node-ip=10.96.0.10 \
    --node-lease-duration-seconds=40 \
    --server-address="127.0.0.1:$KWOK_PORT"
}

healthz_ok() { curl -sfk --max-time 2 "https://127.0.0.1:$1/healthz" | grep -qx ok; }
kwok_healthz_ok() { curl -sf --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz" >/dev/null; }

nodes_ready() {
  local n
  n=$(kctl get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)
  [[ "$n" -ge 3 ]]
}

cmd_start() {
  for b in etcd etcdctl kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
    [[ -x "$BIN/$b" ]] || die "$BIN/$b is missing: run '$0 install' first"
  done
  command -v openssl >/dev/null || die "openssl is required"
  local c exe
  for c in "${COMPONENTS_START[@]}"; do
    if alive "$c"; then
      exe=$(readlink "/proc/$(pid_of "$c")/exe"); exe=${exe% (deleted)}
      [[ "$exe" == "$BIN/$c" ]] || die "$c runs $exe, not this version's $BIN/$c: run '$0 stop' first"
    fi
  done
  mkdir -p "$RUN" "$LOGS" "$PIDS"
  if [[ "$FRESH" == 1 ]]; then
    if alive etcd || alive kube-apiserver; then die "KUBETIME_KUBE_FRESH=1 needs a stopped cluster: run '$0 stop' first"; fi
    log "KUBETIME_KUBE_FRESH=1: wiping etcd data and the audit log"
    rm -rf "$ETCD_DATA" "$AUDIT_DIR"
  fi
  ensure_pki
  write_kubeconfig "$KUBECONFIG_PATH" admin
  for c in kube-controller-manager kube-scheduler kwok; do write_kubeconfig "$PKI/$c.kubeconfig" "$c"; done

  start_etcd
  start_apiserver
  start_kcm
  start_scheduler
  wait_until 60 "kube-controller-manager /healthz" "$LOGS/kube-controller-manager.log" healthz_ok "$KCM_PORT"
  wait_until 60 "kube-scheduler /healthz" "$LOGS/kube-scheduler.log" healthz_ok "$SCHED_PORT"
  start_kwok
  wait_until 60 "kwok /healthz" "$LOGS/kwok.log" kwok_healthz_ok

  kctl apply -f "$ASSETS/kwok-nodes.yaml" >/dev/null
  wait_until 90 "3 kwok nodes Ready" "$LOGS/kwok.log" nodes_ready
  # the serviceaccounts controller must have made 'default' before pods can be created there
  wait_until 60 "serviceaccount default/default" "$LOGS/kube-controller-manager.log" \
    kctl get serviceaccount default -n default
  log "control plane up: KUBECONFIG=$KUBECONFIG_PATH ($(kctl version -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1))"
}

cmd_restart_apiserver() {
  alive kube-apiserver && stop_component kube-apiserver
  wait_until 30 "port $APISERVER_PORT to close" "" ports_closed "$APISERVER_PORT"
  start_apiserver
}

# The controllers keep no state of their own; fresh ones relist everything. Their informers have
# been seen to stop acting (no pods made for new ReplicaSets) after many apiserver restarts over
# compacted etcd revisions, so a test that needs them working starts them afresh.
cmd_restart_controllers() {
  local c
  for c in kube-controller-manager kube-scheduler; do alive "$c" && stop_component "$c"; done
  wait_until 30 "ports $KCM_PORT $SCHED_PORT to close" "" ports_closed "$KCM_PORT" "$SCHED_PORT"
  start_kcm
  start_scheduler
  wait_until 60 "kube-controller-manager /healthz" "$LOGS/kube-controller-manager.log" healthz_ok "$KCM_PORT"
  wait_until 60 "kube-scheduler /healthz" "$LOGS/kube-scheduler.log" healthz_ok "$SCHED_PORT"
}

# ---- stop / status / env / smoke --------------------------------------------------------------
cmd_stop() {
  local c ports=()
  for c in "${COMPONENTS_STOP[@]}"; do
    stop_component "$c"
    # shellcheck disable=SC2207
    ports+=($(ports_of "$c"))
  done
  wait_until 30 "ports ${ports[*]} to close" "" ports_closed "${ports[@]}"
  log "stopped"
}

# status: exit 0 when everything runs and /readyz is ok, 3 when all is stopped, 1 otherwise
# (the convention of the other test/infra service scripts).
cmd_status() {
  local c running=0
  for c in "${COMPONENTS_START[@]}"; do
    if alive "$c"; then
      printf '%-24s running (pid %s)\n' "$c" "$(pid_of "$c")"; running=$((running + 1))
    else
      printf '%-24s stopped\n' "$c"
    fi
  done
  ((running == 0)) && return 3
  if [[ -f "$PKI/admin.crt" ]] && readyz_ok; then
    echo "apiserver /readyz: ok (https://127.0.0.1:$APISERVER_PORT)"
    kctl get nodes -l type=kwok --no-headers 2>/dev/null || true
  else
    echo "apiserver /readyz: not ok"; return 1
  fi
  ((running == ${#COMPONENTS_START[@]})) || return 1
}

# kill: SIGKILL everything at once (crash simulation); data stays.
cmd_kill() {
  local c pid ports=()
  for c in "${COMPONENTS_STOP[@]}"; do
    if alive "$c"; then
      pid=$(pid_of "$c"); log "killing $c (pid $pid)"; kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDS/$c.pid"
    # shellcheck disable=SC2207
    ports+=($(ports_of "$c"))
  done
  wait_until 30 "ports ${ports[*]} to close" "" ports_closed "${ports[@]}"
}

cmd_env() {
  emit() { printf 'export %s=%q\n' "$1" "$2"; }
  emit KUBECONFIG "$KUBECONFIG_PATH"
  emit KUBETIME_KUBE_AUDIT_LOG "$AUDIT_LOG"
  emit KUBETIME_ETCD_ENDPOINT "http://127.0.0.1:$ETCD_CLIENT_PORT"
  emit KUBETIME_ETCDCTL "$BIN/etcdctl"
  emit KUBETIME_KUBECTL "$BIN/kubectl"
  # the test CA, and a serving cert/key (127.0.0.1, localhost) signed by it for an https audit sink
  emit KUBETIME_KUBE_CA_FILE "$PKI/ca.crt"
  emit KUBETIME_AUDIT_SINK_CERT_FILE "$PKI/audit-sink.crt"
  emit KUBETIME_AUDIT_SINK_KEY_FILE "$PKI/audit-sink.key"
}

cmd_smoke() {
  local ns=kubetime-smoke
  kctl create namespace "$ns" --dry-run=client -o yaml | kctl apply -f - >/dev/null
  wait_until 60 "serviceaccount $ns/default" "" kctl get serviceaccount default -n "$ns"
  kctl -n "$ns" create deployment smoke --image=registry.invalid/smoke:1 --replicas=3 \
    --dry-run=client -o yaml | kctl apply -f - >/dev/null
  kctl -n "$ns" rollout status deployment/smoke --timeout=90s
  kctl -n "$ns" get pods -o wide
  local running
  running=$(kctl -n "$ns" get pods -l app=smoke -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Running$' || true)
  kctl delete namespace "$ns" --wait=false >/dev/null
  [[ "$running" -ge 3 ]] || die "smoke: expected 3 Running pods, got $running"
  log "smoke: deployment rolled out, $running pods Running"
}

case "${1:-}" in
  install) take_lock; cmd_install ;;
  start) take_lock; cmd_start ;;
  stop) take_lock; cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  smoke) cmd_smoke ;;
  restart-apiserver) take_lock; cmd_restart_apiserver ;;
  restart-controllers) take_lock; cmd_restart_controllers ;;
  restart) take_lock; cmd_stop; cmd_start ;;
  kill) take_lock; cmd_kill ;;
  *) echo "usage: $0 install|start|stop|restart|kill|status|env|smoke|restart-apiserver|restart-controllers" >&2; exit 2 ;;
esac
