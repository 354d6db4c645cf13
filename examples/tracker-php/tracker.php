<?php

declare(strict_types=1);

/*
 * An example tracker for Tally, as Eventum would publish and read: see README.md beside this
 * file and docs/INTEGRATION.md.
 *
 *   php tracker.php publish [--id-prefix TEXT] SCENARIO.json
 *   php tracker.php results [--queue NAME] [--expect N] [--timeout SECONDS] [--idle SECONDS] [--record FILE]
 *
 * The broker comes from TALLY_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672/%2F).
 */

require_once __DIR__ . '/TallyTracker.php';

const USAGE = <<<'TEXT'
Usage: php tracker.php publish [--id-prefix TEXT] SCENARIO.json
       php tracker.php results [--queue NAME] [--expect N] [--timeout SECONDS] [--idle SECONDS] [--record FILE]

publish  Publishes the commands of a scenario file to tally.commands with
         publisher confirms, in file order, and prints one line per command.
         --id-prefix puts TEXT before every message id, so that a scenario can
         run again against the same database.
results  Reads results from a queue (default tracker.results, which receives
         issue.*, incident.rejected and quota.low) and prints each one as the
         tracker would show it. Stops after --expect N distinct results, after
         --timeout seconds (default 60), or after --idle seconds without a
         result (default 10). --record appends each result as one JSON line.

The broker URL comes from TALLY_AMQP_URL.
Exit codes: 0 done, 1 failure or fewer results than expected, 64 usage error.

TEXT;

function usageError(string $message): never
{
    fwrite(STDERR, "Error: $message\n\n" . USAGE);
    exit(64);
}

/**
 * Splits arguments into options with a value and positional arguments.
 *
 * @param list<string> $arguments
 * @param list<string> $known     the option names, without dashes
 * @return array{0: array<string, string>, 1: list<string>}
 */
function parseArguments(array $arguments, array $known): array
{
    $options = [];
    $positional = [];
    for ($i = 0; $i < count($arguments); $i++) {
        $argument = $arguments[$i];
        if (!str_starts_with($argument, '--')) {
            $positional[] = $argument;
            continue;
        }
        $name = substr($argument, 2);
        if (!in_array($name, $known, true)) {
            usageError("unknown option: $argument");
        }
        if ($i + 1 >= count($arguments)) {
            usageError("$argument needs a value");
        }
        $options[$name] = $arguments[++$i];
    }
    return [$options, $positional];
}

function positiveNumber(array $options, string $name, float $default): float
{
    if (!isset($options[$name])) {
        return $default;
    }
    if (!is_numeric($options[$name]) || (float) $options[$name] <= 0) {
        usageError("invalid value for --$name: expected a positive number, got '{$options[$name]}'");
    }
    return (float) $options[$name];
}

/** Publishes every command of the scenario in order, then waits for the confirms. */
function publishScenario(TallyTracker $tracker, string $file, string $idPrefix): int
{
    $text = @file_get_contents($file);
    if ($text === false) {
        fwrite(STDERR, "Error: cannot read the scenario file $file\n");
        return 1;
    }
    $scenario = json_decode($text, true, 64, JSON_THROW_ON_ERROR);

    foreach ($scenario['commands'] as $command) {
        $messageId = $idPrefix . $command['message_id'];
        $tracker->publish($command['routing_key'], $command['body'], $messageId, $command['customer_id']);
        printf("published %-17s %s\n", $command['routing_key'], $messageId);
    }

    $failures = $tracker->confirm(30.0);
    foreach ($failures as $failure) {
        fwrite(STDERR, "Error: command {$failure->messageId} ({$failure->routingKey}) was not taken: {$failure->reason}; publish it again with the same message id\n");
    }
    printf("%d commands confirmed by the broker, %d failed\n", count($scenario['commands']) - count($failures), count($failures));
    return $failures === [] ? 0 : 1;
}

/** Returns the line the tracker shows for a result. */
function describeResult(TallyResult $result): string
{
    $body = $result->body;
    $issue = "issue {$body['issue_id']}";

    switch ($result->routingKey) {
        case 'issue.accepted':
            $quotas = array_map(fn (array $quota): string => "{$quota['incident_type']} {$quota['remaining']}", $body['quotas']);
            $left = $body['per_incident'] ? 'incidents left: ' . implode(', ', $quotas) : 'not per incident';
            $limit = $body['incident_limit_reached'] ? ' (incident limit reached)' : '';
            return "$issue accepted on contract {$body['contract_id']} ({$body['contract_status']}, {$body['support_level']['name']}); $left$limit";
        case 'issue.rejected':
            return "$issue rejected ({$body['reason']}): {$body['detail']}";
        case 'incident.rejected':
            $verb = $body['command_type'] === 'incident.unredeem' ? 'not given back' : 'not redeemed';
            return "$issue {$body['incident_type']} $verb ({$body['reason']}): {$body['detail']}";
        case 'quota.low':
            $quota = $body['quota'];
            return "customer {$body['customer_id']} contract {$body['contract_id']}: {$quota['incident_type']} incidents low, {$quota['remaining']} of {$quota['total']} left";
        default:
            return "$issue {$result->routingKey}";
    }
}

function readResults(TallyTracker $tracker, array $options): int
{
    $queue = $options['queue'] ?? 'tracker.results';
    $expected = isset($options['expect']) ? (int) positiveNumber($options, 'expect', 1) : null;
    $timeout = positiveNumber($options, 'timeout', 60);
    $idle = positiveNumber($options, 'idle', 10);

    $record = null;
    if (isset($options['record'])) {
        $record = fopen($options['record'], 'a');
        if ($record === false) {
            fwrite(STDERR, "Error: cannot open {$options['record']} for appending\n");
            return 1;
        }
    }

    $counts = $tracker->readResults(
        $queue,
        function (TallyResult $result) use ($record): void {
            echo describeResult($result), "\n";
            if ($record !== null) {
                $line = [
                    'routing_key' => $result->routingKey,
                    'message_id' => $result->messageId,
                    'correlation_id' => $result->correlationId,
                    'type' => $result->type,
                    'content_type' => $result->contentType,
                    'delivery_mode' => $result->deliveryMode,
                    'headers' => (object) $result->headers,
                    'body' => $result->rawBody,
                ];
                fwrite($record, json_encode($line, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR) . "\n");
            }
        },
        $expected,
        $timeout,
        $idle,
    );
    if ($record !== null) {
        fclose($record);
    }

    printf("%d results read from %s, %d duplicate deliveries skipped\n", $counts['results'], $queue, $counts['duplicates']);
    if ($expected !== null && $counts['results'] < $expected) {
        fwrite(STDERR, "Error: expected $expected results in $queue, read {$counts['results']}\n");
        return 1;
    }
    return 0;
}

function main(array $argv): int
{
    $command = $argv[1] ?? '';
    if ($command === '-h' || $command === '--help') {
        echo USAGE;
        return 0;
    }

    $url = getenv('TALLY_AMQP_URL') ?: 'amqp://guest:guest@127.0.0.1:5672/%2F';
    $arguments = array_slice($argv, 2);

    switch ($command) {
        case 'publish':
            [$options, $files] = parseArguments($arguments, ['id-prefix']);
            if (count($files) !== 1) {
                usageError('publish needs exactly one scenario file');
            }
            $tracker = new TallyTracker($url, 'eventum tracker (publish)');
            try {
                return publishScenario($tracker, $files[0], $options['id-prefix'] ?? '');
            } finally {
                $tracker->close();
            }
        case 'results':
            [$options, $extra] = parseArguments($arguments, ['queue', 'expect', 'timeout', 'idle', 'record']);
            if ($extra !== []) {
                usageError('unexpected argument: ' . $extra[0]);
            }
            $tracker = new TallyTracker($url, 'eventum tracker (results)');
            try {
                return readResults($tracker, $options);
            } finally {
                $tracker->close();
            }
        case '':
            usageError('missing command: publish or results');
        default:
            usageError("unknown command: $command");
    }
}

exit(main($argv));
