import SQLite

/// The store's schema, as migrations.
///
/// Customer data and ledger dates are whole Unix seconds in UTC (`*_at` columns). The inbox,
/// outbox and heartbeat tables store Unix milliseconds (`*_at_ms` columns) for latency figures.
enum Schema {
    static var migrator: Migrator {
        var migrator = Migrator()
        migrator.register(1, "customers, contracts, issues, redemptions, ledger, inbox, outbox, heartbeats") { database in
            try database.executeScript(version1)
        }
        migrator.register(2, "rejected issues") { database in
            try database.executeScript(version2)
        }
        migrator.register(3, "inbox body digests, outbox content types") { database in
            try database.executeScript(version3)
        }
        migrator.register(4, "heartbeat recording times") { database in
            try database.executeScript(version4)
        }
        migrator.register(5, "customer data generation") { database in
            try database.executeScript(version5)
        }
        migrator.register(6, "ledger index by day and customer; no redemptions index by contract") { database in
            try database.executeScript(version6)
        }
        return migrator
    }

    /// Issues whose `issue.create` was rejected, so that a redeem for one is rejected at once
    /// with the reason instead of waiting for a creation that will not come. A later accepted
    /// `issue.create` for the same id takes precedence, because `issues` is read first.
    static let version2 = """
        CREATE TABLE issue_rejections (
            issue_id INTEGER PRIMARY KEY CHECK (issue_id > 0),
            reason TEXT NOT NULL,
            rejected_at INTEGER NOT NULL
        );
        """

    /// The inbox keeps a digest of each command's body and whether it was processed or
    /// dead-lettered, so that a message id reused for another body is caught instead of dropped
    /// as a duplicate, and a corrected command may reuse the id of a dead-lettered one. Rows
    /// written before this version have no digest and count as processed. The outbox keeps the
    /// content type of dead-lettered commands; NULL means application/json.
    static let version3 = """
        ALTER TABLE inbox ADD COLUMN body_digest BLOB;
        ALTER TABLE inbox ADD COLUMN disposition TEXT NOT NULL DEFAULT 'processed';
        ALTER TABLE outbox ADD COLUMN content_type TEXT;
        """

    /// When each heartbeat row was last written, so that an idle worker, whose last activity
    /// grows old, still shows as alive. NULL in rows written before this version.
    static let version4 = """
        ALTER TABLE worker_heartbeats ADD COLUMN recorded_at_ms INTEGER;
        """

    /// A counter that triggers raise on every change to the customer data the rules read, made
    /// by an import, `tallyctl` or SQL typed by hand. A worker caches that data and drops its
    /// cache when the counter moves (`CustomerDataCache`).
    static let version5 = """
        CREATE TABLE customer_data_generation (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL
        );
        INSERT INTO customer_data_generation (id, generation) VALUES (1, 0);
        CREATE TRIGGER support_levels_insert_bumps_generation AFTER INSERT ON support_levels
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER support_levels_update_bumps_generation AFTER UPDATE ON support_levels
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER support_levels_delete_bumps_generation AFTER DELETE ON support_levels
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER incident_types_insert_bumps_generation AFTER INSERT ON incident_types
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER incident_types_update_bumps_generation AFTER UPDATE ON incident_types
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER incident_types_delete_bumps_generation AFTER DELETE ON incident_types
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER customers_insert_bumps_generation AFTER INSERT ON customers
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER customers_update_bumps_generation AFTER UPDATE ON customers
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER customers_delete_bumps_generation AFTER DELETE ON customers
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contacts_insert_bumps_generation AFTER INSERT ON contacts
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contacts_update_bumps_generation AFTER UPDATE ON contacts
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contacts_delete_bumps_generation AFTER DELETE ON contacts
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contracts_insert_bumps_generation AFTER INSERT ON contracts
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contracts_update_bumps_generation AFTER UPDATE ON contracts
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contracts_delete_bumps_generation AFTER DELETE ON contracts
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contract_totals_insert_bumps_generation AFTER INSERT ON contract_totals
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contract_totals_update_bumps_generation AFTER UPDATE ON contract_totals
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        CREATE TRIGGER contract_totals_delete_bumps_generation AFTER DELETE ON contract_totals
        BEGIN
            UPDATE customer_data_generation SET generation = generation + 1;
        END;
        """

    /// Indexes whose inserts land near one end, so that a command's writes touch the same few
    /// pages however large the history is.
    ///
    /// `ledger_by_customer (customer_id, at)` put each new row beside that customer's older
    /// rows, a different leaf page for each of thousands of customers, mostly not in the page
    /// cache. The new index leads with the UTC day (`at / 86400`), so today's rows go to today's
    /// small subtree, and the queries by customer seek it once per day.
    ///
    /// `redemptions_by_contract` goes because no statement reads redemptions by contract:
    /// `verifyLedger` reads the whole table. The foreign key to `contracts` would need it only
    /// when a contract is deleted or its id changes, and the customer data import never does
    /// either: it upserts contracts on their id, and nothing deletes them.
    static let version6 = """
        DROP INDEX redemptions_by_contract;
        DROP INDEX ledger_by_customer;
        CREATE INDEX ledger_by_day_and_customer ON ledger (at / 86400, customer_id, at);
        """

    static let version1 = """
        CREATE TABLE support_levels (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            level_group TEXT NOT NULL,
            max_first_response_seconds INTEGER NOT NULL CHECK (max_first_response_seconds >= 0)
        ) WITHOUT ROWID;

        CREATE TABLE incident_types (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
            title TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE customers (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
            name TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE contacts (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
            customer_id TEXT NOT NULL REFERENCES customers (id),
            name TEXT NOT NULL,
            email TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX contacts_by_customer ON contacts (customer_id);
        CREATE INDEX contacts_by_email ON contacts (email COLLATE NOCASE);

        CREATE TABLE contracts (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 50),
            customer_id TEXT NOT NULL REFERENCES customers (id),
            support_level_id TEXT NOT NULL REFERENCES support_levels (id),
            starts_at INTEGER NOT NULL,
            ends_at INTEGER NOT NULL CHECK (ends_at >= starts_at),
            grace_days INTEGER NOT NULL CHECK (grace_days >= 0),
            is_per_incident INTEGER NOT NULL CHECK (is_per_incident IN (0, 1)),
            allows_overage INTEGER NOT NULL DEFAULT 0 CHECK (allows_overage IN (0, 1))
        ) WITHOUT ROWID;
        CREATE INDEX contracts_by_customer ON contracts (customer_id);

        CREATE TABLE contract_totals (
            contract_id TEXT NOT NULL REFERENCES contracts (id),
            incident_type TEXT NOT NULL REFERENCES incident_types (id),
            total INTEGER NOT NULL CHECK (total >= 0),
            low_water_mark INTEGER CHECK (low_water_mark >= 0),
            PRIMARY KEY (contract_id, incident_type)
        ) WITHOUT ROWID;

        -- Live redemptions per contract and type, kept in step with `redemptions` by the
        -- redeem and un-redeem statements; verification recounts it from the ledger.
        CREATE TABLE incident_counts (
            contract_id TEXT NOT NULL REFERENCES contracts (id),
            incident_type TEXT NOT NULL REFERENCES incident_types (id),
            used INTEGER NOT NULL CHECK (used >= 0),
            PRIMARY KEY (contract_id, incident_type)
        ) WITHOUT ROWID;

        CREATE TABLE account_managers (
            customer_id TEXT NOT NULL REFERENCES customers (id),
            user_id TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
            PRIMARY KEY (customer_id, user_id)
        ) WITHOUT ROWID;

        CREATE TABLE customer_notes (
            customer_id TEXT PRIMARY KEY NOT NULL REFERENCES customers (id),
            note TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE issues (
            id INTEGER PRIMARY KEY CHECK (id > 0),
            project_id INTEGER NOT NULL CHECK (project_id > 0),
            customer_id TEXT NOT NULL REFERENCES customers (id),
            contact_id TEXT NOT NULL REFERENCES contacts (id),
            contract_id TEXT NOT NULL REFERENCES contracts (id),
            created_at INTEGER NOT NULL
        );

        CREATE TABLE ledger (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            command_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('redeem', 'unredeem')),
            actor TEXT,
            at INTEGER NOT NULL,
            customer_id TEXT NOT NULL,
            contract_id TEXT NOT NULL,
            issue_id INTEGER NOT NULL,
            incident_type TEXT NOT NULL,
            total_after INTEGER NOT NULL,
            used_after INTEGER NOT NULL,
            remaining_after INTEGER NOT NULL CHECK (remaining_after >= 0)
        );
        CREATE INDEX ledger_by_issue ON ledger (issue_id);
        CREATE INDEX ledger_by_customer ON ledger (customer_id, at);
        CREATE TRIGGER ledger_rejects_update BEFORE UPDATE ON ledger
        BEGIN
            SELECT RAISE(ABORT, 'the ledger is append-only: rows cannot be updated');
        END;
        CREATE TRIGGER ledger_rejects_delete BEFORE DELETE ON ledger
        BEGIN
            SELECT RAISE(ABORT, 'the ledger is append-only: rows cannot be deleted');
        END;

        -- One row per live redemption; its id is the ledger id of the redeem that made it.
        CREATE TABLE redemptions (
            ledger_id INTEGER PRIMARY KEY REFERENCES ledger (id),
            issue_id INTEGER NOT NULL REFERENCES issues (id),
            incident_type TEXT NOT NULL REFERENCES incident_types (id),
            contract_id TEXT NOT NULL REFERENCES contracts (id),
            redeemed_at INTEGER NOT NULL,
            UNIQUE (issue_id, incident_type)
        );
        CREATE INDEX redemptions_by_contract ON redemptions (contract_id, incident_type);

        CREATE TABLE inbox (
            message_id TEXT PRIMARY KEY NOT NULL,
            routing_key TEXT NOT NULL,
            received_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            exchange TEXT NOT NULL,
            routing_key TEXT NOT NULL,
            message_id TEXT NOT NULL,
            correlation_id TEXT,
            type TEXT,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            created_at_ms INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt_at_ms INTEGER
        );
        CREATE INDEX outbox_by_created_at ON outbox (created_at_ms);

        CREATE TABLE worker_heartbeats (
            worker_id TEXT PRIMARY KEY NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_at_ms INTEGER NOT NULL,
            last_activity_at_ms INTEGER NOT NULL,
            state TEXT NOT NULL,
            counters TEXT NOT NULL
        ) WITHOUT ROWID;
        """
}
