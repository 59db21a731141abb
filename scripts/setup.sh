#!/usr/bin/env bash
# Shakedown setup: installs everything the workbench runs, idempotently, caching under .tools/ (git-ignored).
#
#   bash scripts/setup.sh            # or: npm run setup
#   . .tools/env.sh                  # afterwards: PATH and tool locations (SHAKEDOWN_KAFKA_LIBS, SHAKEDOWN_K6, ...)
#
# Steps (each prints one line when it has nothing to do):
#   apt    Debian packages: redis-server etcd-server etcd-client nftables iproute2 chromium
#   kafka  Apache Kafka jars from Maven Central into .tools/kafka/libs (run with java -cp, no tarball)
#   go     k6 and Toxiproxy built with `go install` from the Go module proxy into .tools/bin
#   npm    node_modules at the versions package-lock.json pins (better-sqlite3 is compiled from source)
#   env    always: writes .tools/env.sh and prints a summary table
#
# Environment:
#   SHAKEDOWN_SETUP_SKIP=apt,kafka,go,npm   comma list of steps to skip (developers who bring their own tools)
#
# Only package registries are used (Debian apt, Maven Central, Go module proxy, npm); nothing is downloaded
# from anywhere else. Missing optional pieces (apt, kafka, go) only warn; a failed npm step is fatal (exit 1).
# A second run changes nothing and takes a few seconds. Logs of installs go to .tools/logs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
LOGS="$TOOLS/logs"
BIN="$TOOLS/bin"

# Pinned versions. Kafka: newest 3.9.x on Maven Central (3.9.3 does not exist). Go tools: newest that the Go
# module proxy resolves (k6 v1.8.1; toxiproxy v2.12.0 — `go list -m -versions` lists only a few, pin by probe).
KAFKA_VERSION="3.9.2"
SCALA_VERSION="2.13"
RELOAD4J_VERSION="1.2.25"      # the log4j 1.x replacement Kafka 3.9 ships with
SLF4J_VERSION="1.7.36"         # = Kafka 3.9's slf4j-api; slf4j-reload4j binds it to reload4j
DEPENDENCY_PLUGIN_VERSION="3.8.1"
K6_VERSION="v1.8.1"
TOXIPROXY_VERSION="v2.12.0"

APT_PACKAGES=(redis-server etcd-server etcd-client nftables iproute2 chromium)

STEPS=(apt kafka go npm)
SKIP_LIST=",${SHAKEDOWN_SETUP_SKIP:-},"
START_SECONDS=$SECONDS
INSTALLED=()
MISSING=()
SUMMARY=()

say() { printf 'setup: %s\n' "$*"; }
skipped() { [[ "$SKIP_LIST" == *",$1,"* ]]; }
row() { SUMMARY+=("$1|$2|$3|$4"); } # component, version, path, status
have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command with its output in a log file; on failure shows the log's last lines.
run_logged() {
  local log="$LOGS/$1.log"
  shift
  if "$@" >"$log" 2>&1; then return 0; fi
  say "command failed: $* (last lines of ${log#"$ROOT"/}):"
  tail -n 8 "$log" | sed 's/^/  | /'
  return 1
}

# Writes stdin to a file only when the content differs, so a second run changes nothing.
write_if_changed() {
  local file="$1" content
  content="$(cat && echo .)"
  content="${content%.}"
  if [[ -f "$file" ]] && printf '%s' "$content" | cmp -s - "$file"; then return 0; fi
  printf '%s' "$content" >"$file"
}

for step in ${SHAKEDOWN_SETUP_SKIP:+${SHAKEDOWN_SETUP_SKIP//,/ }}; do
  if [[ " ${STEPS[*]} " != *" $step "* ]]; then
    say "unknown step '$step' in SHAKEDOWN_SETUP_SKIP (known: ${STEPS[*]})" >&2
    exit 2
  fi
done

mkdir -p "$TOOLS" "$LOGS" "$BIN"

# One setup at a time per checkout (parallel `npm test` runs share .tools/ and node_modules/).
if have flock; then
  exec 9>>"$TOOLS/setup.lock"
  flock 9
fi

# ---------------------------------------------------------------------------------------------------------
# apt: Debian packages
# ---------------------------------------------------------------------------------------------------------
pkg_binary() {
  case "$1" in
    redis-server) echo redis-server ;;
    etcd-server) echo etcd ;;
    etcd-client) echo etcdctl ;;
    nftables) echo nft ;;
    iproute2) echo ip ;;
    chromium) echo chromium ;;
  esac
}

pkg_installed() {
  if have dpkg-query; then
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
  else
    have "$(pkg_binary "$1")"
  fi
}

pkg_version() {
  if have dpkg-query; then dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; fi
}

# Stops and disables a daemon that a package we just installed may have started (ports 6379, 2379).
stop_daemon() {
  local service="$1" pidfile="$2"
  if [[ -d /run/systemd/system ]] && have systemctl; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  elif [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    service "$service" stop >/dev/null 2>&1 || true
    if have update-rc.d; then update-rc.d "$service" disable >/dev/null 2>&1 || true; fi
  fi
}

step_apt() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]} == 0)); then
    say "apt packages cached (${APT_PACKAGES[*]})"
    return 0
  fi
  local why=""
  if ((EUID != 0)); then
    why="not root"
  elif ! have apt-get; then
    why="no apt-get"
  fi
  if [[ -n "$why" ]]; then
    local them="them"
    ((${#missing[@]} == 1)) && them="it"
    say "cannot install ${missing[*]} ($why); install $them with your package manager and re-run"
    return 0
  fi

  say "installing Debian packages: ${missing[*]}"
  # Keep the packages' daemons from starting during install: Shakedown runs its own instances.
  local own_policy=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  local ok=1
  if ! run_logged apt-update apt-get update -q; then ok=0; fi
  if ((ok)) && ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$LOGS/apt-install.log" 2>&1; then
    # One unavailable package must not block the others: retry one by one.
    if ((${#missing[@]} > 1)); then
      for p in "${missing[@]}"; do
        apt-get install -y -q --no-install-recommends "$p" >>"$LOGS/apt-install.log" 2>&1 || true
      done
    fi
  fi
  if [[ -n "$own_policy" ]]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi

  for p in "${missing[@]}"; do
    if pkg_installed "$p"; then
      INSTALLED+=("$p")
      case "$p" in
        redis-server) stop_daemon redis-server /run/redis/redis-server.pid ;;
        etcd-server) stop_daemon etcd /run/etcd.pid ;;
      esac
    else
      say "could not install $p (see .tools/logs/apt-install.log); install it by hand and re-run"
    fi
  done
}

# ---------------------------------------------------------------------------------------------------------
# kafka: jars from Maven Central
# ---------------------------------------------------------------------------------------------------------
# Verified by hand (Kafka 3.9.2, Java 17, after `. .tools/env.sh`): a single-node KRaft broker starts in
# 3-7 s and serves an idempotent producer (acks=all) and a consumer group with exactly these jars:
# kafka_2.13's runtime closure plus reload4j and slf4j-reload4j, with no SLF4J binding warnings. No extra jar
# is needed (the netty-epoll native classifier is only used by ZooKeeper; kafka-tools is not needed to
# format storage or run the broker). Pass the log4j file to every java call, or log4j 1 warns "no appenders".
#   L4J="-Dlog4j.configuration=file:$SHAKEDOWN_KAFKA_LOG4J"
#   CID=$(java $L4J -cp "$SHAKEDOWN_KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid)
#   java $L4J -cp "$SHAKEDOWN_KAFKA_LIBS/*" kafka.tools.StorageTool format -t "$CID" -c server.properties
#   java -Xms256m -Xmx512m $L4J -cp "$SHAKEDOWN_KAFKA_LIBS/*" kafka.Kafka server.properties
# server.properties (loopback only): process.roles=broker,controller  node.id=1
#   controller.quorum.voters=1@127.0.0.1:19193  controller.listener.names=CONTROLLER
#   listeners=PLAINTEXT://127.0.0.1:19192,CONTROLLER://127.0.0.1:19193  advertised.listeners=PLAINTEXT://127.0.0.1:19192
#   inter.broker.listener.name=PLAINTEXT  listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
#   log.dirs=<dir>  offsets.topic.replication.factor=1  transaction.state.log.replication.factor=1
#   transaction.state.log.min.isr=1  group.initial.rebalance.delay.ms=0
# The broker stops cleanly on SIGTERM (about 4 s).
KAFKA_DIR="$TOOLS/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_LOG4J="$KAFKA_DIR/config/log4j.properties"
KAFKA_JAR="$KAFKA_LIBS/kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar"
KAFKA_STAMP_TEXT="kafka_${SCALA_VERSION}:${KAFKA_VERSION} reload4j:${RELOAD4J_VERSION} slf4j-reload4j:${SLF4J_VERSION}"

kafka_pom() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by scripts/setup.sh: the runtime jars of an Apache Kafka broker, resolved from Maven Central -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.shakedown.tools</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA_VERSION}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>ch.qos.reload4j</groupId>
      <artifactId>reload4j</artifactId>
      <version>${RELOAD4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-reload4j</artifactId>
      <version>${SLF4J_VERSION}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${DEPENDENCY_PLUGIN_VERSION}</version>
      </plugin>
    </plugins>
  </build>
</project>
EOF
}

# Logs go to stderr so that tools printing a result on stdout (StorageTool random-uuid) stay clean.
kafka_log4j() {
  cat <<'EOF'
# generated by scripts/setup.sh: pass as -Dlog4j.configuration=file:<this file>
log4j.rootLogger=INFO, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.state.change.logger=INFO
log4j.logger.kafka.authorizer.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
}

step_kafka() {
  mkdir -p "$KAFKA_DIR/config"
  kafka_log4j | write_if_changed "$KAFKA_LOG4J"
  if [[ -f "$KAFKA_JAR" && "$(cat "$KAFKA_DIR/stamp" 2>/dev/null)" == "$KAFKA_STAMP_TEXT" ]]; then
    say "kafka $KAFKA_VERSION cached"
    return 0
  fi
  local tool
  for tool in java mvn; do
    if ! have "$tool"; then
      say "cannot fetch kafka $KAFKA_VERSION ($tool not found); install Java 17+ and Maven and re-run"
      return 0
    fi
  done
  say "fetching kafka $KAFKA_VERSION jars from Maven Central"
  kafka_pom | write_if_changed "$KAFKA_DIR/pom.xml"
  rm -rf "$KAFKA_LIBS.new"
  if ! run_logged kafka mvn -B -q -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS.new"; then
    say "kafka $KAFKA_VERSION not installed; re-run when Maven Central is reachable"
    return 0
  fi
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.new" "$KAFKA_LIBS"
  # Smoke check: the tool that formats KRaft storage runs and prints a cluster id.
  local uuid
  uuid="$(java -Dlog4j.configuration="file:$KAFKA_LOG4J" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid \
    2>"$LOGS/kafka-smoke.log" || true)"
  if [[ ! "$uuid" =~ ^[A-Za-z0-9_-]{22}$ ]]; then
    say "kafka smoke check failed: StorageTool random-uuid printed '$uuid' (see .tools/logs/kafka-smoke.log)"
    return 0
  fi
  printf '%s\n' "$KAFKA_STAMP_TEXT" >"$KAFKA_DIR/stamp"
  INSTALLED+=("kafka")
  say "kafka $KAFKA_VERSION installed ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars, smoke check ok)"
}

# ---------------------------------------------------------------------------------------------------------
# go: k6 and Toxiproxy from the Go module proxy
# ---------------------------------------------------------------------------------------------------------
TOXIPROXY_MODULE="github.com/Shopify/toxiproxy/v2"

k6_ok() { [[ -x "$BIN/k6" ]] && "$BIN/k6" version 2>/dev/null | grep -q "^k6 $K6_VERSION "; }
toxiproxy_ok() {
  [[ -x "$BIN/toxiproxy-server" && -x "$BIN/toxiproxy-cli" ]] &&
    [[ "$("$BIN/toxiproxy-server" -version 2>/dev/null)" == "toxiproxy-server version ${TOXIPROXY_VERSION#v}" ]] &&
    [[ "$("$BIN/toxiproxy-cli" --version 2>/dev/null)" == "toxiproxy-cli version ${TOXIPROXY_VERSION#v}" ]]
}

step_go() {
  if k6_ok && toxiproxy_ok; then
    say "go tools cached (k6 $K6_VERSION, toxiproxy $TOXIPROXY_VERSION)"
    return 0
  fi
  if ! have go; then
    say "cannot build k6/toxiproxy (go not found); install Go 1.24+ and re-run"
    return 0
  fi
  local gobin="$TOOLS/go-bin.new" started
  if ! toxiproxy_ok; then
    started=$SECONDS
    rm -rf "$gobin"
    # go install names the binaries after their folders (server, cli); the -X flag makes -version truthful.
    if run_logged toxiproxy env GOBIN="$gobin" go install \
      -ldflags "-s -w -X $TOXIPROXY_MODULE.Version=${TOXIPROXY_VERSION#v}" \
      "$TOXIPROXY_MODULE/cmd/server@$TOXIPROXY_VERSION" "$TOXIPROXY_MODULE/cmd/cli@$TOXIPROXY_VERSION"; then
      mv -f "$gobin/server" "$BIN/toxiproxy-server"
      mv -f "$gobin/cli" "$BIN/toxiproxy-cli"
      INSTALLED+=("toxiproxy")
      say "toxiproxy $TOXIPROXY_VERSION installed ($((SECONDS - started)) s)"
    fi
  fi
  if ! k6_ok; then
    started=$SECONDS
    rm -rf "$gobin"
    say "building k6 $K6_VERSION with go install (about 2 minutes on 2 cores the first time)"
    if run_logged k6 env GOBIN="$gobin" go install -ldflags "-s -w" "go.k6.io/k6@$K6_VERSION"; then
      mv -f "$gobin/k6" "$BIN/k6"
      INSTALLED+=("k6")
      say "k6 $K6_VERSION installed ($((SECONDS - started)) s)"
    fi
  fi
  rm -rf "$gobin"
}

# ---------------------------------------------------------------------------------------------------------
# npm: node_modules
# ---------------------------------------------------------------------------------------------------------
NPM_STAMP="$TOOLS/npm.stamp"

npm_stamp_text() {
  local files=(package.json)
  [[ -f package-lock.json ]] && files+=(package-lock.json)
  printf '%s node %s\n' "$(cat "${files[@]}" | sha256sum | cut -c1-16)" "$(node -v)"
}

sqlite_ok() { node -e "require('better-sqlite3')(':memory:').close()" >/dev/null 2>&1; }

step_npm() {
  cd "$ROOT"
  if ! have node || ! have npm; then
    say "node and npm are required (Node 20.19+); install them and re-run" >&2
    exit 1
  fi
  local want
  want="$(npm_stamp_text)"
  if [[ -d node_modules && "$(cat "$NPM_STAMP" 2>/dev/null)" == "$want" ]] && sqlite_ok; then
    say "npm dependencies cached"
    return 0
  fi
  # better-sqlite3: skip prebuild-install's download from outside the registry and compile with node-gyp,
  # using the local Node headers when the system has them.
  export npm_config_build_from_source=better-sqlite3
  if [[ -f /usr/include/node/common.gypi && -z "${npm_config_nodedir:-}" ]]; then export npm_config_nodedir=/usr; fi
  local started=$SECONDS
  if [[ -d node_modules && "$(cat "$NPM_STAMP" 2>/dev/null)" == "$want" ]]; then
    say "rebuilding better-sqlite3 (it did not load)"
    run_logged npm npm rebuild better-sqlite3 || exit 1
  else
    # Not `npm ci`: it insists on lockfile entries for every platform's optional packages (biome's), which
    # registries that mirror only some platforms cannot provide. `npm install --no-save` installs the locked
    # versions and leaves package.json and package-lock.json untouched.
    say "installing npm dependencies (npm install --no-save)"
    run_logged npm npm install --no-save --no-audit --no-fund || exit 1
  fi
  if ! sqlite_ok; then
    run_logged npm-rebuild npm rebuild better-sqlite3 || exit 1
  fi
  if ! sqlite_ok; then
    say "better-sqlite3 does not load after install; see .tools/logs/npm*.log" >&2
    exit 1
  fi
  npm_stamp_text >"$NPM_STAMP"
  INSTALLED+=("npm")
  say "npm dependencies installed ($((SECONDS - started)) s, better-sqlite3 loads)"
}

# ---------------------------------------------------------------------------------------------------------
# env: .tools/env.sh and the summary
# ---------------------------------------------------------------------------------------------------------
path_of() {
  local found
  found="$(command -v "$1" 2>/dev/null || true)"
  if [[ -z "$found" && -x "/usr/sbin/$1" ]]; then found="/usr/sbin/$1"; fi
  printf '%s' "$found"
}

write_env() {
  local redis etcd etcdctl chromium nft java
  redis="$(path_of redis-server)"
  etcd="$(path_of etcd)"
  etcdctl="$(path_of etcdctl)"
  chromium="$(path_of chromium)"
  nft="$(path_of nft)"
  java="$(path_of java)"
  {
    echo "# generated by scripts/setup.sh; source it: . .tools/env.sh"
    echo "case \":\$PATH:\" in *\":$BIN:\"*) ;; *) export PATH=\"$BIN:\$PATH\" ;; esac"
    echo "export SHAKEDOWN_TOOLS=\"$TOOLS\""
    echo "export SHAKEDOWN_KAFKA_VERSION=\"$KAFKA_VERSION\""
    echo "export SHAKEDOWN_KAFKA_LIBS=\"$KAFKA_LIBS\""
    echo "export SHAKEDOWN_KAFKA_LOG4J=\"$KAFKA_LOG4J\""
    echo "export SHAKEDOWN_JAVA=\"$java\""
    echo "export SHAKEDOWN_K6=\"$BIN/k6\""
    echo "export SHAKEDOWN_TOXIPROXY=\"$BIN/toxiproxy-server\""
    echo "export SHAKEDOWN_TOXIPROXY_CLI=\"$BIN/toxiproxy-cli\""
    echo "export REDIS_SERVER=\"$redis\""
    echo "export REDIS_CLI=\"$(path_of redis-cli)\""
    echo "export ETCD=\"$etcd\""
    echo "export ETCDCTL=\"$etcdctl\""
    echo "export NFT=\"$nft\""
    echo "export CHROMIUM=\"$chromium\""
  } | write_if_changed "$TOOLS/env.sh"

  local v
  v="$(pkg_version redis-server)"
  row redis-server "${v:--}" "${redis:--}" "$([[ -n "$redis" ]] && echo ok || echo missing)"
  v="$(pkg_version etcd-server)"
  row etcd "${v:--}" "${etcd:--}" "$([[ -n "$etcd" ]] && echo ok || echo missing)"
  row etcdctl "${v:--}" "${etcdctl:--}" "$([[ -n "$etcdctl" ]] && echo ok || echo missing)"
  v="$(pkg_version nftables)"
  row nftables "${v:--}" "${nft:--}" "$([[ -n "$nft" ]] && echo ok || echo missing)"
  v="$(pkg_version chromium)"
  row chromium "${v:--}" "${chromium:--}" "$([[ -n "$chromium" ]] && echo ok || echo missing)"
  row kafka "$KAFKA_VERSION" "${KAFKA_LIBS#"$ROOT"/}" "$([[ -f "$KAFKA_JAR" && -f "$KAFKA_DIR/stamp" ]] && echo ok || echo missing)"
  row k6 "$K6_VERSION" "${BIN#"$ROOT"/}/k6" "$(k6_ok && echo ok || echo missing)"
  row toxiproxy "$TOXIPROXY_VERSION" "${BIN#"$ROOT"/}/toxiproxy-server" "$(toxiproxy_ok && echo ok || echo missing)"
  row node_modules "node $(node -v)" "node_modules" "$(sqlite_ok && echo ok || echo missing)"
}

print_summary() {
  local line name v p s
  printf '  %-13s %-24s %-30s %s\n' component version path status
  for line in "${SUMMARY[@]}"; do
    IFS='|' read -r name v p s <<<"$line"
    printf '  %-13s %-24s %-30s %s\n' "$name" "$v" "$p" "$s"
    [[ "$s" == ok ]] || MISSING+=("$name")
  done
}

# ---------------------------------------------------------------------------------------------------------
for step in "${STEPS[@]}"; do
  if skipped "$step"; then
    say "$step skipped (SHAKEDOWN_SETUP_SKIP)"
  else
    "step_$step"
  fi
done
cd "$ROOT"
write_env
print_summary

elapsed=$((SECONDS - START_SECONDS))
if ((${#INSTALLED[@]} > 0)); then
  result="installed: ${INSTALLED[*]}"
else
  result="nothing installed"
  ((${#MISSING[@]} > 0)) || result="all cached, $result"
fi
if ((${#MISSING[@]} > 0)); then result="$result; missing: ${MISSING[*]}"; fi
say "done in ${elapsed} s ($result); tools: . .tools/env.sh"
