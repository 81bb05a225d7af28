#!/usr/bin/env bash
# Runs every benchmark of BENCHMARKS.md on loopback and rewrites BENCHMARKS.md.
#
#   benchmarks/run.sh            # full run (~15 minutes on 2 cores)
#   benchmarks/run.sh --quick    # same rows, shorter iterations (< 5 minutes on 2 cores)
#   benchmarks/run.sh --cold-start  # only BENCHMARKS.md §9, the samples' cold start (benchmarks/cold-start.sh)
#   benchmarks/run.sh --fleet    # the fleet drill only (50, 200, 400 instances; ~5 minutes on 2 cores)
#   options: --no-build (use the jar and classpath files of an earlier build), --out FILE (default BENCHMARKS.md,
#            or $WORK/BENCHMARKS.md with --only), --only a,b (run only these sections: jmh http-alloc alloc-sites
#            alloc-floor latency vt vt-incr token outage memory jars startup fleet)
#
# Servers run in their own processes so that JMH's -prof gc counts the client's allocations only: nginx
# (HTTP) and redis-server on free loopback ports, and the SDK's FakeMetadataServer (ID tokens). Needs nginx,
# redis-server, JDK 17 (java on PATH or JAVA_HOME) and, for the virtual-thread and JDK 25 rows, a JDK 21+
# in JDK25_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64). Nothing leaves 127.0.0.1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
case " $* " in *" --cold-start "*) exec "$ROOT/benchmarks/cold-start.sh" "$@" ;; esac
ARGS="$*"
QUICK=0
BUILD=1
OUT=""
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --out) OUT=$2; shift ;;
    --only) ONLY=",$2,"; shift ;;
    --fleet) ONLY=",fleet," ;;
    *) echo "usage: benchmarks/run.sh [--quick] [--no-build] [--fleet] [--out FILE] [--only SECTION,...]" >&2; exit 2 ;;
  esac
  shift
done

if [ -n "$OUT" ]; then OUT="$(cd "$(dirname "$OUT")" && pwd)/$(basename "$OUT")"; fi
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JDK25_HOME=${JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
REDIS=${REDIS_SERVER:-$(command -v redis-server || echo /usr/bin/redis-server)}
for tool in "$NGINX" "$REDIS"; do
  [ -x "$tool" ] || { echo "run.sh: $tool not found (install nginx and redis-server)" >&2; exit 2; }
done

START=$(date +%s)
WORK=$(mktemp -d /tmp/private-egress-bench.XXXXXX)
# A partial run (--only) must not replace the full figures in BENCHMARKS.md unless asked to.
[ -z "$OUT" ] && { [ -z "$ONLY" ] && OUT="$ROOT/BENCHMARKS.md" || OUT="$WORK/BENCHMARKS.md"; }
RES="$WORK/results"
mkdir -p "$RES"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  echo "run.sh: results and logs kept in $WORK" >&2
}
trap cleanup EXIT

exec 3>&2
log() { echo "[$(( $(date +%s) - START ))s] $*" >&3; }

cd "$ROOT"
if [ $BUILD = 1 ]; then
  log "building benchmarks/target/benchmarks.jar"
  ./mvnw -B -q -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true package -pl benchmarks -am \
      dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/runtime-classpath.txt \
      > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }
fi
JAR="$ROOT/benchmarks/target/benchmarks.jar"
CP=(-cp "$JAR")

# --- servers ---------------------------------------------------------------------------------------
read -r HTTP_PORT REDIS_PORT MD_PORT < <("$JAVA" "${CP[@]}" dev.privateegress.benchmarks.FreePort 3)
mkdir -p "$WORK/nginx"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
worker_rlimit_nofile 20000;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$HTTP_PORT backlog=16384;
    location = /items { default_type application/json; return 200 '{"ok":true}'; }
    location = /unavailable { access_log $WORK/unavailable.log; return 503; }
    location = /unavailable-retry-after-0 {
      access_log $WORK/unavailable-retry-after-0.log;
      add_header Retry-After 0 always;
      return 503;
    }
  }
}
NGINX
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx.conf" -e "$WORK/nginx-error.log"
"$REDIS" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --logfile "$WORK/redis.log" &
PIDS+=($!)
"$JAVA" -Xmx64m "${CP[@]}" dev.privateegress.benchmarks.MetadataServerMain "$MD_PORT" > "$WORK/metadata.out" \
    2>&1 < /dev/null &
PIDS+=($!)
for i in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null \
      && (exec 3<>"/dev/tcp/127.0.0.1/$MD_PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
export GCE_METADATA_HOST="127.0.0.1:$MD_PORT"
PROPS=(-Dbench.http.port="$HTTP_PORT" -Dbench.redis.port="$REDIS_PORT" -Dbench.metadata="$GCE_METADATA_HOST")
log "nginx on 127.0.0.1:$HTTP_PORT, redis-server on 127.0.0.1:$REDIS_PORT, metadata server on $GCE_METADATA_HOST"

# Records the command of a section (shown in BENCHMARKS.md) and runs it; a failing section is reported, and the
# run goes on.
section() {
  local name=$1; shift
  printf '%s\n' "$*" | sed "s|$JAR|benchmarks/target/benchmarks.jar|g; s|$WORK|\$WORK|g; s|$ROOT/||g" \
      > "$RES/$name.cmd"
  log "$name"
  "$@"
}
wanted() { [ -z "$ONLY" ] || [[ "$ONLY" == *",$1,"* ]]; }
failed() { log "SECTION FAILED: $1 (see $WORK)"; FAILED="$FAILED $1"; }
FAILED=""
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "n/a"}'; }

if [ $QUICK = 1 ]; then
  JMH_OPTS=(-f 1 -wi 1 -w 1s -i 2 -r 1s)
  ALLOC_CALLS=300; ALLOC_WARMUP=5000
  LAT_MILLIS=1000
  VT_CALLS=1; VT_LIMIT=10
  TOKEN_SECONDS=4; TOKEN_FRESH_MS=2000
  OUTAGE_CALLS=1000
  MEM_COUNTS=1000,10000
  STARTS=5; FIRST_TOKENS=3
else
  JMH_OPTS=(-f 1 -wi 2 -w 2s -i 4 -r 2s)
  ALLOC_CALLS=1500; ALLOC_WARMUP=15000
  LAT_MILLIS=3000
  VT_CALLS=2; VT_LIMIT=45
  TOKEN_SECONDS=6; TOKEN_FRESH_MS=2000
  OUTAGE_CALLS=1000
  MEM_COUNTS=10000,100000
  STARTS=15; FIRST_TOKENS=7
fi
JDK25="$JDK25_HOME/bin/java"
[ -x "$JDK25" ] || { log "no JDK 21+ at $JDK25_HOME: virtual-thread and JDK 25 rows skipped"; JDK25=""; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)

# --- 1, 4, 7: allocation per call, cached token, time per call: one JMH run with -prof gc -------------------
if wanted jmh; then
  if section jmh "$JAVA" -jar "$JAR" -jvmArgsAppend "${PROPS[*]}" 'HttpBenchmark|RedisBenchmark|TokenBenchmark' \
      -prof gc "${JMH_OPTS[@]}" -rf json -rff "$RES/jmh.json" > "$WORK/jmh.log" 2>&1; then
    "$JAVA" "${CP[@]}" dev.privateegress.benchmarks.JmhTables alloc "$RES/jmh.json" > "$RES/alloc.md"
    "$JAVA" "${CP[@]}" dev.privateegress.benchmarks.JmhTables time "$RES/jmh.json" > "$RES/time.md"
  else failed jmh; fi
fi

# --- 1: HTTP bytes per call beside the floor of OkHttp's interceptor model, registries, tracing; HttpBenchmark
# alone, more iterations than the shared run so that differences of 100 B stand out of the noise ---------------
if wanted http-alloc; then
  if section http-alloc "$JAVA" -jar "$JAR" -jvmArgsAppend "${PROPS[*]}" HttpBenchmark -prof gc -f 3 -wi 5 -w 1s \
      -i 3 -r 1s -rf json -rff "$RES/http-alloc.json" > "$WORK/http-alloc.log" 2>&1; then
    "$JAVA" "${CP[@]}" dev.privateegress.benchmarks.JmhTables http "$RES/http-alloc.json" > "$RES/http-alloc.md"
  else failed http-alloc; fi
fi

# --- 1: where the SDK allocates (every allocation recorded with its stack) ---------------------------------
if wanted alloc-sites; then
  section alloc-sites "$JAVA" -XX:-UseTLAB -XX:+UseG1GC -XX:FlightRecorderOptions:stackdepth=256 \
      -Dbench.warmup=$ALLOC_WARMUP "${PROPS[@]}" "${CP[@]}" dev.privateegress.benchmarks.AllocSites \
      --calls $ALLOC_CALLS > "$RES/alloc-sites.md" 2> "$WORK/alloc-sites.log" || failed alloc-sites
fi

# --- 1: where the SDK allocates above the floor of OkHttp's interceptor model (HttpBenchmark.floor*) ----------
if wanted alloc-floor; then
  section alloc-floor "$JAVA" -XX:-UseTLAB -XX:+UseG1GC -XX:FlightRecorderOptions:stackdepth=256 \
      -Dbench.warmup=$ALLOC_WARMUP "${PROPS[@]}" "${CP[@]}" dev.privateegress.benchmarks.AllocSites \
      --calls $ALLOC_CALLS --base floor http-token http-sdk http-noop-registry http-registry-noop http-traced \
      > "$RES/alloc-floor.md" 2> "$WORK/alloc-floor.log" || failed alloc-floor
fi

# --- 2: latency under concurrency ---------------------------------------------------------------------------
if wanted latency; then
  section latency "$JAVA" "${PROPS[@]}" "${CP[@]}" dev.privateegress.benchmarks.LatencyProbe --millis $LAT_MILLIS \
      --threads 1,16,64 > "$RES/latency.md" 2> "$WORK/latency.log" || failed latency
fi

# --- 3: virtual threads on JDK 21+ ----------------------------------------------------------------------------
if wanted vt && [ -n "$JDK25" ]; then
  section vt "$JDK25" "${PROPS[@]}" "${CP[@]}" dev.privateegress.benchmarks.VirtualThreadsProbe --threads 10000 \
      --calls $VT_CALLS --limit-seconds $VT_LIMIT > "$RES/vt.md" 2> "$WORK/vt.log" || failed vt
fi
if wanted vt-incr && [ -n "$JDK25" ]; then
  section vt-incr "$JDK25" "${PROPS[@]}" "${CP[@]}" dev.privateegress.benchmarks.VirtualThreadsProbe --incr \
      --threads 2000 --calls 20 --limit-seconds $VT_LIMIT > "$RES/vt-incr.md" 2> "$WORK/vt-incr.log" || failed vt-incr
fi

# --- 4: token path --------------------------------------------------------------------------------------------
if wanted token; then
  {
    echo "| token path | SDK | raw (google-auth \`IdTokenCredentials\`) | SDK/raw |"
    echo "|---|---:|---:|---:|"
  } > "$RES/token.md"
  # The probe's metadata server must sit on the port google-auth reads from the process environment: a port
  # found free just before, tried again if another process took it meanwhile.
  for attempt in 1 2 3; do
    TOKEN_MD_PORT=$("$JAVA" "${CP[@]}" dev.privateegress.benchmarks.FreePort)
    if section token-refresh env GCE_METADATA_HOST="127.0.0.1:$TOKEN_MD_PORT" "$JAVA" "${CP[@]}" \
        dev.privateegress.benchmarks.TokenProbe --seconds $TOKEN_SECONDS --fresh-ms $TOKEN_FRESH_MS \
        > "$WORK/token-refresh.md" 2>> "$WORK/token.log"; then
      cat "$WORK/token-refresh.md" >> "$RES/token.md"
      break
    fi
    [ $attempt = 3 ] && failed token-refresh
  done
  FT_ENV=(env -i PATH=/usr/bin:/bin GCE_METADATA_HOST="$GCE_METADATA_HOST" K_SERVICE=bench K_REVISION=bench-00001
      PRIVATE_EGRESS_LOOKUP=off PRIVATE_EGRESS_HOSTS=my.api.private=127.0.0.1
      PRIVATE_EGRESS_AUDIENCES=my.api.private=https://my-api.example.com)
  printf '%s\n' "for i in \$(seq $FIRST_TOKENS); do for m in sdk raw; do ${FT_ENV[*]} java -cp benchmarks/target/benchmarks.jar dev.privateegress.benchmarks.FirstTokenProbe \$m \$HTTP_PORT; done; done" \
      > "$RES/first-token.cmd"
  : > "$WORK/first-token-sdk.txt"; : > "$WORK/first-token-raw.txt"
  for i in $(seq $FIRST_TOKENS); do
    for m in sdk raw; do
      "${FT_ENV[@]}" "$JAVA" "${CP[@]}" dev.privateegress.benchmarks.FirstTokenProbe $m "$HTTP_PORT" \
          >> "$WORK/first-token-$m.txt" 2>> "$WORK/first-token.log" || true
    done
  done
  for col in 1 2; do
    s=$(cut -d' ' -f$col "$WORK/first-token-sdk.txt" | median)
    r=$(cut -d' ' -f$col "$WORK/first-token-raw.txt" | median)
    what=$([ $col = 1 ] && echo "from \`main\`" || echo "from process start")
    ratio=$(awk -v a="$s" -v b="$r" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    echo "| time to first token-bearing response, cold JVM, $what (median of $FIRST_TOKENS) | $s ms | $r ms | **$ratio** |" \
        >> "$RES/token.md"
  done
fi

# --- 8: fleet drill -----------------------------------------------------------------------------------------
# N instances in one JVM against one redis-server (each drill starts its own), beside raw Jedis. Bounded: every
# drill stops within seconds; the whole section within ~5 minutes on 2 cores (fewer instances with --quick).
if wanted fleet; then
  FLEET_SIZES=$([ $QUICK = 1 ] && echo 50,200 || echo 50,200,400)
  section fleet "${JDK25:-$JAVA}" -Xmx2g "${CP[@]}" dev.privateegress.benchmarks.FleetDrill --instances $FLEET_SIZES \
      > "$RES/fleet.md" 2> "$WORK/fleet.log" || failed fleet
  cp "$RES/fleet.md" "$WORK/fleet.md" 2>/dev/null || true
fi

# --- 5: outage amplification ----------------------------------------------------------------------------------
if wanted outage; then
  section outage "$JAVA" "${PROPS[@]}" "${CP[@]}" dev.privateegress.benchmarks.OutageProbe --calls $OUTAGE_CALLS \
      --log-503 "$WORK/unavailable.log" --log-503-retry-after-0 "$WORK/unavailable-retry-after-0.log" \
      > "$RES/outage.md" 2> "$WORK/outage.log" || failed outage
fi

# --- 6: retained heap and jar weight --------------------------------------------------------------------------
if wanted memory; then
  MEM_CMD=("$JAVA" -XX:+UseSerialGC "${PROPS[@]}" "${CP[@]}" dev.privateegress.benchmarks.MemoryProbe)
  printf '%s\n' "${MEM_CMD[*]} raw|sdk $MEM_COUNTS" | sed "s|$JAR|benchmarks/target/benchmarks.jar|g" \
      > "$RES/memory.cmd"
  log memory
  if "${MEM_CMD[@]}" raw "$MEM_COUNTS" > "$WORK/memory-raw.txt" 2> "$WORK/memory.log" \
      && "${MEM_CMD[@]}" sdk "$MEM_COUNTS" > "$WORK/memory-sdk.txt" 2>> "$WORK/memory.log"; then
    IFS=, read -r N1 N2 <<< "$MEM_COUNTS"
    read -r _ r0 r1 r2 < "$WORK/memory-raw.txt"
    read -r _ s0 s1 s2 < "$WORK/memory-sdk.txt"
    awk -v r0="$r0" -v r1="$r1" -v r2="$r2" -v s0="$s0" -v s1="$s1" -v s2="$s2" -v n1="$N1" -v n2="$N2" 'BEGIN {
      m = 1048576
      print "| live heap retained | SDK | raw | SDK/raw | SDK − raw (target ≤ 2 MiB) |"
      print "|---|---:|---:|---:|---|"
      row("clients built, 1 call each", s0, r0)
      row("after " n1 " calls", s1, r1)
      row("after " n2 " calls", s2, r2)
      printf "| growth from %d to %d calls | %+.3f MiB | %+.3f MiB | | |\n", n1, n2, (s2 - s1) / m, (r2 - r1) / m
    }
    function row(what, s, r) {
      d = (s - r) / m
      printf "| %s | %.2f MiB | %.2f MiB | %.2f | **%+.2f MiB** %s |\n", what, s / m, r / m, s / r, d, (d <= 2 ? "met" : "missed")
    }' > "$RES/memory.md"
  else failed memory; fi
fi

if wanted jars; then
  OKHTTP_V=$(sed -n 's:.*<okhttp.version>\(.*\)</okhttp.version>.*:\1:p' pom.xml)
  JEDIS_V=$(sed -n 's:.*<jedis.version>\(.*\)</jedis.version>.*:\1:p' pom.xml)
  for raw in "com.squareup.okhttp3 okhttp-jvm $OKHTTP_V" "redis.clients jedis $JEDIS_V"; do
    read -r g a v <<< "$raw"
    mkdir -p "$WORK/raw/$a"
    cat > "$WORK/raw/$a/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>bench</groupId><artifactId>raw-$a</artifactId><version>1</version>
  <dependencies><dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version></dependency></dependencies>
</project>
POM
  done
  cat > "$WORK/raw/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>bench</groupId><artifactId>raw</artifactId><version>1</version><packaging>pom</packaging>
  <modules><module>okhttp-jvm</module><module>jedis</module></modules>
</project>
POM
  printf '' > "$WORK/nothing.txt"
  printf '%s\n' "./mvnw -q -f \$WORK/raw/pom.xml dependency:build-classpath -DincludeScope=runtime (a pom per raw client); JarWeight LABEL MODULE_JAR MODULE/target/runtime-classpath.txt RAW_CLASSPATH" \
      > "$RES/jars.cmd"
  log jars
  DEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.9.0
  if ./mvnw -B -q -f "$WORK/raw/pom.xml" $DEP_PLUGIN:build-classpath -DincludeScope=runtime \
        -Dmdep.outputFile=runtime-classpath.txt > "$WORK/jars.log" 2>&1; then
    jar_of() { ls "$1"/target/private-egress-*.jar | grep -v -e '-sources' -e '-javadoc' | head -1; }
    {
      echo "| module | its runtime jars | the raw client's | ratio | added to a service | largest additions (MiB) |"
      echo "|---|---:|---:|---:|---|---|"
      jw() { "$JAVA" "${CP[@]}" dev.privateegress.benchmarks.JarWeight "$@"; }
      jw "\`private-egress-core\` (vs nothing)" "$(jar_of sdk-core)" \
          sdk-core/target/runtime-classpath.txt "$WORK/nothing.txt"
      jw "\`private-egress-http\` vs \`okhttp-jvm\` $OKHTTP_V" "$(jar_of sdk-http)" \
          sdk-http/target/runtime-classpath.txt "$WORK/raw/okhttp-jvm/runtime-classpath.txt"
      jw "\`private-egress-redis\` vs \`jedis\` $JEDIS_V" "$(jar_of sdk-redis)" \
          sdk-redis/target/runtime-classpath.txt "$WORK/raw/jedis/runtime-classpath.txt"
    } > "$RES/jars.md" || failed jars
  else failed jars; fi
fi

# --- 7: cold start off Google Cloud ----------------------------------------------------------------------------
if wanted startup; then
  printf '%s\n' "for i in \$(seq $STARTS); do env -i PATH=/usr/bin:/bin \$JDK/bin/java -cp benchmarks/target/benchmarks.jar dev.privateegress.benchmarks.StartupProbe; done" \
      > "$RES/startup.cmd"
  log startup
  {
    echo "| JVM | min | median | max |"
    echo "|---|---:|---:|---:|"
    for jdk in "$JAVA" ${JDK25:+"$JDK25"}; do
      for i in $(seq $STARTS); do
        env -i PATH=/usr/bin:/bin "$jdk" "${CP[@]}" dev.privateegress.benchmarks.StartupProbe | cut -d' ' -f1
      done > "$WORK/startup.txt"
      v=$("$jdk" -version 2>&1 | head -1 | sed 's/.*version "\(.*\)".*/\1/')
      sort -n "$WORK/startup.txt" | awk -v v="$v" '{a[NR] = $1 / 1000} END {
        printf "| %s | %.1f ms | **%.1f ms** | %.1f ms |\n", v, a[1], a[int((NR + 1) / 2)], a[NR] }' 
    done
  } > "$RES/startup.md" || failed startup
fi

END=$(date +%s)
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "mode=benchmarks/run.sh${ARGS:+ $ARGS}"
  echo "seconds=$(( END - START ))"
  echo "java=$("$JAVA" -version 2>&1 | head -1)"
  echo "java25=$([ -n "$JDK25" ] && "$JDK25" -version 2>&1 | head -1 || echo none)"
  echo "cpus=$(nproc)"
  echo "load_before=$LOAD_BEFORE"
  echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
  echo "nginx=$("$NGINX" -v 2>&1 | sed 's/.*version: //')"
  echo "redis=$("$REDIS" --version | sed 's/.* v=\([^ ]*\).*/redis-server \1/')"
} > "$RES/meta.properties"
"$JAVA" "${CP[@]}" dev.privateegress.benchmarks.Render "$ROOT/benchmarks/BENCHMARKS.template.md" "$RES" "$OUT"
log "wrote $OUT in $(( END - START ))s${FAILED:+; failed sections:$FAILED}"
[ -z "$FAILED" ]
