#!/usr/bin/env bash
# Interoperability test of the message contract with client libraries that Tally did not
# write. The PHP tracker example (php-amqplib) publishes a scripted set of commands, and a real
# tally-worker processes them. The Python billing example (pika) and the tracker read the
# results. Python's jsonschema checks the JSON Schemas of queues/ against the examples, the
# results and the malformed corpus.
#
# ops/test runs it after swift test, with the debug build in .build/debug and a RabbitMQ node
# given by TALLY_TEST_AMQP_URL and TALLY_TEST_MANAGEMENT_URL. The test works in a vhost of its
# own, which it deletes at the end. Prints "N passed, N failed" last and exits 1 on any failure.
set -uo pipefail

readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly WORKER="$REPO_ROOT/.build/debug/tally-worker"
readonly TALLYCTL="$REPO_ROOT/.build/debug/tallyctl"
readonly PYTHON="$REPO_ROOT/.venv/bin/python"
readonly TRACKER="$REPO_ROOT/examples/tracker-php/tracker.php"
readonly SCENARIO="$REPO_ROOT/examples/tracker-php/scenario.json"
readonly BILLING="$REPO_ROOT/examples/billing-python/billing.py"
readonly SCHEMA_TOOL="$REPO_ROOT/examples/billing-python/tally_schemas.py"
readonly BILLING_QUEUE=billing.interop

# What the run must produce: 37 commands published (35 from the scenario file, one from
# amqp-publish and one from tallyctl publish), 15 billing results, 20 tracker results and
# 3 dead letters.
readonly SCENARIO_COMMANDS=35
readonly BILLING_RESULTS=15
readonly TRACKER_RESULTS=20
# The redeem of an unknown issue is rejected only after retries of 1, 5 and 30 s.
readonly RESULT_TIMEOUT=75

passed=0
failed=0
skipped=0
work_dir=""
vhost=""
worker_pid=""
watcher_pid=""
started_at=$(date +%s)

pass() {
    passed=$((passed + 1))
    printf 'ok   %s\n' "$1"
}

# Records a failed check: the first argument names it, the others explain it.
fail_check() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1"
    shift
    local line
    for line in "$@"; do
        printf '     %s\n' "$line"
    done
}

# Cleans up, prints the summary as the last line, and exits 1 if any check failed.
finish() {
    cleanup
    trap - EXIT
    printf 'interop.sh took %d s\n' "$(($(date +%s) - started_at))"
    if ((skipped > 0)); then
        printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
    else
        printf '%d passed, %d failed\n' "$passed" "$failed"
    fi
    if ((failed > 0)); then
        exit 1
    fi
    exit 0
}

# Runs a Python check script that prints "ok   NAME", "FAIL NAME" and "skip NAME" lines, and
# counts them.
# A script that fails without printing a FAIL line counts as one failure.
python_checks() {
    local name=$1
    shift
    local output status=0
    output="$("$PYTHON" "$@" 2>&1)" || status=$?
    printf '%s\n' "$output"
    passed=$((passed + $(grep -c '^ok   ' <<<"$output")))
    skipped=$((skipped + $(grep -c '^skip ' <<<"$output")))
    local failures
    failures=$(grep -c '^FAIL ' <<<"$output")
    failed=$((failed + failures))
    if ((status != 0 && failures == 0)); then
        fail_check "$name" "the check script exited with status $status"
    fi
}

management() {
    local method=$1 path=$2
    shift 2
    curl --silent --show-error --fail --max-time 10 -u "$BROKER_USER:$BROKER_PASSWORD" \
        -X "$method" -H 'content-type: application/json' "$@" "$TALLY_TEST_MANAGEMENT_URL/api/$path"
}

stop_worker() {
    local waited=0
    if [[ -z $worker_pid ]]; then
        return 0
    fi
    kill -TERM "$worker_pid" 2>/dev/null
    while kill -0 "$worker_pid" 2>/dev/null && ((waited < 250)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$worker_pid" 2>/dev/null; then
        kill -KILL "$worker_pid" 2>/dev/null
        wait "$worker_pid" 2>/dev/null
        worker_pid=""
        return 137
    fi
    local status=0
    wait "$worker_pid" || status=$?
    worker_pid=""
    return "$status"
}

# Stops the worker, deletes the vhost and the work folder (kept when a check failed). Runs
# once: each step clears what it cleaned.
cleanup() {
    if [[ -n $watcher_pid ]]; then
        kill -TERM "$watcher_pid" 2>/dev/null
        wait "$watcher_pid" 2>/dev/null
        watcher_pid=""
    fi
    stop_worker
    if [[ -n $vhost ]]; then
        management DELETE "vhosts/$vhost" >/dev/null 2>&1
        vhost=""
    fi
    if [[ -n $work_dir ]]; then
        if ((failed > 0)); then
            printf 'Logs and records kept in %s\n' "$work_dir"
        else
            rm -rf "$work_dir"
        fi
        work_dir=""
    fi
}

# --- Preconditions -----------------------------------------------------------

check_preconditions() {
    local missing=()

    [[ -n ${TALLY_TEST_AMQP_URL:-} ]] || missing+=("TALLY_TEST_AMQP_URL is not set (ops/test sets it)")
    [[ -n ${TALLY_TEST_MANAGEMENT_URL:-} ]] || missing+=("TALLY_TEST_MANAGEMENT_URL is not set (ops/test sets it)")
    [[ -x $WORKER ]] || missing+=("$WORKER is missing; run swift build first")
    [[ -x $TALLYCTL ]] || missing+=("$TALLYCTL is missing; run swift build first")
    [[ -x $PYTHON ]] || missing+=(".venv/bin/python is missing; run ops/setup")
    command -v php >/dev/null || missing+=("php is missing; run ops/setup (Debian package php-cli)")
    [[ -f /usr/share/php/PhpAmqpLib/autoload.php ]] || missing+=("php-amqplib is missing; run ops/setup")
    command -v amqp-publish >/dev/null || missing+=("amqp-publish is missing; run ops/setup (amqp-tools)")
    command -v curl >/dev/null || missing+=("curl is missing; run ops/setup")

    if ((${#missing[@]} > 0)); then
        fail_check "preconditions" "${missing[@]}"
        finish
    fi
    pass "preconditions: php-amqplib, .venv with pika and jsonschema, the debug build"
}

# --- Set-up ------------------------------------------------------------------

# Creates a vhost for this run, so that the test shares no queue with other tests on the node.
create_vhost() {
    local userinfo="${TALLY_TEST_AMQP_URL#*://}"
    userinfo="${userinfo%%@*}"
    BROKER_USER="${userinfo%%:*}"
    BROKER_PASSWORD="${userinfo#*:}"

    vhost="tally-interop-$$-$RANDOM"
    AMQP_URL="${TALLY_TEST_AMQP_URL%/*}/$vhost"
    if management PUT "vhosts/$vhost" >/dev/null &&
        management PUT "permissions/$vhost/$BROKER_USER" \
            --data '{"configure":".*","write":".*","read":".*"}' >/dev/null; then
        pass "vhost $vhost created"
    else
        fail_check "vhost $vhost created" "the management API at $TALLY_TEST_MANAGEMENT_URL refused"
        finish
    fi
    export TALLY_AMQP_URL="$AMQP_URL"
}

# Imports Eventum's three example customers, as docs/CUSTOMER-DATA.md shows them (dated
# 15 June 2026; the scenario's command times match those dates).
import_customers() {
    local customers="$work_dir/customers.json"

    if ! "$PYTHON" - "$REPO_ROOT/docs/CUSTOMER-DATA.md" "$customers" <<'EOF'; then
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
match = re.search(r"^## Example\n.*?^```json\n(.*?)^```", text, re.S | re.M)
if match is None:
    sys.exit("no ```json block under '## Example' in " + sys.argv[1])
open(sys.argv[2], "w", encoding="utf-8").write(match.group(1))
EOF
        fail_check "example customers read from docs/CUSTOMER-DATA.md"
        finish
    fi

    if "$TALLYCTL" customers import "$customers" --database "$DATABASE" >"$work_dir/import.log" 2>&1; then
        pass "tallyctl customers import: Eventum's example customers"
    else
        fail_check "tallyctl customers import: Eventum's example customers" "$(cat "$work_dir/import.log")"
        finish
    fi
}

start_worker() {
    local consumers="" waited=0

    "$WORKER" --database "$DATABASE" --worker-id interop-test >"$work_dir/worker.log" 2>&1 &
    worker_pid=$!

    while ((waited < 300)); do
        consumers="$(management GET "queues/$vhost/tally.commands" 2>/dev/null |
            "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin).get("consumers", 0))' 2>/dev/null)"
        if [[ ${consumers:-0} -ge 1 ]]; then
            pass "tally-worker consumes tally.commands (pid $worker_pid)"
            return
        fi
        if ! kill -0 "$worker_pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    fail_check "tally-worker consumes tally.commands" "$(tail -n 20 "$work_dir/worker.log")"
    finish
}

# --- The run -----------------------------------------------------------------

# Runs a command, keeps its output in a log file, and records a check on its exit status and,
# when given, on a line its output must contain.
run_step() {
    local name=$1 log=$2 expected_line=$3
    shift 3
    local status=0
    "$@" >"$log" 2>&1 || status=$?
    if ((status != 0)); then
        fail_check "$name" "exit status $status; last lines:" "$(tail -n 15 "$log")"
    elif [[ -n $expected_line ]] && ! grep -qxF -- "$expected_line" "$log"; then
        fail_check "$name" "expected the line: $expected_line" "last lines:" "$(tail -n 15 "$log")"
    else
        pass "$name"
    fi
}

# Starts the operators' one-line watcher of examples/amqp-tools.md on quota.low, before the
# tracker publishes, so that it receives the one low-quota notice of the scenario.
start_watcher() {
    amqp-consume --url="$AMQP_URL" --exchange=tally.results --routing-key=quota.low --count=1 \
        -- sh -c 'cat; echo' >"$work_dir/watch.txt" 2>"$work_dir/watch.log" &
    watcher_pid=$!

    local waited=0 bound=""
    while ((waited < 100)); do
        bound="$(management GET "exchanges/$vhost/tally.results/bindings/source" 2>/dev/null |
            "$PYTHON" -c 'import json, sys; print(sum(b["routing_key"] == "quota.low" and b["destination"].startswith("amq.gen-") for b in json.load(sys.stdin)))' 2>/dev/null)"
        if [[ ${bound:-0} -ge 1 ]]; then
            pass "amqp-consume watches quota.low"
            return
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    fail_check "amqp-consume watches quota.low" "$(cat "$work_dir/watch.log")"
}

# Waits for the watcher to exit after its one message and checks what it printed.
check_watcher() {
    local waited=0
    while kill -0 "$watcher_pid" 2>/dev/null && ((waited < 100)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$watcher_pid" 2>/dev/null; then
        kill -TERM "$watcher_pid" 2>/dev/null
        wait "$watcher_pid" 2>/dev/null
        watcher_pid=""
        fail_check "amqp-consume printed the quota.low notice and exited" "still running after the results arrived"
        return
    fi
    wait "$watcher_pid" 2>/dev/null
    watcher_pid=""
    if grep -q '"command_message_id":"eventum-112-redeem-phone"' "$work_dir/watch.txt" &&
        grep -q '"type":"quota.low"' "$work_dir/watch.txt"; then
        pass "amqp-consume printed the quota.low notice and exited"
    else
        fail_check "amqp-consume printed the quota.low notice and exited" "$(cat "$work_dir/watch.txt" "$work_dir/watch.log")"
    fi
}

publish_commands() {
    run_step "billing declares and binds its own queue $BILLING_QUEUE" "$work_dir/billing-declare.log" \
        "queue $BILLING_QUEUE is bound to incident.redeemed, incident.unredeemed" \
        "$PYTHON" "$BILLING" --queue "$BILLING_QUEUE" --database "$work_dir/billing.sqlite" --declare-only

    run_step "PHP tracker publishes $SCENARIO_COMMANDS commands with confirms" "$work_dir/tracker-publish.log" \
        "$SCENARIO_COMMANDS commands confirmed by the broker, 0 failed" \
        php "$TRACKER" publish "$SCENARIO"

    # amqp-publish (amqp-tools 0.11) cannot set a message id, so the worker dead-letters this
    # command as missing_message_id.
    run_step "amqp-publish sends a command without a message id" "$work_dir/amqp-publish.log" "" \
        amqp-publish --url="$AMQP_URL" --exchange=tally.commands --routing-key=incident.redeem \
        --persistent --content-type=application/json --header='customer-id: 1' \
        --body='{"issue_id":101,"incident_type":"email","requested_at":"2026-06-17T11:02:00Z"}'

    # The operator publishes the same redeem correctly, as examples/amqp-tools.md shows.
    run_step "tallyctl publish sends the command with a message id" "$work_dir/tallyctl-publish.log" \
        "published incident.redeem ops-101-redeem-email-1" \
        env TALLY_AMQP_URL="$AMQP_URL" "$TALLYCTL" publish incident.redeem --message-id ops-101-redeem-email-1 \
        --body '{"issue_id":101,"incident_type":"email","requested_at":"2026-06-17T11:02:00Z"}'
}

read_results() {
    # The repeated redeem in the scenario must not reach billing a second time.
    run_step "Python billing records $BILLING_RESULTS results, none twice" "$work_dir/billing-1.log" \
        "$BILLING_RESULTS new results recorded, 0 duplicate deliveries skipped, 0 deliveries rejected; $BILLING_RESULTS results in $work_dir/billing.sqlite" \
        "$PYTHON" "$BILLING" --queue "$BILLING_QUEUE" --database "$work_dir/billing.sqlite" \
        --expect "$BILLING_RESULTS" --timeout "$RESULT_TIMEOUT" --idle "$RESULT_TIMEOUT" \
        --record "$work_dir/billing.jsonl"
    sed 's/^/     /' "$work_dir/billing-1.log"
    if grep -qxF "Credits without a recorded charge: 0" "$work_dir/billing-1.log"; then
        pass "billing finds the charge of every credit"
    else
        fail_check "billing finds the charge of every credit" "expected the line: Credits without a recorded charge: 0"
    fi

    run_step "PHP tracker reads $TRACKER_RESULTS results from tracker.results" "$work_dir/tracker-results.log" \
        "$TRACKER_RESULTS results read from tracker.results, 0 duplicate deliveries skipped" \
        php "$TRACKER" results --expect "$TRACKER_RESULTS" --timeout "$RESULT_TIMEOUT" --idle "$RESULT_TIMEOUT" \
        --record "$work_dir/tracker.jsonl"
    sed 's/^/     /' "$work_dir/tracker-results.log"
}

check_results() {
    python_checks "results" - "$work_dir" "$AMQP_URL" "$BILLING_QUEUE" <<'EOF'
import json, sqlite3, sys
import pika

work_dir, amqp_url, billing_queue = sys.argv[1:4]

def ok(name):
    print("ok   " + name)

def fail(name, *details):
    print("FAIL " + name)
    for detail in details:
        print("     " + str(detail))

def check(name, condition, *details):
    if condition:
        ok(name)
    else:
        fail(name, *details)

def read_records(path):
    with open(path, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]

def compare(name, expected, actual):
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    wrong = sorted(key for key in set(expected) & set(actual) if expected[key] != actual[key])
    check(name, not missing and not extra and not wrong,
          *(["missing: " + ", ".join(missing)] if missing else []),
          *(["unexpected: " + ", ".join(extra)] if extra else []),
          *[f"{key}: expected {expected[key]}, got {actual[key]}" for key in wrong])

phone_calls = [f"eventum-{issue}-redeem-phone:incident.redeemed:phone" for issue in range(107, 113)]
expected_billing = {
    "eventum-101-redeem-phone:incident.redeemed:phone": ("1", 101),
    "eventum-101-redeem-onsite:incident.redeemed:onsite": ("1", 101),
    "eventum-102-redeem-onsite:incident.redeemed:onsite": ("1", 102),
    "eventum-101-unredeem-onsite:incident.unredeemed:onsite": ("1", 101),
    "eventum-103-redeem-phone:incident.redeemed:phone": ("2", 103),
    "eventum-102-close:incident.unredeemed:onsite": ("1", 102),
    "eventum-102-close:incident.redeemed:email": ("1", 102),
    "eventum-102-close:incident.redeemed:phone": ("1", 102),
    "ops-101-redeem-email-1:incident.redeemed:email": ("1", 101),
    **{key: ("1", int(key.split("-")[1])) for key in phone_calls},
}
expected_tracker = {
    **{f"eventum-{issue}-create:issue.accepted:issue": "accepted" for issue in (101, 102, 103, 106, *range(107, 113))},
    "eventum-104-create:issue.rejected:issue": "contract_expired",
    "eventum-105-create:issue.rejected:issue": "unknown_customer",
    "eventum-101-redeem-phone-again:incident.rejected:phone": "already_redeemed",
    "eventum-106-redeem-onsite:incident.rejected:onsite": "no_incidents_left",
    "eventum-103-redeem-email:incident.rejected:email": "contract_expired",
    "eventum-101-redeem-fax:incident.rejected:fax": "unknown_incident_type",
    "eventum-106-unredeem-phone:incident.rejected:phone": "not_redeemed",
    "eventum-999-redeem-phone:incident.rejected:phone": "unknown_issue",
    "eventum-104-redeem-phone:incident.rejected:phone": "unknown_issue after contract_expired",
    "eventum-112-redeem-phone:quota.low:phone": "low",
}

billing = read_records(f"{work_dir}/billing.jsonl")
tracker = read_records(f"{work_dir}/tracker.jsonl")

# Exact ids, and per result the customer and issue (billing) or the reason (tracker).
check("billing received each result once", len(billing) == len({r["message_id"] for r in billing}),
      [r["message_id"] for r in billing])
compare("billing received exactly the expected results",
        expected_billing,
        {r["message_id"]: (json.loads(r["body"])["customer_id"], json.loads(r["body"])["issue_id"]) for r in billing})
check("tracker received each result once", len(tracker) == len({r["message_id"] for r in tracker}),
      [r["message_id"] for r in tracker])

def tracker_outcome(record):
    body = json.loads(record["body"])
    if record["routing_key"] == "issue.accepted":
        return "accepted"
    if record["routing_key"] == "quota.low":
        return "low"
    if body.get("issue_rejection_reason") is not None:
        return f"{body['reason']} after {body['issue_rejection_reason']}"
    return body.get("reason")

compare("tracker received exactly the expected results and reasons",
        expected_tracker, {r["message_id"]: tracker_outcome(r) for r in tracker})

# Properties and headers that the contract promises on every result.
problems = []
for record in billing + tracker:
    body = json.loads(record["body"])
    command_id, routing_key, _ = record["message_id"].rsplit(":", 2)
    if record["routing_key"] != routing_key or record["type"] != routing_key or body["type"] != routing_key:
        problems.append(f"{record['message_id']}: routing key {record['routing_key']}, type {record['type']}, body type {body['type']}")
    if record["correlation_id"] != command_id or body["command_message_id"] != command_id:
        problems.append(f"{record['message_id']}: correlation_id {record['correlation_id']}, command_message_id {body['command_message_id']}")
    if record["content_type"] != "application/json" or record["delivery_mode"] != 2:
        problems.append(f"{record['message_id']}: content_type {record['content_type']}, delivery_mode {record['delivery_mode']}")
    if body.get("customer_id") is not None and record["headers"].get("customer-id") != body["customer_id"]:
        problems.append(f"{record['message_id']}: customer-id header {record['headers'].get('customer-id')}, body {body['customer_id']}")
    if body["schema_version"] != 1:
        problems.append(f"{record['message_id']}: schema_version {body['schema_version']}")
check("results carry message id, correlation id, type, content type, persistence and customer-id",
      not problems, *problems)

# Spot checks of bodies: grace period, quota counters, the low-water mark.
by_id = {r["message_id"]: json.loads(r["body"]) for r in billing + tracker}
grace = by_id.get("eventum-103-redeem-phone:incident.redeemed:phone", {})
check("redeem during the grace period says in_grace_period",
      grace.get("contract_status") == "in_grace_period", grace)
last_call = by_id.get("eventum-112-redeem-phone:incident.redeemed:phone", {})
check("tenth phone call leaves 2 of 10 and is flagged low",
      last_call.get("quota") == {"incident_type": "phone", "total": 10, "used": 8, "remaining": 2}
      and last_call.get("low_quota") is True and last_call.get("low_water_mark") == 2, last_call)

# The invoice: redeemed minus given back, per customer, contract and incident type.
database = sqlite3.connect(f"{work_dir}/billing.sqlite")
invoice = {(c, k, t): (r, g) for c, k, t, r, g in database.execute(
    "SELECT customer_id, contract_id, incident_type, sum(result_type = 'incident.redeemed'),"
    " sum(result_type = 'incident.unredeemed') FROM results GROUP BY 1, 2, 3")}
compare("billing invoice per customer, contract and incident type",
        {("1", "1", "email"): (2, 0), ("1", "1", "onsite"): (2, 2), ("1", "1", "phone"): (8, 0),
         ("2", "2", "phone"): (1, 0)},
        invoice)

# Each credit names the charge it reverses, and billing has recorded that charge: the
# redeem of the same issue and incident type with the next smaller ledger id.
credits = database.execute(
    "SELECT credit.message_id, credit.redemption_ledger_id,"
    " (SELECT max(charge.ledger_id) FROM results AS charge WHERE charge.result_type = 'incident.redeemed'"
    "  AND charge.issue_id = credit.issue_id AND charge.incident_type = credit.incident_type"
    "  AND charge.ledger_id < credit.ledger_id)"
    " FROM results AS credit WHERE credit.result_type = 'incident.unredeemed'").fetchall()
check("each credit names its charge (redemption_ledger_id)",
      len(credits) == 2 and all(named is not None and named == charge for _, named, charge in credits), credits)

# No result beyond the expected ones is waiting in either queue.
connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
channel = connection.channel()
for queue in (billing_queue, "tracker.results"):
    waiting = channel.queue_declare(queue, passive=True).method.message_count
    check(f"no unexpected result left in {queue}", waiting == 0, f"{waiting} messages waiting")
connection.close()
EOF
}

# Reads the dead letters the way an operator would: the management API for the reason
# headers, then amqp-get for the bodies.
check_dead_letters() {
    local listing="$work_dir/dead-letters.json"
    if ! management POST "queues/$vhost/tally.dead/get" \
        --data '{"count":10,"ackmode":"ack_requeue_true","encoding":"auto"}' >"$listing"; then
        fail_check "management API lists the dead letters"
        return
    fi

    local bodies="$work_dir/dead-letter-bodies.txt" count=0
    : >"$bodies"
    while ((count < 10)) && amqp-get --url="$AMQP_URL" --queue=tally.dead >>"$bodies" 2>/dev/null; do
        printf '\n' >>"$bodies"
        count=$((count + 1))
    done

    python_checks "dead letters" - "$listing" "$bodies" <<'EOF'
import json, sys

listing = json.load(open(sys.argv[1], encoding="utf-8"))
bodies = [line for line in open(sys.argv[2], encoding="utf-8").read().split("\n") if line]

def check(name, condition, *details):
    print(("ok   " if condition else "FAIL ") + name)
    if not condition:
        for detail in details:
            print("     " + str(detail))

found = sorted(
    (m["properties"]["headers"].get("x-tally-original-routing-key"),
     m["properties"]["headers"].get("x-tally-reason"),
     m["properties"]["headers"].get("x-tally-field"),
     m["properties"].get("message_id", "")[:len("unidentified-")] if m["properties"].get("message_id", "").startswith("unidentified-") else m["properties"].get("message_id"))
    for m in listing)
expected = sorted([
    ("issue.create", "invalid_field", "issue_id", "eventum-113-create"),
    ("incident.redeemed", "unknown_routing_key", None, "eventum-101-wrong-routing-key"),
    ("incident.redeem", "missing_message_id", None, "unidentified-"),
])
check("tally.dead holds the three broken commands with their reasons", found == expected,
      f"expected {expected}", f"found    {found}")
details = [m["properties"]["headers"].get("x-tally-detail", "") for m in listing]
check("every dead letter explains itself in x-tally-detail", len(details) == 3 and all(details), details)
check("amqp-get reads the same three bodies", sorted(bodies) == sorted(m["payload"] for m in listing),
      f"amqp-get: {bodies}")
EOF
}

# Publishes a result billing has already recorded into billing's queue once more, as a
# broker redelivery would, and checks that billing records it once.
check_duplicate_delivery() {
    python_checks "duplicate delivery" - "$work_dir/billing.jsonl" "$AMQP_URL" "$BILLING_QUEUE" <<'EOF'
import json, sys
import pika

record = json.loads(open(sys.argv[1], encoding="utf-8").readline())
connection = pika.BlockingConnection(pika.URLParameters(sys.argv[2]))
channel = connection.channel()
channel.confirm_delivery()
channel.basic_publish(
    exchange="", routing_key=sys.argv[3], body=record["body"].encode("utf-8"), mandatory=True,
    properties=pika.BasicProperties(
        content_type=record["content_type"], delivery_mode=2, message_id=record["message_id"],
        correlation_id=record["correlation_id"], type=record["type"], headers=record["headers"]))
connection.close()
print(f"ok   result {record['message_id']} published to {sys.argv[3]} a second time")
EOF

    run_step "billing skips the second delivery and records nothing new" "$work_dir/billing-2.log" \
        "0 new results recorded, 1 duplicate deliveries skipped, 0 deliveries rejected; $BILLING_RESULTS results in $work_dir/billing.sqlite" \
        "$PYTHON" "$BILLING" --queue "$BILLING_QUEUE" --database "$work_dir/billing.sqlite" \
        --idle 2 --timeout 20
}

# --- JSON Schemas ------------------------------------------------------------

check_schemas() {
    python_checks "JSON Schemas" "$SCHEMA_TOOL" check-all \
        --queues "$REPO_ROOT/queues" --scenario "$SCENARIO" \
        --results "$work_dir/billing.jsonl" --results "$work_dir/tracker.jsonl"
}

# --- Main --------------------------------------------------------------------

main() {
    check_preconditions

    work_dir="$(mktemp -d "${TMPDIR:-/tmp}/tally-interop.XXXXXX")"
    DATABASE="$work_dir/tally.sqlite"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    create_vhost
    import_customers
    start_worker
    start_watcher
    publish_commands
    read_results
    check_watcher
    check_results
    check_dead_letters
    check_duplicate_delivery
    check_schemas

    local status=0
    stop_worker || status=$?
    if ((status == 0)); then
        pass "tally-worker stops on SIGTERM with exit status 0"
    else
        fail_check "tally-worker stops on SIGTERM with exit status 0" "exit status $status" "$(tail -n 5 "$work_dir/worker.log")"
    fi
    if grep -q 'level=error\|level=critical' "$work_dir/worker.log"; then
        fail_check "tally-worker logged no error" "$(grep 'level=error\|level=critical' "$work_dir/worker.log" | head -n 5)"
    else
        pass "tally-worker logged no error"
    fi

    finish
}

main "$@"
