// The expected help of every tallyctl command, checked by HelpSnapshotTests. Rewrite it with
// TALLY_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests, then review the diff.
enum HelpSnapshots {
    static let texts: [String: String] = [
        "tallyctl": #"""
OVERVIEW: Inspect and repair Tally: queues, dead letters, customers, quotas and
          the ledger.

tallyctl reads the broker and the database and changes nothing unless a
subcommand says so: dead replay and purge, customers import, publish, topology
apply and backup.

Settings come from the command line, then environment variables, then the
configuration file that the worker reads (--config or TALLY_CONFIG), then
defaults. Tables are for people, --json is for scripts; colour is used only on a
terminal and never when NO_COLOR is set.

Exit codes:
  0   success; status --check: healthy
  1   failure; status --check: warning
  2   status --check: critical; verify: the ledger disagrees with the counts
  3   broker unreachable, or it refused the login, virtual host or a permission
  4   database missing, read-only, damaged or locked too long
  64  usage error
  78  invalid environment variable or configuration file

USAGE: tallyctl <subcommand>

OPTIONS:
  --version               Show the version.
  -h, --help              Show help information.

SUBCOMMANDS:
  status                  Show queues, dead letters, the outbox, the inbox and
                          the workers at a glance.
  dead                    List, show, replay or purge dead letters in
                          tally.dead.
  customers               Import, export or show customer data: contacts,
                          contracts, quotas.
  quota                   Show a customer's incidents per contract and type:
                          total, used, remaining and the low-water mark.
  ledger                  Show the ledger rows of an issue or a customer, oldest
                          first.
  verify                  Check the ledger against the used counts and live
                          redemptions.
  publish                 Publish one command to tally.commands as the tracker
                          would, and wait for the confirm.
  topology                Print or declare Tally's exchanges, queues and
                          bindings.
  metrics                 Print the status figures in the Prometheus text
                          format, for node_exporter's textfile collector.
  backup                  Copy the database while workers run, with SQLite's
                          online backup API.
  config                  Print the settings tallyctl resolves and where each
                          came from; passwords are hidden.

  See 'tallyctl help <subcommand>' for detailed help.
"""#,
        "tallyctl-status": #"""
OVERVIEW: Show queues, dead letters, the outbox, the inbox and the workers at a
          glance.

Shows every queue of the topology: the command queue, the retry queues, the
dead-letter queue and the queues bound to tally.results. Ready and consumer
counts come from AMQP passive declares; unacknowledged counts and rates from the
RabbitMQ management API. When the API does not respond, status says so and which
figures are missing. Dead letters are read without being removed, to count them
by reason.

From the database: the outbox backlog and its oldest entry, the inbox size, and
each worker's heartbeat. A worker is alive when it holds a consumer on the
broker, when its process runs on this host, or when its last activity is newer
than --stale-after.

With --check, prints the findings and exits 0 when healthy, 1 on a warning, 2
when critical. Critical: the broker or the database is unusable, no worker is
alive, or ready commands reach --critical-commands-ready. Warning: dead letters
reach --warn-dead-letters, the oldest outbox entry is older than
--warn-outbox-age, a worker is stale, a queue is missing, or ready commands
reach --warn-commands-ready.

Without --check: exit 0, or 3 when the broker is unusable, 4 when the database
is.

USAGE: tallyctl status [--json] [--check] [--watch <seconds>]
       [--dead-letter-sample <count>] [--no-example-queues]
       [--stale-after <seconds>] [--warn-dead-letters <count>]
       [--warn-outbox-age <seconds>] [--warn-commands-ready <count>]
       [--critical-commands-ready <count>] [--amqp-url <url>]
       [--tls-ca-file <path>] [--heartbeat <seconds>] [--management-url <url>]
       [--database <path>] [--busy-timeout <seconds>] [--config <path>]

CHECK THRESHOLDS:
  --stale-after <seconds>
                          A worker is stale when its last activity is older than
                          this and neither a broker consumer nor a local process
                          shows it alive. (default: 60s, env: TALLY_STALE_AFTER)
  --warn-dead-letters <count>
                          Warning at this many dead letters or more. (default:
                          1)
  --warn-outbox-age <seconds>
                          Warning when the oldest outbox entry is older than
                          this. (default: 60s)
  --warn-commands-ready <count>
                          Warning at this many ready commands or more. (default:
                          1000)
  --critical-commands-ready <count>
                          Critical at this many ready commands or more.
                          (default: 10000)

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)
  --management-url <url>  The RabbitMQ management HTTP API, reached with the
                          user and password of --amqp-url. A node started with
                          ops/broker listens on the AMQP port plus 10000.
                          (default: http://127.0.0.1:15672, env:
                          TALLY_MANAGEMENT_URL)

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  --check                 Judge the health for monitoring: exit 0 healthy, 1
                          warning, 2 critical.
  --watch <seconds>       Refresh every this many seconds until interrupted.
  --dead-letter-sample <count>
                          The maximum number of dead letters read to count them
                          by reason; they stay in the queue. (default: 1000)
  --no-example-queues     The workers run with --no-example-queues: the example
                          consumer queues are not expected, and the advice for
                          results that no queue takes is to bind queues of your
                          own. (env: TALLY_NO_EXAMPLE_QUEUES)
  -h, --help              Show help information.
"""#,
        "tallyctl-dead": #"""
OVERVIEW: List, show, replay or purge dead letters in tally.dead.

Dead letters are read with basic.get and left unacknowledged, so every one not
replayed or purged returns to the queue when tallyctl closes its channel:
listing never removes anything.

A dead letter is named by its message id. One without a message id is named #N,
its position among the dead letters read (from 1, oldest first); positions stay
valid while no earlier dead letter is removed, so list, then replay or purge
right away.

USAGE: tallyctl dead <subcommand>

OPTIONS:
  -h, --help              Show help information.

SUBCOMMANDS:
  list                    List dead letters with their reason, routing key,
                          message id, death count and first body lines.
  show                    Show one dead letter: every header, the worker's and
                          the broker's reasons, and the body.
  replay                  Publish copies of dead letters to tally.commands, then
                          remove them.
  purge                   Delete dead letters for good.

  See 'tallyctl dead help <subcommand>' for detailed help.
"""#,
        "tallyctl-dead-list": #"""
OVERVIEW: List dead letters with their reason, routing key, message id, death
          count and first body lines.

USAGE: tallyctl dead list [--json] [--limit <count>] [--body-lines <count>]
       [--amqp-url <url>] [--tls-ca-file <path>] [--heartbeat <seconds>]
       [--config <path>]

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  --limit <count>         The maximum number of dead letters read from the front
                          of the queue; the others are not looked at. (default:
                          100)
  --body-lines <count>    Body lines shown per dead letter; 0 hides the body.
                          (default: 1)
  -h, --help              Show help information.
"""#,
        "tallyctl-dead-show": #"""
OVERVIEW: Show one dead letter: every header, the worker's and the broker's
          reasons, and the body.

With a database (--database or TALLY_DATABASE), it also says what the worker
would do with a replayed copy: apply it, ack it as a duplicate without effect,
or dead-letter it again.

USAGE: tallyctl dead show [--json] [--limit <count>] [--amqp-url <url>]
       [--tls-ca-file <path>] [--heartbeat <seconds>] [--database <path>]
       [--busy-timeout <seconds>] [--config <path>] <id>

ARGUMENTS:
  <id>                    The message id, or #N for a dead letter without one.

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  --limit <count>         The maximum number of dead letters read from the front
                          of the queue; the others are not looked at. (default:
                          100)
  -h, --help              Show help information.
"""#,
        "tallyctl-dead-replay": #"""
OVERVIEW: Publish copies of dead letters to tally.commands, then remove them.

Each copy keeps the original routing key (x-tally-original-routing-key, else the
first x-death routing key), message id, content type and headers, without
x-tally-* and x-death bookkeeping. It is published mandatory with a publisher
confirm, and the dead letter is acked only after the broker confirmed its copy:
when the replay fails halfway, the dead letter stays and a second replay
publishes another copy with the same message id. The worker's inbox drops the
duplicate, so the command is processed once.

The worker applies a well-formed copy unless the inbox records its message id as
processed. A copy of a command processed before is acked as a duplicate, or
dead-lettered as message_id_reused when its body differs; a malformed copy is
dead-lettered again, or acked as a duplicate when the inbox records the same
body. With a database (--database or TALLY_DATABASE), replay warns about each
copy that the worker will not apply.

A dead letter with reason missing_message_id or invalid_message_id carries a
message id the worker made up, which the tracker never knew: replay skips it
unless --force is given, because a later copy from the tracker would be applied
a second time.

USAGE: tallyctl dead replay [--all] [--force] [--limit <count>]
       [--confirm-timeout <seconds>] [--amqp-url <url>] [--tls-ca-file <path>]
       [--heartbeat <seconds>] [--database <path>] [--busy-timeout <seconds>]
       [--config <path>] [<id> ...]

ARGUMENTS:
  <id> ...                Message ids of dead letters, or #N for the N-th dead
                          letter read when it has no message id.

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --all                   Replay every dead letter read (up to --limit).
  --force                 Also replay dead letters whose message id the worker
                          made up.
  --limit <count>         The maximum number of dead letters read from the front
                          of the queue; the others are not looked at. (default:
                          100)
  --confirm-timeout <seconds>
                          How long to wait for the broker's confirms. (default:
                          10s)
  -h, --help              Show help information.
"""#,
        "tallyctl-dead-purge": #"""
OVERVIEW: Delete dead letters for good.

With --all, every message in tally.dead is deleted with queue.purge, also those
beyond --limit.

USAGE: tallyctl dead purge [--all] [--limit <count>] [--amqp-url <url>]
       [--tls-ca-file <path>] [--heartbeat <seconds>] [--config <path>]
       [<id> ...]

ARGUMENTS:
  <id> ...                Message ids of dead letters, or #N for the N-th dead
                          letter read when it has no message id.

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --all                   Delete every dead letter in the queue.
  --limit <count>         The maximum number of dead letters read from the front
                          of the queue; the others are not looked at. (default:
                          100)
  -h, --help              Show help information.
"""#,
        "tallyctl-customers": #"""
OVERVIEW: Import, export or show customer data: contacts, contracts, quotas.

USAGE: tallyctl customers <subcommand>

OPTIONS:
  -h, --help              Show help information.

SUBCOMMANDS:
  import                  Load a customer data file into the database, all or
                          nothing.
  export                  Write all customer data as a customer data file
                          (JSON).
  show                    Show a customer: contacts, contracts with their status
                          today, support level, account managers, note, quotas
                          and the last redemptions.

  See 'tallyctl customers help <subcommand>' for detailed help.
"""#,
        "tallyctl-customers-import": #"""
OVERVIEW: Load a customer data file into the database, all or nothing.

The file format is described in docs/CUSTOMER-DATA.md. Every problem is listed
with its JSON path, and with any problem nothing is written. Entries the file
does not mention stay as they are. The database is created when it does not
exist yet.

USAGE: tallyctl customers import [--database <path>] [--busy-timeout <seconds>]
       [--config <path>] <file>

ARGUMENTS:
  <file>                  The customer data file (JSON), or - for standard
                          input.

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  -h, --help              Show help information.
"""#,
        "tallyctl-customers-export": #"""
OVERVIEW: Write all customer data as a customer data file (JSON).

USAGE: tallyctl customers export [--output <path>] [--database <path>]
       [--busy-timeout <seconds>] [--config <path>]

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  -o, --output <path>     The file to write; standard output when left out.
  -h, --help              Show help information.
"""#,
        "tallyctl-customers-show": #"""
OVERVIEW: Show a customer: contacts, contracts with their status today, support
          level, account managers, note, quotas and the last redemptions.

USAGE: tallyctl customers show [--json] [--redemptions <count>]
       [--database <path>] [--busy-timeout <seconds>] [--config <path>]
       <customer>

ARGUMENTS:
  <customer>              The customer id, as Eventum stores it.

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  --redemptions <count>   How many of the newest ledger rows to show. (default:
                          10)
  -h, --help              Show help information.
"""#,
        "tallyctl-quota": #"""
OVERVIEW: Show a customer's incidents per contract and type: total, used,
          remaining and the low-water mark.

USAGE: tallyctl quota [--json] [--type <type>] [--database <path>]
       [--busy-timeout <seconds>] [--config <path>] <customer>

ARGUMENTS:
  <customer>              The customer id.

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  -t, --type <type>       Only this incident type, such as phone.
  -h, --help              Show help information.
"""#,
        "tallyctl-ledger": #"""
OVERVIEW: Show the ledger rows of an issue or a customer, oldest first.

USAGE: tallyctl ledger [--json] [--issue <id>] [--customer <id>]
       [--since <instant>] [--database <path>] [--busy-timeout <seconds>]
       [--config <path>]

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  --issue <id>            The issue id.
  --customer <id>         The customer id.
  --since <instant>       Only rows at or after this day or instant (UTC).
  -h, --help              Show help information.
"""#,
        "tallyctl-verify": #"""
OVERVIEW: Check the ledger against the used counts and live redemptions.

For every contract and incident type, the used count, the number of live
redemptions, the redeems minus un-redeems in the ledger and the newest ledger
row's used count must agree. Exits 2 when any pair differs, listing each.

USAGE: tallyctl verify [--json] [--database <path>] [--busy-timeout <seconds>]
       [--config <path>]

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  -h, --help              Show help information.
"""#,
        "tallyctl-publish": #"""
OVERVIEW: Publish one command to tally.commands as the tracker would, and wait
          for the confirm.

The message is persistent, JSON, mandatory, with a message id (a new UUID unless
--message-id gives one). The body is checked with the worker's own decoder
first; --no-validate publishes an invalid command anyway, for tests of the
dead-letter path. Publishing the id of a command already processed has no
effect: the worker drops it as a duplicate.

USAGE: tallyctl publish [--body <json>] [--file <path>] [--message-id <id>]
       [--no-validate] [--confirm-timeout <seconds>] [--amqp-url <url>]
       [--tls-ca-file <path>] [--heartbeat <seconds>] [--config <path>]
       <routing-key>

ARGUMENTS:
  <routing-key>           The command type: issue.create, incident.redeem,
                          incident.unredeem or incident.update.

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --body <json>           The command's JSON body.
  --file <path>           A file with the command's JSON body, or - for standard
                          input.
  --message-id <id>       The message id; the worker keys duplicates on it.
  --no-validate           Publish even when the worker's decoder rejects the
                          command.
  --confirm-timeout <seconds>
                          How long to wait for the broker's confirm. (default:
                          10s)
  -h, --help              Show help information.
"""#,
        "tallyctl-topology": #"""
OVERVIEW: Print or declare Tally's exchanges, queues and bindings.

USAGE: tallyctl topology <subcommand>

OPTIONS:
  -h, --help              Show help information.

SUBCOMMANDS:
  show                    Print the exchanges, queues and bindings.
  apply                   Declare the exchanges, queues and bindings on the
                          broker.

  See 'tallyctl topology help <subcommand>' for detailed help.
"""#,
        "tallyctl-topology-show": #"""
OVERVIEW: Print the exchanges, queues and bindings.

USAGE: tallyctl topology show [--json] [--definitions <path>]
       [--no-example-queues] [--config <path>]

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --json                  Print JSON for scripts instead of tables.
  --definitions <path>    A RabbitMQ definitions file such as
                          queues/definitions.json; Tally's built-in topology,
                          which equals that file, when left out.
  --no-example-queues     Leave out the example consumer queues
                          billing.redemptions and tracker.results and their
                          bindings, as a worker started with --no-example-queues
                          does. (env: TALLY_NO_EXAMPLE_QUEUES)
  -h, --help              Show help information.
"""#,
        "tallyctl-topology-apply": #"""
OVERVIEW: Declare the exchanges, queues and bindings on the broker.

Declaring is idempotent. An exchange or queue that exists with other arguments
is not changed: the broker refuses it with 406 PRECONDITION_FAILED, and tallyctl
names the object and exits 1.

USAGE: tallyctl topology apply [--definitions <path>] [--no-example-queues]
       [--amqp-url <url>] [--tls-ca-file <path>] [--heartbeat <seconds>]
       [--config <path>]

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --definitions <path>    A RabbitMQ definitions file such as
                          queues/definitions.json; Tally's built-in topology,
                          which equals that file, when left out.
  --no-example-queues     Leave out the example consumer queues
                          billing.redemptions and tracker.results and their
                          bindings, as a worker started with --no-example-queues
                          does. (env: TALLY_NO_EXAMPLE_QUEUES)
  -h, --help              Show help information.
"""#,
        "tallyctl-metrics": #"""
OVERVIEW: Print the status figures in the Prometheus text format, for
          node_exporter's textfile collector.

With --output, the file is written beside its final name and renamed into place,
so the collector never reads half a file. A broker or database that cannot be
read shows as tally_broker_up 0 or tally_database_up 0, and the command still
exits 0 once the figures are written. ops/metrics has a systemd timer that runs
it every 30 seconds.

USAGE: tallyctl metrics [--output <path>] [--stale-after <seconds>]
       [--dead-letter-sample <count>] [--no-example-queues] [--amqp-url <url>]
       [--tls-ca-file <path>] [--heartbeat <seconds>] [--management-url <url>]
       [--database <path>] [--busy-timeout <seconds>] [--config <path>]

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)
  --management-url <url>  The RabbitMQ management HTTP API, reached with the
                          user and password of --amqp-url. A node started with
                          ops/broker listens on the AMQP port plus 10000.
                          (default: http://127.0.0.1:15672, env:
                          TALLY_MANAGEMENT_URL)

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  -o, --output <path>     The file to write, such as
                          /var/lib/node_exporter/textfile/tally.prom; standard
                          output when left out.
  --stale-after <seconds>
                          A worker is stale when its last activity is older than
                          this and neither a broker consumer nor a local process
                          shows it alive. (default: 60s, env: TALLY_STALE_AFTER)
  --dead-letter-sample <count>
                          The maximum number of dead letters read to count them
                          by reason; they stay in the queue. (default: 1000)
  --no-example-queues     The workers run with --no-example-queues: the example
                          consumer queues are not expected, and the advice for
                          results that no queue takes is to bind queues of your
                          own. (env: TALLY_NO_EXAMPLE_QUEUES)
  -h, --help              Show help information.
"""#,
        "tallyctl-backup": #"""
OVERVIEW: Copy the database while workers run, with SQLite's online backup API.

The copy is consistent: when a worker writes during the copy, SQLite restarts
it, and after three restarts copies the rest in one step, which does not block
writers in WAL mode. The copy is then checked with PRAGMA integrity_check.

To restore: stop every worker, move the database file away together with its
-wal and -shm files, copy the backup to the database path, and start the
workers. Commands processed after the backup was taken are not in it; their
message ids are not in its inbox either, so redelivered copies would be applied
again. See ops/RUNBOOK.md.

USAGE: tallyctl backup [--force] [--database <path>] [--busy-timeout <seconds>]
       [--config <path>] <path>

ARGUMENTS:
  <path>                  The file to write the copy to.

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  --force                 Replace the target file when it exists.
  -h, --help              Show help information.
"""#,
        "tallyctl-config": #"""
OVERVIEW: Print the settings tallyctl resolves and where each came from;
          passwords are hidden.

USAGE: tallyctl config [--amqp-url <url>] [--tls-ca-file <path>]
       [--heartbeat <seconds>] [--management-url <url>] [--database <path>]
       [--busy-timeout <seconds>] [--prefetch <count>] [--worker-id <id>]
       [--batch-size <count>] [--max-body-size <bytes>]
       [--confirm-timeout <seconds>] [--shutdown-grace-period <seconds>]
       [--inbox-retention <seconds>] [--no-example-queues]
       [--log-format <format>] [--log-level <level>] [--config <path>]

BROKER OPTIONS:
  --amqp-url <url>        The broker: amqp://user:password@host:port/vhost, or
                          amqps:// for TLS. Prefer the environment variable or
                          the configuration file for the password: the command
                          line is visible to other users. (default:
                          amqp://guest:guest@127.0.0.1:5672/%2F, env:
                          TALLY_AMQP_URL)
  --tls-ca-file <path>    With amqps://: the CA certificates (PEM) that verify
                          the broker's certificate. (env: TALLY_TLS_CA_FILE)
  --heartbeat <seconds>   AMQP heartbeat interval. (default: 30s, env:
                          TALLY_HEARTBEAT)
  --management-url <url>  The RabbitMQ management HTTP API, reached with the
                          user and password of --amqp-url. A node started with
                          ops/broker listens on the AMQP port plus 10000.
                          (default: http://127.0.0.1:15672, env:
                          TALLY_MANAGEMENT_URL)

DATABASE OPTIONS:
  --database <path>       The SQLite database file that the workers share. (env:
                          TALLY_DATABASE)
  --busy-timeout <seconds>
                          How long a database write waits for a worker's lock.
                          (default: 5s, env: TALLY_BUSY_TIMEOUT)

WORKER OPTIONS (accepted so that the worker's file serves tallyctl):
  --prefetch <count>      The worker's prefetch count. (env: TALLY_PREFETCH)
  --worker-id <id>        The worker's id. (env: TALLY_WORKER_ID)
  --batch-size <count>    The worker's batch size. (env: TALLY_BATCH_SIZE)
  --max-body-size <bytes>
                          The worker's largest command body. (env:
                          TALLY_MAX_BODY_SIZE)
  --confirm-timeout <seconds>
                          The worker's confirm wait. (env:
                          TALLY_CONFIRM_TIMEOUT)
  --shutdown-grace-period <seconds>
                          The worker's shutdown grace period. (env:
                          TALLY_SHUTDOWN_GRACE_PERIOD)
  --inbox-retention <seconds>
                          How long the worker remembers a message id. (env:
                          TALLY_INBOX_RETENTION)
  --no-example-queues     Whether the worker leaves out the example consumer
                          queues. (env: TALLY_NO_EXAMPLE_QUEUES)
  --log-format <format>   The worker's log format. (values: logfmt, json; env:
                          TALLY_LOG_FORMAT)
  --log-level <level>     The worker's log level. (values: trace, debug, info,
                          notice, warning, error, critical; env:
                          TALLY_LOG_LEVEL)

CONFIGURATION OPTIONS:
  --config <path>         A file of 'key = value' lines, the same file the
                          worker reads (keys: amqp-url, tls-ca-file, heartbeat,
                          database, busy-timeout and the worker's own).
                          Command-line flags override environment variables,
                          which override the file. (env: TALLY_CONFIG)

OPTIONS:
  -h, --help              Show help information.
"""#,
    ]
}
