#!/usr/bin/env bash
# Apache Cassandra (single node, loopback) for kubetime development and tests.
#   cassandra.sh install|start|stop|kill|restart|status|env
# Resolves cassandra-all and its dependencies from Maven Central into the service cache,
# writes a small-footprint configuration, and runs CassandraDaemon in the background.
set -euo pipefail

# ---- pinned versions / settings (the one place to change them) -------------------------
CASSANDRA_VERSION="${KUBETIME_CASSANDRA_VERSION:-5.0.9}"
CASSANDRA_HOST="127.0.0.1"
CASSANDRA_NATIVE_PORT=9042
CASSANDRA_STORAGE_PORT=7000
CASSANDRA_JMX_PORT=7199          # local-only JMX, for nodetool
CASSANDRA_DC="datacenter1"       # what SimpleSnitch reports
CASSANDRA_HEAP="${KUBETIME_CASSANDRA_HEAP:-1G}"
START_TIMEOUT=180
STOP_GRACE=60
# -----------------------------------------------------------------------------------------

KT_SERVICE=cassandra
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE="$KT_SERVICES_DIR/cassandra"
HOME_DIR="$BASE/$CASSANDRA_VERSION"
LIB_DIR="$HOME_DIR/lib"
CONF_DIR="$BASE/conf"
STORAGE_DIR="$BASE/data"
RUN_DIR="$BASE/run"
LOG_DIR="$BASE/logs"
PIDFILE="$RUN_DIR/cassandra.pid"
OUTFILE="$LOG_DIR/stdout.log"      # JVM stdout/stderr (crashes before logback is up)
SYSLOG="$LOG_DIR/system.log"       # logback
MARKER="org.apache.cassandra.service.CassandraDaemon"

# cql_probe [--quiet] -> talks CQL v4 to the node: OPTIONS (expects SUPPORTED), STARTUP
# (expects READY) and `SELECT release_version FROM system.local`; prints the version.
cql_probe() {
  python3 - "$CASSANDRA_HOST" "$CASSANDRA_NATIVE_PORT" "$@" <<'PY'
import socket, struct, sys

host, port = sys.argv[1], int(sys.argv[2])
quiet = "--quiet" in sys.argv[3:]

def fail(msg):
    if not quiet:
        sys.stderr.write(f"cql probe: {msg}\n")
    sys.exit(1)

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            fail("connection closed by server")
        buf += chunk
    return buf

def frame(s, stream, opcode, body=b""):
    s.sendall(struct.pack(">BBhBi", 0x04, 0, stream, opcode, len(body)) + body)
    version, _flags, rstream, rop, length = struct.unpack(">BBhBi", recv_exact(s, 9))
    if version != 0x84 or rstream != stream:
        fail(f"unexpected response header version={version:#x} stream={rstream}")
    body = recv_exact(s, length)
    if rop == 0x00:  # ERROR: [int code][string message]
        code, mlen = struct.unpack(">iH", body[:6])
        fail(f"server error {code:#x}: {body[6:6 + mlen].decode(errors='replace')}")
    return rop, body

def string(text):
    b = text.encode()
    return struct.pack(">H", len(b)) + b

try:
    s = socket.create_connection((host, port), timeout=5)
    s.settimeout(10)
except OSError as e:
    fail(f"connect {host}:{port}: {e}")
with s:
    op, _ = frame(s, 1, 0x05)                                      # OPTIONS
    if op != 0x06:
        fail(f"OPTIONS answered with opcode {op:#x}, expected SUPPORTED")
    op, _ = frame(s, 2, 0x01, struct.pack(">H", 1) + string("CQL_VERSION") + string("3.0.0"))
    if op != 0x02:
        fail(f"STARTUP answered with opcode {op:#x}, expected READY (authentication on?)")
    q = "SELECT release_version FROM system.local".encode()
    op, body = frame(s, 3, 0x07, struct.pack(">i", len(q)) + q + struct.pack(">HB", 0x0001, 0))
    if op != 0x08:
        fail(f"QUERY answered with opcode {op:#x}, expected RESULT")
    kind, flags, ncols = struct.unpack(">iii", body[:12])
    if kind != 2 or ncols != 1:
        fail(f"unexpected result kind={kind} columns={ncols}")
    pos = 12
    if flags & 0x0002:                                             # has_more_pages
        (n,) = struct.unpack(">i", body[pos:pos + 4]); pos += 4 + max(n, 0)
    def skip_string(p):
        (n,) = struct.unpack(">H", body[p:p + 2]); return p + 2 + n
    if not flags & 0x0004:                                         # metadata present
        pos = skip_string(skip_string(pos))                        # keyspace, table
        pos = skip_string(pos)                                     # column name
        pos += 2                                                   # type id (varchar)
    (rows,) = struct.unpack(">i", body[pos:pos + 4]); pos += 4
    if rows != 1:
        fail(f"system.local returned {rows} rows")
    (n,) = struct.unpack(">i", body[pos:pos + 4]); pos += 4
    print(body[pos:pos + n].decode())
PY
}

cql_ready() { cql_probe --quiet >/dev/null 2>&1; }

cmd_install() {
  kt_lock cassandra-install
  if [[ -f "$HOME_DIR/.installed" ]]; then
    kt_log "Cassandra $CASSANDRA_VERSION already installed in $LIB_DIR"
    kt_unlock; return 0
  fi
  kt_require mvn java
  kt_log "resolving org.apache.cassandra:cassandra-all:$CASSANDRA_VERSION and dependencies from Maven Central"
  local started=$SECONDS build="$HOME_DIR/build"
  rm -rf "$build" "$LIB_DIR"; mkdir -p "$build"
  cat >"$build/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.kubetime.infra</groupId>
  <artifactId>cassandra-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$CASSANDRA_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  # Output goes to stderr so stdout stays clean; Maven 3.8 still emits ANSI resets in -B -q
  # mode, hence the sed.
  if ! mvn -B -q -Dstyle.color=never -f "$build/pom.xml" \
       org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
       -DincludeScope=runtime -DoutputDirectory="$LIB_DIR.tmp" 2>&1 |
       sed -u 's/\x1b\[[0-9;]*m//g' >&2; then
    rm -rf "$LIB_DIR.tmp"
    kt_die "Maven could not resolve cassandra-all $CASSANDRA_VERSION (see output above)"
  fi
  mv "$LIB_DIR.tmp" "$LIB_DIR"
  local want
  for want in "cassandra-all-$CASSANDRA_VERSION.jar" 'jamm-*.jar' 'jna-*.jar' \
              'netty-transport-native-epoll-*linux-x86_64*.jar' 'snappy-java-*.jar' \
              'lz4-java-*.jar' 'zstd-jni-*.jar' 'logback-classic-*.jar'; do
    compgen -G "$LIB_DIR/$want" >/dev/null || kt_die "expected $want in $LIB_DIR after resolution"
  done
  touch "$HOME_DIR/.installed"
  kt_log "installed $(find "$LIB_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIB_DIR" | cut -f1)) in $((SECONDS - started))s"
  kt_unlock
}

write_config() {
  mkdir -p "$CONF_DIR" "$STORAGE_DIR" "$RUN_DIR" "$LOG_DIR"
  cat >"$CONF_DIR/cassandra.yaml" <<EOF
# Generated by test/infra/cassandra.sh - edits are overwritten on every start.
cluster_name: kubetime-dev
num_tokens: 16
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$CASSANDRA_HOST:$CASSANDRA_STORAGE_PORT"

listen_address: $CASSANDRA_HOST
rpc_address: $CASSANDRA_HOST
storage_port: $CASSANDRA_STORAGE_PORT
native_transport_port: $CASSANDRA_NATIVE_PORT
start_native_transport: true

authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
network_authorizer: AllowAllNetworkAuthorizer

data_file_directories:
  - $STORAGE_DIR/data
commitlog_directory: $STORAGE_DIR/commitlog
saved_caches_directory: $STORAGE_DIR/saved_caches
hints_directory: $STORAGE_DIR/hints
cdc_raw_directory: $STORAGE_DIR/cdc_raw

commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 32MiB
disk_failure_policy: stop
commit_failure_policy: stop

# small footprint (2 cores, ~1 GB heap)
concurrent_reads: 2
concurrent_writes: 2
concurrent_counter_writes: 2
concurrent_materialized_view_writes: 2
concurrent_compactors: 1
compaction_throughput: 64MiB/s
memtable_heap_space: 128MiB
memtable_offheap_space: 128MiB
memtable_allocation_type: heap_buffers
file_cache_size: 64MiB
key_cache_size: 16MiB
counter_cache_size: 8MiB
native_transport_max_threads: 32

# a brand-new cluster: no compatibility with 4.x sstables/messaging needed
storage_compatibility_mode: NONE
hinted_handoff_enabled: true
auto_snapshot: false
snapshot_on_duplicate_row_detection: false
EOF
  cat >"$CONF_DIR/logback.xml" <<EOF
<!-- Generated by test/infra/cassandra.sh - edits are overwritten on every start. -->
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>$SYSLOG</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy">
      <fileNamePattern>$LOG_DIR/system.%d{yyyy-MM-dd}.%i.log.gz</fileNamePattern>
      <maxFileSize>20MB</maxFileSize>
      <maxHistory>3</maxHistory>
      <totalSizeCap>100MB</totalSizeCap>
    </rollingPolicy>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="org.apache.cassandra" level="INFO"/>
  <root level="INFO">
    <appender-ref ref="FILE"/>
  </root>
</configuration>
EOF
}

java_cmd() {
  local jamm
  jamm="$(compgen -G "$LIB_DIR/jamm-*.jar" | head -1)"
  [[ -n "$jamm" ]] || kt_die "no jamm jar in $LIB_DIR (reinstall: rm -rf $HOME_DIR)"
  JAVA_ARGS=(
    java
    -ea
    "-Xms$CASSANDRA_HEAP" "-Xmx$CASSANDRA_HEAP" -Xss256k
    -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
    -XX:MaxGCPauseMillis=300 -XX:+PerfDisableSharedMem
    -XX:+CrashOnOutOfMemoryError "-XX:ErrorFile=$LOG_DIR/hs_err_%p.log"
    "-javaagent:$jamm"
    # JPMS flags from Cassandra 5.0's conf/jvm17-server.options
    -Djdk.attach.allowAttachSelf=true
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true
    -Dio.netty.allocator.useCacheForAllThreads=true
    -Dio.netty.allocator.maxOrder=11
    -Djava.net.preferIPv4Stack=true
    # Cassandra
    "-Dcassandra.config=file://$CONF_DIR/cassandra.yaml"
    "-Dlogback.configurationFile=file://$CONF_DIR/logback.xml"
    "-Dcassandra.logdir=$LOG_DIR"
    "-Dcassandra.storagedir=$STORAGE_DIR"
    "-Dcassandra.jmx.local.port=$CASSANDRA_JMX_PORT"
    -Dcassandra-foreground=yes
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.ring_delay_ms=100
    -Dcassandra.consistent.rangemovement=false
    -cp "$CONF_DIR:$LIB_DIR/*"
    "$MARKER"
  )
}

start_failed() {
  kt_tail_log "$OUTFILE" 30
  kt_tail_log "$SYSLOG" 60 "${START_EPOCH:-0}"
  kt_die "$1 (logs: $OUTFILE, $SYSLOG)"
}

cmd_start() {
  [[ -f "$HOME_DIR/.installed" ]] || cmd_install
  kt_lock cassandra-run
  if kt_pid_alive "$PIDFILE" "$MARKER"; then
    kt_log "already running (pid $(<"$PIDFILE")); waiting for CQL on $CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT"
    kt_wait_until "$START_TIMEOUT" "CQL on $CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT" cql_or_dead ||
      start_failed "Cassandra pid $(<"$PIDFILE") runs but CQL does not answer"
    kt_pid_alive "$PIDFILE" "$MARKER" || start_failed "Cassandra exited (log: $SYSLOG)"
    kt_log "Cassandra $(cql_probe) answers CQL on $CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT"
    kt_unlock; return 0
  fi
  if cql_ready; then
    kt_warn "a Cassandra not started by this script answers CQL on $CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT; using it"
    kt_unlock; return 0
  fi
  local p
  for p in "$CASSANDRA_NATIVE_PORT" "$CASSANDRA_STORAGE_PORT" "$CASSANDRA_JMX_PORT"; do
    if kt_port_open "$CASSANDRA_HOST" "$p"; then
      kt_die "port $p is taken by another process: $(ss -ltnpH "sport = :$p" 2>/dev/null)"
    fi
  done
  kt_require java python3
  write_config
  java_cmd
  kt_log "starting Cassandra $CASSANDRA_VERSION on $CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT (heap $CASSANDRA_HEAP, data $STORAGE_DIR, log $SYSLOG)"
  local started=$SECONDS
  START_EPOCH="$(date +%s)"
  kt_start_daemon "$PIDFILE" "$OUTFILE" "${JAVA_ARGS[@]}"
  kt_wait_until "$START_TIMEOUT" "CQL on $CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT" cql_or_dead ||
    start_failed "Cassandra did not answer CQL within ${START_TIMEOUT}s"
  kt_pid_alive "$PIDFILE" "$MARKER" || start_failed "Cassandra exited during start-up"
  kt_log "Cassandra $(cql_probe) answers CQL after $((SECONDS - started))s (pid $(<"$PIDFILE"))"
  kt_unlock
}

# While waiting: succeed when CQL answers, and also stop waiting if the JVM died.
cql_or_dead() { cql_ready || ! kt_pid_alive "$PIDFILE" "$MARKER"; }

cmd_stop() {
  kt_lock cassandra-run
  if kt_pid_alive "$PIDFILE" "$MARKER"; then
    kt_stop_daemon "$PIDFILE" "$MARKER" "$STOP_GRACE"
    kt_wait_port_closed "$CASSANDRA_HOST" "$CASSANDRA_NATIVE_PORT" 30 ||
      kt_die "port $CASSANDRA_NATIVE_PORT still open after stop"
    kt_log "stopped"
  else
    rm -f "$PIDFILE"
    if kt_port_open "$CASSANDRA_HOST" "$CASSANDRA_NATIVE_PORT"; then
      kt_warn "port $CASSANDRA_NATIVE_PORT is served by a process not started by this script; left alone"
    fi
    kt_log "not running"
  fi
  kt_unlock
}

cmd_kill() {
  kt_lock cassandra-run
  kt_kill_daemon "$PIDFILE" "$MARKER"
  kt_wait_port_closed "$CASSANDRA_HOST" "$CASSANDRA_NATIVE_PORT" 30 ||
    kt_die "port $CASSANDRA_NATIVE_PORT still open after kill"
  kt_log "killed"
  kt_unlock
}

cmd_status() {
  local pid="-" version
  kt_pid_alive "$PIDFILE" "$MARKER" && pid="$(<"$PIDFILE")"
  if version="$(cql_probe 2>/dev/null)"; then
    echo "cassandra: running (pid $pid) $CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT, release $version"
    return 0
  fi
  if [[ "$pid" != "-" ]]; then echo "cassandra: STARTING or UNHEALTHY (pid $pid alive, CQL not answering)"; return 1; fi
  if [[ -f "$HOME_DIR/.installed" ]]; then echo "cassandra: stopped (installed $CASSANDRA_VERSION)"; else echo "cassandra: not installed"; fi
  return 3
}

cmd_env() {
  cat <<EOF
export KUBETIME_CASSANDRA_CONTACT_POINTS=$CASSANDRA_HOST:$CASSANDRA_NATIVE_PORT
export KUBETIME_CASSANDRA_LOCAL_DC=$CASSANDRA_DC
EOF
}

case "${1:-}" in
  cql-version) cql_probe ;;
  *) kt_main "$@" ;;
esac
