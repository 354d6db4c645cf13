#!/usr/bin/env bash
# Tests ops/broker against a real RabbitMQ node on a spare port (5699 unless
# TALLY_BROKER_SH_PORT is set), away from the node that ops/test runs on 5673.
# Prints one line per check and ends with "N passed, N failed".
set -euo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly BROKER="$REPO_ROOT/ops/broker"
readonly PORT="${TALLY_BROKER_SH_PORT:-5699}"
readonly MANAGEMENT_PORT=$((PORT + 10000))
readonly DISTRIBUTION_PORT=$((PORT + 20000))
readonly NODE="tally-$PORT@localhost"
readonly STATE_DIR="$REPO_ROOT/var/broker-$PORT"
readonly PID_FILE="$STATE_DIR/rabbitmq.pid"
readonly QUEUE="broker-sh-$$"

passed=0
failed=0
holder_pid=""

pass() {
    passed=$((passed + 1))
    printf 'ok     %s\n' "$1"
}

# Records a failed check and prints the remaining arguments as details.
fail() {
    failed=$((failed + 1))
    printf 'FAILED %s\n' "$1"
    shift
    if (($# > 0)); then
        printf '%s\n' "$@" | sed 's/^/         /'
    fi
}

# Checks that the last run exited with code $2. $1 names the check.
expect_status() {
    if ((last_status == $2)); then
        pass "$1"
    else
        fail "$1" "expected exit $2, got $last_status; output:" "$last_output"
    fi
}

# Checks that the last run's output contains the text $2.
expect_output() {
    if grep -qF -- "$2" <<<"$last_output"; then
        pass "$1"
    else
        fail "$1" "expected output to contain: $2" "output:" "$last_output"
    fi
}

# Runs a command, keeping its combined output and exit code.
run() {
    last_status=0
    last_output="$("$@" 2>&1)" || last_status=$?
}

node_pid() {
    tr -d '[:space:]' <"$PID_FILE" 2>/dev/null || true
}

# Checks that TCP port $2 has at least one listener and that every listener
# on it is bound to 127.0.0.1. With $3 set to ipv6, [::1] is accepted too:
# epmd started with ERL_EPMD_ADDRESS=127.0.0.1 also listens on [::1].
expect_loopback_only() {
    local name=$1
    local port=$2
    local loopback=("127.0.0.1:$port")
    local addresses

    if [[ ${3:-} == ipv6 ]]; then
        loopback+=("[::1]:$port")
    fi

    addresses="$(ss -ltnH "sport = :$port" | awk '{print $4}')"
    if [[ -z $addresses ]]; then
        fail "$name listens on port $port" "no listener found"
    elif grep -qvxF -f <(printf '%s\n' "${loopback[@]}") <<<"$addresses"; then
        fail "$name listens on loopback port $port only" "listening addresses:" "$addresses"
    else
        pass "$name listens on loopback port $port only"
    fi
}

# Checks that nothing listens on TCP port $2. $1 names the check.
expect_port_closed() {
    local listeners

    listeners="$(ss -ltnH "sport = :$2")"
    if [[ -z $listeners ]]; then
        pass "$1"
    else
        fail "$1" "$listeners"
    fi
}

# Starts a TCP listener on 127.0.0.1:$1 and waits until it accepts.
start_port_holder() {
    local port=$1
    local attempt

    python3 -c '
import socket, sys, time
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen()
time.sleep(120)
' "$port" &
    holder_pid=$!

    for attempt in $(seq 50); do
        if [[ -n $(ss -ltnH "sport = :$port") ]]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Ends the listener that start_port_holder started, by its own pid.
stop_port_holder() {
    if [[ -n $holder_pid ]]; then
        kill "$holder_pid" 2>/dev/null || true
        wait "$holder_pid" 2>/dev/null || true
        holder_pid=""
    fi
}

cleanup() {
    stop_port_holder
    "$BROKER" stop --port "$PORT" --quiet || true
    if [[ -f $STATE_DIR/mnesia/$NODE ]]; then
        rm -f "$STATE_DIR/mnesia/$NODE"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started_at=$SECONDS
other_port="${TALLY_TEST_BROKER_PORT:-}"
if [[ $other_port == "$PORT" ]]; then
    printf 'Error: port %s is also the test suite broker port; set TALLY_BROKER_SH_PORT to another port\n' "$PORT" >&2
    trap - EXIT
    exit 1
fi

# Stop a node left over from an aborted run of this script.
"$BROKER" stop --port "$PORT" --quiet

# --- Arguments ---------------------------------------------------------------

run "$BROKER" --help
expect_status "help exits 0" 0
expect_output "help prints usage" "Usage: ops/broker"

run "$BROKER" launch --port "$PORT"
expect_status "unknown command exits 64" 64

run "$BROKER" start --port 80
expect_status "port below 1024 exits 64" 64
expect_output "invalid port names the value" "invalid port '80'"

run "$BROKER" env --port "$PORT"
expect_status "env exits 0" 0
expect_output "env exports the AMQP URL" \
    "export TALLY_AMQP_URL=amqp://guest:guest@127.0.0.1:$PORT/%2F"
expect_output "env exports the management URL" \
    "export TALLY_MANAGEMENT_URL=http://127.0.0.1:$MANAGEMENT_PORT"

# --- Start, status, listeners ----------------------------------------------

run "$BROKER" status --port "$PORT"
expect_status "status of stopped node exits 3" 3

run "$BROKER" start --port "$PORT" --fresh
expect_status "start exits 0" 0
expect_output "start prints AMQP URL" "amqp://guest:guest@127.0.0.1:$PORT/%2F"
expect_output "start prints management URL" "http://127.0.0.1:$MANAGEMENT_PORT"
first_pid="$(node_pid)"

run "$BROKER" start --port "$PORT"
expect_status "second start exits 0" 0
expect_output "second start says node runs" "already runs (pid $first_pid)"

run "$BROKER" status --port "$PORT"
expect_status "status of running node exits 0" 0
expect_output "status says running with pid" "$NODE: running (pid $first_pid)"

expect_loopback_only "AMQP" "$PORT"
expect_loopback_only "management HTTP" "$MANAGEMENT_PORT"
expect_loopback_only "Erlang distribution" "$DISTRIBUTION_PORT"
expect_loopback_only "epmd" 4369 ipv6

# --- The node works: AMQP, rabbitmqctl, management API ---------------------

run amqp-declare-queue --url="amqp://guest:guest@127.0.0.1:$PORT" --queue="$QUEUE"
expect_status "AMQP client declares queue" 0

run "$BROKER" ctl --port "$PORT" -- list_queues --quiet --no-table-headers name
expect_status "ctl list_queues exits 0" 0
expect_output "ctl lists declared queue" "$QUEUE"

run curl --silent --fail --user guest:guest "http://127.0.0.1:$MANAGEMENT_PORT/api/queues/%2F/$QUEUE"
expect_status "management API finds queue" 0
expect_output "management API returns queue name" "\"name\":\"$QUEUE\""

if [[ -n $other_port ]]; then
    run "$BROKER" status --port "$other_port" --quiet
    expect_status "node on $other_port runs beside node on $PORT" 0
fi

# --- Stop --------------------------------------------------------------------

run "$BROKER" stop --port "$PORT"
expect_status "stop exits 0" 0
if [[ -n $first_pid ]] && ! kill -0 "$first_pid" 2>/dev/null; then
    pass "stop ends Erlang VM"
else
    fail "stop ends Erlang VM" "pid '$first_pid' still runs"
fi
if [[ ! -e $PID_FILE ]]; then
    pass "stop removes pid file"
else
    fail "stop removes pid file" "$PID_FILE still exists"
fi

expect_port_closed "stop closes AMQP port" "$PORT"
expect_port_closed "stop closes management port" "$MANAGEMENT_PORT"
expect_port_closed "stop closes distribution port" "$DISTRIBUTION_PORT"

run "$BROKER" stop --port "$PORT"
expect_status "second stop exits 0" 0
expect_output "second stop says not running" "is not running"

run "$BROKER" status --port "$PORT"
expect_status "status after stop exits 3" 3
expect_output "status says stopped" "$NODE: stopped"

if [[ -n $other_port ]]; then
    run "$BROKER" status --port "$other_port" --quiet
    expect_status "node on $other_port survives stop on $PORT" 0
fi

# --- Port already taken ------------------------------------------------------

for entry in "$PORT:AMQP" "$MANAGEMENT_PORT:management HTTP" "$DISTRIBUTION_PORT:Erlang distribution"; do
    taken_port=${entry%%:*}
    label=${entry#*:}

    if ! start_port_holder "$taken_port"; then
        fail "taken $label port: test listener starts" "python3 did not listen on $taken_port"
        stop_port_holder
        continue
    fi

    run "$BROKER" start --port "$PORT"
    if ((last_status != 0)); then
        pass "taken $label port: start fails"
    else
        fail "taken $label port: start fails" "start exited 0; output:" "$last_output"
    fi
    expect_output "taken $label port: error names port" "port $taken_port ($label) is already in use"
    expect_output "taken $label port: error names process" "(pid $holder_pid)"
    if [[ ! -e $PID_FILE ]]; then
        pass "taken $label port: no node started"
    else
        fail "taken $label port: no node started" "pid file $PID_FILE exists"
    fi

    stop_port_holder
done

# --- Boot failure ------------------------------------------------------------

# A plain file where the node's message store folder belongs makes the boot fail.
mkdir -p "$STATE_DIR/mnesia"
rm -rf "${STATE_DIR:?}/mnesia/$NODE"
touch "$STATE_DIR/mnesia/$NODE"

run "$BROKER" start --port "$PORT" --timeout 60
if ((last_status != 0)); then
    pass "boot failure: start fails"
else
    fail "boot failure: start fails" "start exited 0; output:" "$last_output"
fi
expect_output "boot failure: says node failed" "$NODE failed to start"
expect_output "boot failure: prints log tail" "cannot_create_mnesia_dir"

run "$BROKER" status --port "$PORT"
expect_status "boot failure: status exits 3" 3
expect_port_closed "boot failure: no distribution listener left" "$DISTRIBUTION_PORT"

rm -f "$STATE_DIR/mnesia/$NODE"

printf '\nops/tests/broker.sh took %s s\n' "$((SECONDS - started_at))"
printf '%s passed, %s failed\n' "$passed" "$failed"
((failed == 0))
