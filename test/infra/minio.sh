#!/usr/bin/env bash
# MinIO (S3-compatible object store) for kubetime development and tests.
#   minio.sh install|start|stop|kill|restart|status|env
# Builds MinIO from the Go module proxy into the service cache and runs it on loopback.
set -euo pipefail

# ---- pinned versions / settings (the one place to change them) -------------------------
# MinIO tags are not semver, so the module is pinned by pseudo-version. This is the tag
# RELEASE.2025-09-07T16-13-09Z (commit 07c3a429bfed). RELEASE.2025-10-15T17-29-55Z (commit
# 9e49d5e7a648) is refused by the module proxy ("This module version is not available").
MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="${KUBETIME_MINIO_VERSION:-v0.0.0-20250907161309-07c3a429bfed}"
MINIO_RELEASE="${KUBETIME_MINIO_RELEASE:-RELEASE.2025-09-07T16-13-09Z}"  # stamped into the binary
MINIO_HOST="127.0.0.1"
MINIO_PORT="${KUBETIME_MINIO_PORT:-9000}"
MINIO_CONSOLE_PORT="${KUBETIME_MINIO_CONSOLE_PORT:-9001}"
MINIO_USER="kubetime"
MINIO_PASSWORD="kubetime-secret"
MINIO_REGION="us-east-1"
MINIO_BUCKET="kubetime"
START_TIMEOUT=60
STOP_GRACE=20
# -----------------------------------------------------------------------------------------

KT_SERVICE=minio
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE="$KT_SERVICES_DIR/minio"
BIN_DIR="$BASE/$MINIO_VERSION/bin"
MINIO_BIN="$BIN_DIR/minio"
DATA_DIR="$BASE/data"
RUN_DIR="$BASE/run"
LOG_DIR="$BASE/logs"
PIDFILE="$RUN_DIR/minio.pid"
LOGFILE="$LOG_DIR/minio.log"
ENDPOINT="http://$MINIO_HOST:$MINIO_PORT"

healthy() {
  [[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$ENDPOINT/minio/health/live" || true)" == 200 ]]
}

# s3_request METHOD PATH -> prints the HTTP status of a SigV4-signed request with an empty body.
s3_request() {
  python3 - "$1" "$2" "$ENDPOINT" "$MINIO_USER" "$MINIO_PASSWORD" "$MINIO_REGION" <<'PY'
import datetime, hashlib, hmac, sys, urllib.error, urllib.parse, urllib.request

method, path, endpoint, key, secret, region = sys.argv[1:7]
host = urllib.parse.urlparse(endpoint).netloc
now = datetime.datetime.now(datetime.timezone.utc)
amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
payload_hash = hashlib.sha256(b"").hexdigest()
headers = {"host": host, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
signed = ";".join(sorted(headers))
canonical = "\n".join([method, urllib.parse.quote(path), "",
                       "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                       signed, payload_hash])
scope = f"{day}/{region}/s3/aws4_request"
to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canonical.encode()).hexdigest()])
k = ("AWS4" + secret).encode()
for part in (day, region, "s3", "aws4_request"):
    k = hmac.new(k, part.encode(), hashlib.sha256).digest()
sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(endpoint + path, method=method, data=b"" if method == "PUT" else None)
for h, v in headers.items():
    if h != "host":
        req.add_header(h, v)
req.add_header("Authorization",
               f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={sig}")
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status)
except urllib.error.HTTPError as e:
    body = e.read().decode(errors="replace")
    print(e.code)
    if e.code not in (404,):
        sys.stderr.write(body + "\n")
except Exception as e:  # connection errors
    print(0)
    sys.stderr.write(f"{e}\n")
PY
}

ensure_bucket() {
  local code
  code="$(s3_request HEAD "/$MINIO_BUCKET")"
  if [[ "$code" == 200 ]]; then
    kt_log "bucket '$MINIO_BUCKET' exists"
    return 0
  fi
  code="$(s3_request PUT "/$MINIO_BUCKET")"
  case "$code" in
    200) kt_log "created bucket '$MINIO_BUCKET'" ;;
    409) kt_log "bucket '$MINIO_BUCKET' already exists" ;;
    *) kt_die "creating bucket '$MINIO_BUCKET' failed (HTTP $code)" ;;
  esac
}

cmd_install() {
  kt_lock minio-install
  if [[ -x "$MINIO_BIN" ]]; then
    kt_log "MinIO $MINIO_VERSION already installed at $MINIO_BIN"
    kt_unlock; return 0
  fi
  kt_require go
  kt_log "building $MINIO_MODULE@$MINIO_VERSION with $(go version | awk '{print $3}') (slow: several minutes on first use)"
  local started=$SECONDS
  # CGO off (kt_go_install): MinIO's release builds are static; no C toolchain needed.
  # Stamp the version like MinIO's own buildscripts/gen-ldflags.go does; otherwise the
  # binary reports DEVELOPMENT.GOGET.
  local ts="${MINIO_RELEASE#RELEASE.}" commit="${MINIO_VERSION##*-}"
  local rfc
  rfc="${ts%%T*}T$(tr - : <<<"${ts#*T}")"
  local pkg="$MINIO_MODULE/cmd"
  local ldflags="-s -w -X $pkg.Version=$rfc -X $pkg.ReleaseTag=$MINIO_RELEASE"
  ldflags+=" -X $pkg.CommitID=$commit -X $pkg.ShortCommitID=$commit -X $pkg.CopyrightYear=${ts:0:4}"
  kt_go_install "$BIN_DIR" "$ldflags" "$MINIO_MODULE@$MINIO_VERSION"
  kt_log "MinIO built in $((SECONDS - started))s: $("$MINIO_BIN" --version 2>/dev/null | head -1)"
  kt_unlock
}

cmd_start() {
  [[ -x "$MINIO_BIN" ]] || cmd_install
  kt_lock minio-run
  if kt_pid_alive "$PIDFILE" "$MINIO_BIN"; then
    if kt_wait_until "$START_TIMEOUT" "MinIO health" healthy; then
      kt_log "already running (pid $(<"$PIDFILE")) on $ENDPOINT"
      ensure_bucket
      kt_unlock; return 0
    fi
    kt_tail_log "$LOGFILE"
    kt_die "MinIO pid $(<"$PIDFILE") runs but $ENDPOINT/minio/health/live does not answer 200"
  fi
  if healthy; then
    kt_warn "something not started by this script already serves MinIO on $ENDPOINT; using it"
    ensure_bucket
    kt_unlock; return 0
  fi
  if kt_port_open "$MINIO_HOST" "$MINIO_PORT"; then
    kt_die "port $MINIO_HOST:$MINIO_PORT is taken by another process (not MinIO): $(ss -ltnpH "sport = :$MINIO_PORT" 2>/dev/null)"
  fi
  mkdir -p "$DATA_DIR" "$RUN_DIR" "$LOG_DIR"
  kt_log "starting MinIO on $ENDPOINT (console $MINIO_HOST:$MINIO_CONSOLE_PORT), data in $DATA_DIR"
  local started=$SECONDS
  MINIO_ROOT_USER="$MINIO_USER" MINIO_ROOT_PASSWORD="$MINIO_PASSWORD" \
  MINIO_UPDATE=off MINIO_REGION="$MINIO_REGION" \
  kt_start_daemon "$PIDFILE" "$LOGFILE" "$MINIO_BIN" server \
    --address "$MINIO_HOST:$MINIO_PORT" --console-address "$MINIO_HOST:$MINIO_CONSOLE_PORT" \
    "$DATA_DIR"
  if ! kt_wait_until "$START_TIMEOUT" "MinIO health on $ENDPOINT" kt_health_or_dead; then
    kt_tail_log "$LOGFILE"
    kt_die "MinIO did not become healthy within ${START_TIMEOUT}s (log: $LOGFILE)"
  fi
  kt_pid_alive "$PIDFILE" "$MINIO_BIN" || { kt_tail_log "$LOGFILE"; kt_die "MinIO exited during start-up (log: $LOGFILE)"; }
  kt_log "MinIO healthy after $((SECONDS - started))s (pid $(<"$PIDFILE"))"
  ensure_bucket
  kt_unlock
}

# Used while waiting: succeed when healthy, and also stop waiting if the process died.
kt_health_or_dead() { healthy || ! kt_pid_alive "$PIDFILE" "$MINIO_BIN"; }

cmd_stop() {
  kt_lock minio-run
  if kt_pid_alive "$PIDFILE" "$MINIO_BIN"; then
    kt_stop_daemon "$PIDFILE" "$MINIO_BIN" "$STOP_GRACE"
    kt_wait_port_closed "$MINIO_HOST" "$MINIO_PORT" 30 || kt_die "port $MINIO_PORT still open after stop"
    kt_log "stopped"
  else
    rm -f "$PIDFILE"
    if healthy; then kt_warn "a MinIO not started by this script still serves $ENDPOINT; left alone"; fi
    kt_log "not running"
  fi
  kt_unlock
}

cmd_kill() {
  kt_lock minio-run
  kt_kill_daemon "$PIDFILE" "$MINIO_BIN"
  kt_wait_port_closed "$MINIO_HOST" "$MINIO_PORT" 30 || kt_die "port $MINIO_PORT still open after kill"
  kt_log "killed"
  kt_unlock
}

cmd_status() {
  local pid="-"
  kt_pid_alive "$PIDFILE" "$MINIO_BIN" && pid="$(<"$PIDFILE")"
  if healthy; then
    echo "minio: running (pid $pid) $ENDPOINT, console http://$MINIO_HOST:$MINIO_CONSOLE_PORT, $MINIO_RELEASE ($MINIO_VERSION)"
    return 0
  fi
  if [[ "$pid" != "-" ]]; then echo "minio: UNHEALTHY (pid $pid alive, health check fails)"; return 1; fi
  if [[ -x "$MINIO_BIN" ]]; then echo "minio: stopped (installed)"; else echo "minio: not installed"; fi
  return 3
}

cmd_env() {
  cat <<EOF
export KUBETIME_S3_ENDPOINT=$ENDPOINT
export AWS_ACCESS_KEY_ID=$MINIO_USER
export AWS_SECRET_ACCESS_KEY=$MINIO_PASSWORD
export AWS_REGION=$MINIO_REGION
export KUBETIME_S3_BUCKET=$MINIO_BUCKET
EOF
}

kt_main "$@"
