#!/usr/bin/env bash
# Cold start of the samples (BENCHMARKS.md §9): exec -> first 2xx on each sample's main path, for the fat jar, the
# extracted layout and the extracted layout with the JDK's cache, on Temurin 25 (app.aot) and JDK 17 (app.jsa).
#
#   benchmarks/run.sh --cold-start [--runs 10] [--budget-minutes 40] [--only redis-counter,...] [--no-build]
#
# Builds the samples with -Pquick,aot on Temurin 25 (layout + app.aot from the training run), adds app.jsa from a
# JDK 17 training run on the same layout, then times the six modes, alternating within every round, and rewrites
# the section between the cold-start markers of BENCHMARKS.md (and its template). Dependencies are loopback
# stand-ins (sample-testing's Scenario): a throwaway redis-server, HTTP stand-ins, the SDK's fake metadata server.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JDK25_HOME=${JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JDK17_HOME=${JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
RUNS=10
BUDGET=40
ONLY=redis-counter,internal-api,pubsub-relay,function-caller
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --cold-start) ;;
    --runs) RUNS=$2; shift ;;
    --budget-minutes) BUDGET=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --no-build) BUILD=0 ;;
    *) echo "usage: benchmarks/run.sh --cold-start [--runs N] [--budget-minutes M] [--only a,b] [--no-build]" >&2; exit 2 ;;
  esac
  shift
done
for j in "$JDK25_HOME" "$JDK17_HOME"; do
  [ -x "$j/bin/java" ] || { echo "cold-start.sh: no JDK at $j (set JDK25_HOME / JDK17_HOME)" >&2; exit 2; }
done

cd "$ROOT"
WORK=$(mktemp -d /tmp/private-egress-cold-start.XXXXXX)
PL=$(echo "$ONLY" | sed 's/\([^,]*\)/samples\/\1/g')
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
if [ $BUILD = 1 ]; then
  log "building $ONLY with -Pquick,aot on Temurin 25 (layout + app.aot)"
  JAVA_HOME=$JDK25_HOME ./mvnw -B -q -Pquick,aot -pl "$PL" -am package > "$WORK/build.log" 2>&1 \
    || { tail -50 "$WORK/build.log" >&2; exit 1; }
fi
# The driver's class path; sample-testing comes last in this reactor, so its class path is what stays in cp.txt.
JAVA_HOME=$JDK25_HOME ./mvnw -B -q -Pquick -pl samples/sample-testing -am package dependency:build-classpath \
    -DincludeScope=runtime -Dmdep.outputFile="$WORK/cp.txt" > "$WORK/cp.log" 2>&1 || { tail -50 "$WORK/cp.log" >&2; exit 1; }
CP="$ROOT/samples/sample-testing/target/sample-testing-0.1.0-SNAPSHOT.jar:$(cat "$WORK/cp.txt")"

for s in ${ONLY//,/ }; do
  log "$s: JDK 17 training run on the same layout (app.jsa)"
  "$JDK17_HOME/bin/java" -cp "$CP" dev.privateegress.samples.testing.AotTraining --sample "$s" \
      --target "samples/$s/target" --skip-layout
done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START=$(date +%s)
log "timing $RUNS rounds per sample (budget $BUDGET min), modes alternating"
"$JDK25_HOME/bin/java" -cp "$CP" dev.privateegress.samples.testing.ColdStartBenchmark --samples-dir samples \
    --java25 "$JDK25_HOME/bin/java" --java17 "$JDK17_HOME/bin/java" --runs "$RUNS" --budget-minutes "$BUDGET" \
    --only "$ONLY" > "$WORK/table.md"
END=$(date +%s)

{
  echo "<!-- cold-start:begin -->"
  echo "**This run:** \`benchmarks/run.sh --cold-start --runs $RUNS\`, $(date -u '+%Y-%m-%d %H:%M UTC'), $(( END - START )) s of"
  echo "timing; $("$JDK25_HOME/bin/java" -version 2>&1 | sed -n 2p); $("$JDK17_HOME/bin/java" -version 2>&1 | sed -n 2p);"
  echo "$(nproc) CPUs shared with other builds, load average $LOAD_BEFORE before and $(cut -d' ' -f1-3 /proc/loadavg) after."
  echo
  cat "$WORK/table.md"
  echo "<!-- cold-start:end -->"
} > "$WORK/section.md"
for f in BENCHMARKS.md benchmarks/BENCHMARKS.template.md; do
  if grep -q '<!-- cold-start:begin -->' "$f"; then
    awk -v sec="$WORK/section.md" '
      /<!-- cold-start:begin -->/ { while ((getline l < sec) > 0) print l; skip = 1; next }
      /<!-- cold-start:end -->/ { skip = 0; next }
      !skip { print }' "$f" > "$WORK/out.md" && cp "$WORK/out.md" "$f"
  fi
done
cat "$WORK/section.md"
log "wrote the cold-start section of BENCHMARKS.md; logs in $WORK"
