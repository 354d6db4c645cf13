<?php

declare(strict_types=1);

/*
 * A tracker's side of Tally's message contract v1, written with php-amqplib
 * (Debian package php-amqplib, version 3.5). Publishes commands to the
 * exchange tally.commands with publisher confirms, and reads the results that
 * the tracker shows to its users.
 */

require_once 'PhpAmqpLib/autoload.php';

use PhpAmqpLib\Channel\AMQPChannel;
use PhpAmqpLib\Connection\AbstractConnection;
use PhpAmqpLib\Connection\AMQPConnectionConfig;
use PhpAmqpLib\Connection\AMQPConnectionFactory;
use PhpAmqpLib\Exception\AMQPTimeoutException;
use PhpAmqpLib\Message\AMQPMessage;
use PhpAmqpLib\Wire\AMQPTable;

/** A command that the broker did not accept: nacked, returned, or never confirmed. */
final class TallyPublishFailure
{
    public function __construct(
        public readonly string $messageId,
        public readonly string $routingKey,
        public readonly string $reason,
    ) {
    }
}

/** One result read from a results queue, with the properties the contract sets. */
final class TallyResult
{
    /**
     * @param array<string, mixed> $headers the application headers, such as customer-id
     * @param array<string, mixed> $body    the decoded JSON body
     */
    public function __construct(
        public readonly string $routingKey,
        public readonly string $messageId,
        public readonly ?string $correlationId,
        public readonly ?string $type,
        public readonly ?string $contentType,
        public readonly ?int $deliveryMode,
        public readonly array $headers,
        public readonly string $rawBody,
        public readonly array $body,
        public readonly bool $redelivered,
    ) {
    }
}

final class TallyTracker
{
    public const COMMAND_EXCHANGE = 'tally.commands';
    public const COMMAND_KINDS = ['issue.create', 'incident.redeem', 'incident.unredeem', 'incident.update'];

    private AbstractConnection $connection;
    private AMQPChannel $channel;

    /** @var array<string, TallyPublishFailure> failures of the current confirm round, by message id */
    private array $failures = [];

    /** @var array<string, string> routing keys of the commands waiting for a confirm, by message id */
    private array $unconfirmed = [];

    /**
     * Opens one connection and one channel in confirm mode.
     *
     * @param string $amqpUrl amqp://user:password@host:port/vhost, with the vhost URL-encoded
     *                        (%2F for "/"), as RabbitMQ's URI specification writes it
     */
    public function __construct(string $amqpUrl, string $connectionName = 'eventum tracker')
    {
        $parts = self::parseAmqpUrl($amqpUrl);
        $config = new AMQPConnectionConfig();
        $config->setHost($parts['host']);
        $config->setPort($parts['port']);
        $config->setUser($parts['user']);
        $config->setPassword($parts['password']);
        $config->setVhost($parts['vhost']);
        $config->setConnectionTimeout(5.0);
        $config->setReadTimeout(10.0);
        $config->setWriteTimeout(10.0);
        $config->setConnectionName($connectionName);
        $this->connection = AMQPConnectionFactory::create($config);
        $this->channel = $this->connection->channel();

        // Publisher confirms: the broker acks each command once a queue has taken it (for a
        // quorum queue, once a majority of its replicas wrote it to disk).
        $this->channel->confirm_select();
        $this->channel->set_ack_handler(function (AMQPMessage $message): void {
            unset($this->unconfirmed[(string) $message->get('message_id')]);
        });
        $this->channel->set_nack_handler(function (AMQPMessage $message): void {
            $id = (string) $message->get('message_id');
            $this->failures[$id] = new TallyPublishFailure($id, $this->unconfirmed[$id] ?? '', 'nacked by the broker');
            unset($this->unconfirmed[$id]);
        });
        // A mandatory command that no queue took comes back here before its ack. Tally's topology
        // prevents that, because the alternate exchange of tally.commands sends unknown routing
        // keys to the command queue. A return means the topology is missing.
        $this->channel->set_return_listener(
            function (int $replyCode, string $replyText, string $exchange, string $routingKey, AMQPMessage $message): void {
                $id = (string) $message->get('message_id');
                $this->failures[$id] = new TallyPublishFailure($id, $routingKey, "returned: $replyCode $replyText");
            }
        );
    }

    public function close(): void
    {
        if ($this->channel->is_open()) {
            $this->channel->close();
        }
        if ($this->connection->isConnected()) {
            $this->connection->close();
        }
    }

    /**
     * Publishes one command. Call confirm() to learn whether the broker took it.
     *
     * @param string               $routingKey one of COMMAND_KINDS
     * @param array<string, mixed> $body       the command's fields; ids must be PHP ints, not
     *                                         numeric strings, or Tally rejects them
     * @param string               $messageId  the idempotency key, 1 to 128 characters: keep it
     *                                         with the issue's history and reuse it when you
     *                                         publish the same command again
     * @param string               $customerId the customer the command is about, for the
     *                                         customer-id header
     */
    public function publish(string $routingKey, array $body, string $messageId, string $customerId): void
    {
        $message = new AMQPMessage(
            json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR),
            [
                'content_type' => 'application/json',
                'delivery_mode' => AMQPMessage::DELIVERY_MODE_PERSISTENT,
                'message_id' => $messageId,
                'timestamp' => time(),
                'app_id' => 'eventum',
                'application_headers' => new AMQPTable(['customer-id' => $customerId]),
            ]
        );
        $this->publishMessage($routingKey, $message);
    }

    /**
     * Publishes a message as given, for commands that are built by hand, such as the broken
     * ones of a test.
     */
    public function publishMessage(string $routingKey, AMQPMessage $message): void
    {
        $id = $message->has('message_id') ? (string) $message->get('message_id') : '';
        $this->unconfirmed[$id] = $routingKey;
        $this->channel->basic_publish($message, self::COMMAND_EXCHANGE, $routingKey, true);
    }

    /**
     * Waits for the broker's confirms of everything published since the last call.
     *
     * @param float $timeout seconds; commands still unconfirmed after it count as failed, and the
     *                       tracker should publish them again with the same message id
     * @return list<TallyPublishFailure> the commands to publish again; empty when all arrived
     */
    public function confirm(float $timeout = 30.0): array
    {
        try {
            $this->channel->wait_for_pending_acks_returns($timeout);
        } catch (AMQPTimeoutException) {
            foreach ($this->unconfirmed as $id => $routingKey) {
                $this->failures[$id] = new TallyPublishFailure((string) $id, $routingKey, "not confirmed within $timeout s");
            }
        }
        $failures = array_values($this->failures);
        $this->failures = [];
        $this->unconfirmed = [];
        return $failures;
    }

    /**
     * Reads results from a queue and passes each one to $onResult once, acking it after
     * $onResult returns. A result whose message id was seen before is acked and skipped.
     *
     * @param callable(TallyResult): void $onResult
     * @param int|null $expected  stop after this many distinct results; null reads until idle
     * @param float    $timeout   stop after this many seconds in all
     * @param float    $idle      stop after this many seconds without a delivery
     * @return array{results: int, duplicates: int}
     */
    public function readResults(string $queue, callable $onResult, ?int $expected, float $timeout, float $idle): array
    {
        $seen = [];
        $duplicates = 0;
        $lastDelivery = microtime(true);

        $this->channel->basic_qos(0, 50, false);
        $tag = $this->channel->basic_consume(
            $queue,
            '',
            false,
            false,
            false,
            false,
            function (AMQPMessage $message) use (&$seen, &$duplicates, &$lastDelivery, $onResult): void {
                $lastDelivery = microtime(true);
                $id = $message->has('message_id') ? (string) $message->get('message_id') : '';
                if (isset($seen[$id])) {
                    $duplicates++;
                    $message->ack();
                    return;
                }
                $onResult(self::resultFrom($message));
                $seen[$id] = true;
                $message->ack();
            }
        );

        $deadline = microtime(true) + $timeout;
        while ($expected === null || count($seen) < $expected) {
            $now = microtime(true);
            if ($now >= $deadline || $now - $lastDelivery >= $idle) {
                break;
            }
            try {
                $this->channel->wait(null, false, min(0.5, $deadline - $now));
            } catch (AMQPTimeoutException) {
                // Nothing arrived in this slice; check the deadlines again.
            }
        }
        $this->channel->basic_cancel($tag);

        return ['results' => count($seen), 'duplicates' => $duplicates];
    }

    private static function resultFrom(AMQPMessage $message): TallyResult
    {
        $headers = [];
        if ($message->has('application_headers')) {
            $headers = $message->get('application_headers')->getNativeData();
        }
        $body = json_decode($message->getBody(), true, 64, JSON_THROW_ON_ERROR);

        return new TallyResult(
            $message->getRoutingKey() ?? '',
            $message->has('message_id') ? (string) $message->get('message_id') : '',
            $message->has('correlation_id') ? (string) $message->get('correlation_id') : null,
            $message->has('type') ? (string) $message->get('type') : null,
            $message->has('content_type') ? (string) $message->get('content_type') : null,
            $message->has('delivery_mode') ? (int) $message->get('delivery_mode') : null,
            $headers,
            $message->getBody(),
            $body,
            (bool) $message->isRedelivered(),
        );
    }

    /**
     * Splits an AMQP URL into the settings of an AMQPConnectionConfig.
     *
     * @return array{host: string, port: int, user: string, password: string, vhost: string}
     */
    public static function parseAmqpUrl(string $url): array
    {
        $parts = parse_url($url);
        if ($parts === false || ($parts['scheme'] ?? '') !== 'amqp' || !isset($parts['host'])) {
            throw new InvalidArgumentException('invalid AMQP URL: expected amqp://user:password@host:port/vhost');
        }
        $path = $parts['path'] ?? '';
        $vhost = $path === '' || $path === '/' ? '/' : rawurldecode(substr($path, 1));

        return [
            'host' => $parts['host'],
            'port' => $parts['port'] ?? 5672,
            'user' => rawurldecode($parts['user'] ?? 'guest'),
            'password' => rawurldecode($parts['pass'] ?? 'guest'),
            'vhost' => $vhost,
        ];
    }
}
