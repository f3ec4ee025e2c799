namespace ChatOps.Embedded.Sqlite;

/// <summary>
/// The store's schema, in order. Conventions: instants are ISO-8601 UTC text
/// (<c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>, so text order is time order), enums snake_case text,
/// lists and maps JSON text.
/// </summary>
public static class SqliteMigrations
{
    public static readonly SqliteMigration Initial = new(1, "initial", """
        CREATE TABLE servers (
            id          TEXT NOT NULL PRIMARY KEY,
            name        TEXT NULL,
            tags        TEXT NOT NULL,
            created_at  TEXT NOT NULL
        );

        CREATE TABLE agent_credentials (
            server_id   TEXT NOT NULL PRIMARY KEY,
            token_hash  TEXT NOT NULL UNIQUE,
            generation  INTEGER NOT NULL,
            enrolled_at TEXT NOT NULL,
            revoked_at  TEXT NULL
        );

        -- The primary key on id is the at-most-once guarantee: a redelivered request cannot
        -- create a second execution.
        CREATE TABLE commands (
            id                     TEXT NOT NULL PRIMARY KEY,
            request_id             TEXT NOT NULL,
            server_id              TEXT NOT NULL,
            command_name           TEXT NOT NULL,
            action                 TEXT NULL,
            args                   TEXT NOT NULL,
            text                   TEXT NOT NULL,
            requester_user_id      TEXT NOT NULL,
            requester_identity     TEXT NOT NULL,
            requester_display_name TEXT NOT NULL,
            reply_to               TEXT NOT NULL,
            state                  TEXT NOT NULL,
            fencing_token          INTEGER NULL,
            exit_code              INTEGER NULL,
            error                  TEXT NULL,
            timeout_ms             INTEGER NOT NULL,
            created_at             TEXT NOT NULL,
            started_at             TEXT NULL,
            finished_at            TEXT NULL
        );
        CREATE INDEX ix_commands_request_id ON commands (request_id);
        CREATE INDEX ix_commands_state_created_at ON commands (state, created_at);
        CREATE INDEX ix_commands_server_created_at ON commands (server_id, created_at);
        CREATE INDEX ix_commands_created_at ON commands (created_at);

        CREATE TABLE command_output (
            command_id TEXT NOT NULL REFERENCES commands (id),
            seq        INTEGER NOT NULL,
            stream     TEXT NOT NULL,
            text       TEXT NOT NULL,
            at         TEXT NOT NULL,
            PRIMARY KEY (command_id, seq)
        );

        CREATE TABLE audit_events (
            id      TEXT NOT NULL PRIMARY KEY,
            at      TEXT NOT NULL,
            actor   TEXT NOT NULL,
            action  TEXT NOT NULL,
            target  TEXT NULL,
            outcome TEXT NOT NULL,
            detail  TEXT NULL
        );
        CREATE INDEX ix_audit_events_at ON audit_events (at);
        CREATE INDEX ix_audit_events_actor_at ON audit_events (actor, at);
        CREATE INDEX ix_audit_events_target_at ON audit_events (target, at);

        -- The audit log is append-only even for someone with a SQL shell.
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN
            SELECT RAISE(ABORT, 'audit_events is append-only');
        END;
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN
            SELECT RAISE(ABORT, 'audit_events is append-only');
        END;

        CREATE TABLE users (
            id           TEXT NOT NULL PRIMARY KEY,
            display_name TEXT NOT NULL,
            roles        TEXT NOT NULL,
            created_at   TEXT NOT NULL
        );

        CREATE TABLE user_identities (
            identity TEXT NOT NULL PRIMARY KEY,
            user_id  TEXT NOT NULL REFERENCES users (id)
        );
        CREATE INDEX ix_user_identities_user_id ON user_identities (user_id);

        CREATE TABLE api_keys (
            id         TEXT NOT NULL PRIMARY KEY,
            user_id    TEXT NOT NULL REFERENCES users (id),
            name       TEXT NOT NULL,
            key_hash   TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT NULL
        );

        CREATE TABLE chat_threads (
            id         TEXT NOT NULL PRIMARY KEY,
            channel    TEXT NOT NULL,
            user_id    TEXT NOT NULL,
            command_id TEXT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE chat_messages (
            thread_id  TEXT NOT NULL REFERENCES chat_threads (id),
            seq        INTEGER NOT NULL,
            author     TEXT NOT NULL,
            text       TEXT NOT NULL,
            at         TEXT NOT NULL,
            dedupe_key TEXT NULL,
            PRIMARY KEY (thread_id, seq),
            UNIQUE (thread_id, dedupe_key)
        );
        """);

    /// <summary>Every migration of this build, ascending.</summary>
    /// <summary>The status a web-channel thread shows, written by the notifier after its messages.</summary>
    public static readonly SqliteMigration ThreadStatus = new(2, "chat thread status", """
        ALTER TABLE chat_threads ADD COLUMN status TEXT NULL;
        """);

    /// <summary>
    /// Alerting: rules kept in the store, alerts (one active per fingerprint), silences, the
    /// notification ledger (claims and alert threads) and the email/webhook outbox.
    /// </summary>
    public static readonly SqliteMigration Alerting = new(3, "alerting", """
        CREATE TABLE alert_rules (
            name       TEXT NOT NULL PRIMARY KEY,
            definition TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE alerts (
            id                TEXT NOT NULL PRIMARY KEY,
            fingerprint       TEXT NOT NULL,
            rule_name         TEXT NOT NULL,
            server_id         TEXT NOT NULL,
            labels            TEXT NOT NULL,
            condition         TEXT NOT NULL,
            severity          TEXT NOT NULL,
            state             TEXT NOT NULL,
            value             REAL NULL,
            detail            TEXT NULL,
            terms             TEXT NOT NULL,
            started_at        TEXT NOT NULL,
            fired_at          TEXT NULL,
            clear_since       TEXT NULL,
            last_sample_at    TEXT NULL,
            acknowledged_at   TEXT NULL,
            acknowledged_by   TEXT NULL,
            resolved_at       TEXT NULL,
            resolved_by       TEXT NULL,
            escalations       INTEGER NOT NULL DEFAULT 0,
            last_escalated_at TEXT NULL,
            silenced_by       TEXT NULL,
            pending_event     TEXT NULL,
            version           INTEGER NOT NULL,
            updated_at        TEXT NOT NULL
        );
        -- At most one active alert per fingerprint: two evaluators can never open the same alert twice.
        CREATE UNIQUE INDEX ux_alerts_active_fingerprint ON alerts (fingerprint) WHERE state <> 'resolved';
        CREATE INDEX ix_alerts_state_server ON alerts (state, server_id);
        CREATE INDEX ix_alerts_resolved_at ON alerts (resolved_at) WHERE resolved_at IS NOT NULL;
        CREATE INDEX ix_alerts_started_at ON alerts (started_at);

        CREATE TABLE silences (
            id         TEXT NOT NULL PRIMARY KEY,
            target     TEXT NOT NULL,
            rule       TEXT NULL,
            starts_at  TEXT NOT NULL,
            ends_at    TEXT NOT NULL,
            created_by TEXT NOT NULL,
            comment    TEXT NULL,
            created_at TEXT NOT NULL,
            expired_at TEXT NULL
        );
        CREATE INDEX ix_silences_ends_at ON silences (ends_at);

        -- The exactly-once guarantee of announcements: one claim per (subject, route, event).
        CREATE TABLE notification_claims (
            subject      TEXT NOT NULL,
            route        TEXT NOT NULL,
            event        TEXT NOT NULL,
            owner        TEXT NOT NULL,
            claimed_at   TEXT NOT NULL,
            completed_at TEXT NULL,
            PRIMARY KEY (subject, route, event)
        );

        CREATE TABLE alert_threads (
            alert_id   TEXT NOT NULL,
            route      TEXT NOT NULL,
            thread     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (alert_id, route)
        );

        CREATE TABLE notification_outbox (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            subject         TEXT NOT NULL,
            route           TEXT NOT NULL,
            event           TEXT NOT NULL,
            platform        TEXT NOT NULL,
            destination     TEXT NOT NULL,
            title           TEXT NOT NULL,
            body            TEXT NOT NULL,
            payload         TEXT NOT NULL,
            state           TEXT NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            locked_until    TEXT NULL,
            last_error      TEXT NULL,
            created_at      TEXT NOT NULL,
            delivered_at    TEXT NULL,
            UNIQUE (subject, route, event)
        );
        CREATE INDEX ix_notification_outbox_due ON notification_outbox (state, next_attempt_at);
        """);

    /// <summary>
    /// The router asks, for every command, for the oldest queued one on its server. With only
    /// (server_id, created_at) SQLite walked the server's whole history to find it: 69 ms per query
    /// once a server had run 8,000 commands, so routing slowed down as history grew.
    /// </summary>
    public static readonly SqliteMigration ActiveByServer = new(5, "commands by server and state", """
        CREATE INDEX ix_commands_server_state_created_at ON commands (server_id, state, created_at, id);
        """);

    public static readonly IReadOnlyList<SqliteMigration> All = [Initial, ThreadStatus, Alerting, SqliteAccessMigration.Version4, ActiveByServer];
}
