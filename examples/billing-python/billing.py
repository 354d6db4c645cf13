"""An example billing consumer for Tally, written with pika.

Binds its own durable queue to the results `incident.redeemed` and `incident.unredeemed`,
records each result once by its message id in a SQLite file, acks only after the record is
committed, and prints an invoice summary per customer. See README.md beside this file and
docs/INTEGRATION.md.
"""

import argparse
import json
import os
import sqlite3
import sys
import time

import pika

RESULT_EXCHANGE = "tally.results"
BILLING_ROUTING_KEYS = ("incident.redeemed", "incident.unredeemed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    message_id    TEXT PRIMARY KEY,  -- the result's AMQP message_id: the idempotency key
    result_type   TEXT NOT NULL,     -- incident.redeemed or incident.unredeemed
    customer_id   TEXT NOT NULL,
    contract_id   TEXT NOT NULL,
    issue_id      INTEGER NOT NULL,
    incident_type TEXT NOT NULL,
    ledger_id     INTEGER NOT NULL,  -- Tally's ledger row; orders the changes of one quota
    redemption_ledger_id INTEGER,    -- for a credit: the ledger_id of the charge it reverses
    occurred_at   TEXT NOT NULL,
    body          TEXT NOT NULL,     -- the result as received
    received_at   TEXT NOT NULL
);
"""


class BillingStore:
    """The results billing has recorded, in one SQLite file."""

    def __init__(self, path):
        self.connection = sqlite3.connect(path)
        self.connection.executescript(SCHEMA)

    def record(self, result_type, message_id, body_text):
        """Insert one result unless its message id is already recorded.

        Returns True for a new result and False for a duplicate. Commits before returning, so
        the caller may ack the delivery afterwards.
        """
        body = json.loads(body_text)
        with self.connection:
            cursor = self.connection.execute(
                "INSERT OR IGNORE INTO results (message_id, result_type, customer_id, contract_id,"
                " issue_id, incident_type, ledger_id, redemption_ledger_id, occurred_at, body,"
                " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    result_type,
                    body["customer_id"],
                    body["contract_id"],
                    body["issue_id"],
                    body["incident_type"],
                    body["ledger_id"],
                    body.get("redemption_ledger_id"),
                    body["occurred_at"],
                    body_text,
                    time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                ),
            )
        return cursor.rowcount == 1

    def count(self):
        return self.connection.execute("SELECT count(*) FROM results").fetchone()[0]

    def invoice_lines(self):
        """Return (customer, contract, incident type, redeemed, given back) per quota."""
        return self.connection.execute(
            "SELECT customer_id, contract_id, incident_type,"
            " sum(result_type = 'incident.redeemed'), sum(result_type = 'incident.unredeemed')"
            " FROM results GROUP BY customer_id, contract_id, incident_type"
            " ORDER BY customer_id, contract_id, incident_type"
        ).fetchall()

    def unmatched_credits(self):
        """Return the credits whose charge is not recorded, as (message id, charge ledger id).

        A credit names its charge by `redemption_ledger_id`. One that matches no recorded charge
        either arrived first, and the charge will follow, or reverses a charge published before
        this queue was bound. Billing should hold such a credit for review, so that it never
        credits a charge it did not bill.
        """
        return self.connection.execute(
            "SELECT credit.message_id, credit.redemption_ledger_id FROM results AS credit"
            " WHERE credit.result_type = 'incident.unredeemed' AND NOT EXISTS ("
            "  SELECT 1 FROM results AS charge WHERE charge.result_type = 'incident.redeemed'"
            "  AND charge.ledger_id = credit.redemption_ledger_id)"
            " ORDER BY credit.ledger_id"
        ).fetchall()

    def close(self):
        self.connection.close()


def declare_queue(channel, queue):
    """Declare billing's own queue and bind it to the two billing results.

    A quorum queue keeps the results through a broker restart and replicates them on a cluster.
    Declaring is idempotent, so every start may do it.
    """
    channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
    for routing_key in BILLING_ROUTING_KEYS:
        channel.queue_bind(queue, RESULT_EXCHANGE, routing_key=routing_key)


def consume(channel, store, queue, expected, timeout, idle, record_file):
    """Record results until the store contains `expected`, or for `timeout` or `idle` seconds.

    Returns (new results, duplicate deliveries, rejected deliveries).
    """
    new = duplicates = rejected = 0
    deadline = time.monotonic() + timeout
    last_delivery = time.monotonic()

    channel.basic_qos(prefetch_count=50)
    for method, properties, body in channel.consume(queue, inactivity_timeout=0.5):
        now = time.monotonic()
        if method is None:
            if now >= deadline or now - last_delivery >= idle:
                break
            continue
        last_delivery = now

        # The type property names the result even when the routing key does not, as after a
        # shovel or a re-publish from a dead-letter queue.
        message_id = properties.message_id
        result_type = properties.type
        if not message_id or result_type not in BILLING_ROUTING_KEYS:
            # Not a Tally billing result: keep it out of the invoice and off the queue.
            print(f"Error: rejected delivery {message_id!r} of type {result_type!r}: billing "
                  f"takes only {' and '.join(BILLING_ROUTING_KEYS)} with a message id", file=sys.stderr)
            channel.basic_reject(method.delivery_tag, requeue=False)
            rejected += 1
            continue

        text = body.decode("utf-8")
        if store.record(result_type, message_id, text):
            new += 1
            if record_file is not None:
                record_file.write(json.dumps(delivery_record(method, properties, text)) + "\n")
                record_file.flush()
        else:
            duplicates += 1
            print(f"duplicate delivery of {message_id} skipped")
        channel.basic_ack(method.delivery_tag)

        if expected is not None and store.count() >= expected:
            break
        if now >= deadline:
            break

    channel.cancel()
    return new, duplicates, rejected


def delivery_record(method, properties, text):
    """Describe a delivery as one JSON object, for tests and logs."""
    return {
        "routing_key": method.routing_key,
        "message_id": properties.message_id,
        "correlation_id": properties.correlation_id,
        "type": properties.type,
        "content_type": properties.content_type,
        "delivery_mode": properties.delivery_mode,
        "headers": properties.headers or {},
        "body": text,
    }


def print_invoice(store):
    print("Invoice summary (billable = redeemed - given back):")
    current = None
    for customer, contract, incident_type, redeemed, given_back in store.invoice_lines():
        if (customer, contract) != current:
            current = (customer, contract)
            print(f"  customer {customer}, contract {contract}")
        print(f"    {incident_type:<8} redeemed {redeemed:>3}  given back {given_back:>3}  "
              f"billable {redeemed - given_back:>3}")
    unmatched = store.unmatched_credits()
    print(f"Credits without a recorded charge: {len(unmatched)}")
    for message_id, charge in unmatched:
        print(f"  {message_id} reverses ledger entry {charge}, which billing has not recorded")


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        description="Record Tally's billing results once each and print an invoice summary.",
        epilog="The broker URL comes from TALLY_AMQP_URL.")
    parser.add_argument("--queue", default="billing.invoices",
                        help="billing's own queue, declared and bound if missing (default: %(default)s)")
    parser.add_argument("--database", default="billing.sqlite",
                        help="the SQLite file of recorded results (default: %(default)s)")
    parser.add_argument("--expect", type=int, metavar="N",
                        help="stop once the database contains N results")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="stop after this many seconds in all (default: %(default)s)")
    parser.add_argument("--idle", type=float, default=10.0, metavar="SECONDS",
                        help="stop after this many seconds without a delivery (default: %(default)s)")
    parser.add_argument("--declare-only", action="store_true",
                        help="declare and bind the queue, then exit without consuming")
    parser.add_argument("--record", metavar="FILE",
                        help="append each newly recorded result to FILE as one JSON line")
    return parser.parse_args(argv)


def main(argv):
    arguments = parse_arguments(argv)
    url = os.environ.get("TALLY_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
    parameters = pika.URLParameters(url)
    parameters.client_properties = {"connection_name": "billing example"}

    connection = pika.BlockingConnection(parameters)
    try:
        channel = connection.channel()
        declare_queue(channel, arguments.queue)
    except BaseException:
        connection.close()
        raise
    if arguments.declare_only:
        connection.close()
        print(f"queue {arguments.queue} is bound to {', '.join(BILLING_ROUTING_KEYS)}")
        return 0

    store = BillingStore(arguments.database)
    record_file = open(arguments.record, "a", encoding="utf-8") if arguments.record else None
    try:
        new, duplicates, rejected = consume(
            channel, store, arguments.queue, arguments.expect, arguments.timeout, arguments.idle,
            record_file)
    finally:
        connection.close()
        if record_file is not None:
            record_file.close()

    total = store.count()
    print(f"{new} new results recorded, {duplicates} duplicate deliveries skipped, "
          f"{rejected} deliveries rejected; {total} results in {arguments.database}")
    print_invoice(store)
    store.close()

    if arguments.expect is not None and total < arguments.expect:
        print(f"Error: expected {arguments.expect} results, but the database contains {total}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
