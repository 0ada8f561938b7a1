#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker (KRaft, no ZooKeeper) on 127.0.0.1:9092 for
# sluice's integration tests and local cluster mode.
#
# Usage: scripts/kafka-start.sh [--fresh]
#   (no option)  keep the data: topics, messages and consumer-group offsets survive a
#                restart (scripts/kafka-stop.sh, then this script again). The storage is
#                formatted only when the data directory is not formatted yet (no KRaft
#                meta.properties), with the cluster id kept in $KAFKA_DATA_DIR/cluster.id.
#   --fresh      wipe the data directory (stopping a broker running on it first) and
#                format it anew with a new cluster id.
# Messages older than log.retention.hours (24) are deleted by the broker either way.
#
# The broker's jars come from Maven Central (scripts/kafka/pom.xml) and are cached outside
# the work tree in $SLUICE_CACHE_DIR (default ~/.cache/sluice), so a second run downloads
# nothing. Needs Java 17+ and Maven. Mirrors what apache/kafka's bin/kafka-storage.sh and
# bin/kafka-server-start.sh do: `kafka.tools.StorageTool format`, then `kafka.Kafka`.
#
# Environment:
#   KAFKA_VERSION     broker version (default 3.9.1; must be served by Maven Central)
#   KAFKA_PORT        client listener port (default 9092); the controller uses KAFKA_PORT+1
#   SLUICE_CACHE_DIR  where jars are cached (default ~/.cache/sluice)
#   KAFKA_DATA_DIR    log dirs, cluster id, pid and broker log (default $SLUICE_CACHE_DIR/kafka-run)
#
# Prints exactly one line on stdout, `KAFKA_BROKERS=127.0.0.1:<port>`, on success (also when
# the broker was already running); everything else goes to stderr. Exits non-zero with
# the broker's log tail if the broker does not become ready within 90 s.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${KAFKA_VERSION:-3.9.1}"
port="${KAFKA_PORT:-9092}"
controller_port=$((port + 1))
cache="${SLUICE_CACHE_DIR:-$HOME/.cache/sluice}"
libs="$cache/kafka-$version/libs"
run="${KAFKA_DATA_DIR:-$cache/kafka-run}"

log() { printf '[kafka-start] %s\n' "$*" >&2; }

fresh=0
for arg in "$@"; do
  case "$arg" in
    --fresh) fresh=1 ;;
    *) log "unknown argument '$arg' (usage: kafka-start.sh [--fresh])"; exit 2 ;;
  esac
done

command -v java >/dev/null || { log "java not found: install a JDK 17+ (apt-get install -y openjdk-17-jre-headless)"; exit 1; }

if [ -f "$run/kafka.pid" ] && kill -0 "$(cat "$run/kafka.pid")" 2>/dev/null; then
  if [ "$fresh" -eq 0 ]; then
    log "broker already running (pid $(cat "$run/kafka.pid"))"
    echo "KAFKA_BROKERS=127.0.0.1:$port"
    exit 0
  fi
  log "--fresh: stopping the broker running on $run"
  KAFKA_DATA_DIR="$run" bash "$here/kafka-stop.sh" >&2
fi

if [ ! -f "$libs/.complete" ]; then
  command -v mvn >/dev/null || { log "mvn not found: install Maven (apt-get install -y maven)"; exit 1; }
  log "fetching Kafka $version jars from Maven Central into $libs"
  mkdir -p "$libs"
  # stdout of mvn goes to stderr: this script's stdout is only the KAFKA_BROKERS line
  mvn -q -B -Dstyle.color=never -f "$here/kafka/pom.xml" -Dkafka.version="$version" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  touch "$libs/.complete"
  log "fetched $(ls "$libs" | wc -l) jars"
fi

if [ "$fresh" -eq 1 ] && [ -e "$run" ]; then
  case "$run" in
    / | "$HOME" | "$cache") log "refusing to wipe $run (KAFKA_DATA_DIR): not a broker data directory"; exit 1 ;;
  esac
  log "--fresh: wiping $run"
  rm -rf "$run"
fi
mkdir -p "$run/data"
cat > "$run/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$run/data
num.partitions=4
auto.create.topics.enable=true
# single node: internal topics cannot have more replicas than brokers (kafkajs#1752)
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS
cat > "$run/log4j.properties" <<'L4J'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
L4J

jvm=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
     -Dkafka.logs.dir="$run" -Dlog4j.configuration="file:$run/log4j.properties")
# The cluster id lives in the formatted storage (meta.properties); cluster.id keeps a copy
# so a data directory wiped by hand is formatted again under the same id.
meta="$run/data/meta.properties"
if [ -f "$meta" ]; then
  cluster_id="$(sed -n 's/^cluster\.id=//p' "$meta")"
  [ -n "$cluster_id" ] || { log "no cluster.id in $meta: start with --fresh to wipe and format anew"; exit 1; }
  echo "$cluster_id" > "$run/cluster.id"
  log "keeping the data in $run/data (cluster $cluster_id; --fresh wipes it)"
else
  if [ -s "$run/cluster.id" ]; then
    cluster_id="$(cat "$run/cluster.id")"
  else
    cluster_id="$(java -cp "$libs/*" "${jvm[@]}" kafka.tools.StorageTool random-uuid | tail -n 1)"
    echo "$cluster_id" > "$run/cluster.id"
  fi
  java -cp "$libs/*" "${jvm[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$run/server.properties" >"$run/format.log" 2>&1 \
    || { log "storage format failed:"; cat "$run/format.log" >&2; exit 1; }
  log "formatted $run/data (cluster $cluster_id)"
fi

# the readiness check below reads this start's log only
if [ -f "$run/server.log" ]; then mv -f "$run/server.log" "$run/server.log.1"; fi
log "starting Kafka $version on 127.0.0.1:$port (logs: $run/server.log)"
nohup java -cp "$libs/*" "${jvm[@]}" kafka.Kafka "$run/server.properties" >"$run/stdout.log" 2>&1 &
echo $! > "$run/kafka.pid"

for _ in $(seq 1 180); do
  if ! kill -0 "$(cat "$run/kafka.pid")" 2>/dev/null; then
    log "broker exited during start-up:"; tail -n 40 "$run/stdout.log" "$run/server.log" >&2 2>/dev/null || true; exit 1
  fi
  if grep -q "Kafka Server started" "$run/server.log" 2>/dev/null; then
    log "broker ready (pid $(cat "$run/kafka.pid"))"
    echo "KAFKA_BROKERS=127.0.0.1:$port"
    exit 0
  fi
  sleep 0.5
done
log "broker not ready after 90 s:"; tail -n 40 "$run/server.log" >&2 2>/dev/null || true
exit 1
