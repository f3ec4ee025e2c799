namespace ChatOps.Postgres;

/// <summary>
/// The store's schema, in order. The same tables and constraints as the SQLite store, in
/// PostgreSQL's own types: instants are timestamptz, lists and maps jsonb, enums snake_case text,
/// and ids are <c>text COLLATE "C"</c> so that ordering by id is by code point, as in SQLite.
/// </summary>
public static class PostgresMigrations
{
    public static readonly PostgresMigration Initial = new(1, "initial", """
        CREATE TABLE servers (
            id          text COLLATE "C" NOT NULL PRIMARY KEY,
            name        text NULL,
            tags        jsonb NOT NULL,
            created_at  timestamptz NOT NULL
        );

        CREATE TABLE agent_credentials (
            server_id   text COLLATE "C" NOT NULL PRIMARY KEY,
            token_hash  text COLLATE "C" NOT NULL CONSTRAINT agent_credentials_token_hash_key UNIQUE,
            generation  bigint NOT NULL,
            enrolled_at timestamptz NOT NULL,
            revoked_at  timestamptz NULL
        );

        -- The primary key on id is the at-most-once guarantee: a redelivered request cannot
        -- create a second execution.
        CREATE TABLE commands (
            id                     text COLLATE "C" NOT NULL PRIMARY KEY,
            request_id             text COLLATE "C" NOT NULL,
            server_id              text COLLATE "C" NOT NULL,
            command_name           text NOT NULL,
            action                 text NULL,
            args                   jsonb NOT NULL,
            text                   text NOT NULL,
            requester_user_id      text NOT NULL,
            requester_identity     text NOT NULL,
            requester_display_name text NOT NULL,
            reply_to               jsonb NOT NULL,
            state                  text NOT NULL,
            fencing_token          bigint NULL,
            exit_code              integer NULL,
            error                  text NULL,
            timeout_ms             bigint NOT NULL,
            created_at             timestamptz NOT NULL,
            started_at             timestamptz NULL,
            finished_at            timestamptz NULL
        );
        CREATE INDEX ix_commands_request_id ON commands (request_id, created_at, id);
        CREATE INDEX ix_commands_state_created_at ON commands (state, created_at, id);
        CREATE INDEX ix_commands_server_created_at ON commands (server_id, created_at, id);
        CREATE INDEX ix_commands_created_at ON commands (created_at, id);

        CREATE TABLE command_output (
            command_id text COLLATE "C" NOT NULL REFERENCES commands (id),
            seq        bigint NOT NULL,
            stream     text NOT NULL,
            text       text NOT NULL,
            at         timestamptz NOT NULL,
            PRIMARY KEY (command_id, seq)
        );

        CREATE TABLE audit_events (
            id      text COLLATE "C" NOT NULL PRIMARY KEY,
            at      timestamptz NOT NULL,
            actor   text COLLATE "C" NOT NULL,
            action  text COLLATE "C" NOT NULL,
            target  text COLLATE "C" NULL,
            outcome text NOT NULL,
            detail  text NULL
        );
        CREATE INDEX ix_audit_events_at ON audit_events (at, id);
        CREATE INDEX ix_audit_events_actor_at ON audit_events (actor, at);
        CREATE INDEX ix_audit_events_action_at ON audit_events (action, at);
        CREATE INDEX ix_audit_events_target_at ON audit_events (target, at);

        -- The audit log is append-only even for someone with a SQL shell (short of dropping the
        -- trigger, which needs the table's owner).
        CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END
        $$;
        CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
        CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

        CREATE TABLE users (
            id           text COLLATE "C" NOT NULL PRIMARY KEY,
            display_name text NOT NULL,
            roles        jsonb NOT NULL,
            created_at   timestamptz NOT NULL
        );

        CREATE TABLE user_identities (
            identity text COLLATE "C" NOT NULL PRIMARY KEY,
            user_id  text COLLATE "C" NOT NULL REFERENCES users (id)
        );
        CREATE INDEX ix_user_identities_user_id ON user_identities (user_id, identity);

        CREATE TABLE api_keys (
            id         text COLLATE "C" NOT NULL PRIMARY KEY,
            user_id    text COLLATE "C" NOT NULL REFERENCES users (id),
            name       text NOT NULL,
            key_hash   text COLLATE "C" NOT NULL UNIQUE,
            created_at timestamptz NOT NULL,
            revoked_at timestamptz NULL
        );

        CREATE TABLE chat_threads (
            id         text COLLATE "C" NOT NULL PRIMARY KEY,
            channel    text NOT NULL,
            user_id    text COLLATE "C" NOT NULL,
            command_id text COLLATE "C" NULL,
            created_at timestamptz NOT NULL,
            -- The status a web-channel thread shows, written by the notifier after its messages.
            status     text NULL
        );

        CREATE TABLE chat_messages (
            thread_id  text COLLATE "C" NOT NULL REFERENCES chat_threads (id),
            seq        bigint NOT NULL,
            author     text NOT NULL,
            text       text NOT NULL,
            at         timestamptz NOT NULL,
            dedupe_key text COLLATE "C" NULL,
            PRIMARY KEY (thread_id, seq),
            UNIQUE (thread_id, dedupe_key)
        );
        """);

    /// <summary>
    /// Metric samples and their 1-minute and 1-hour rollups. With TimescaleDB (see
    /// <see cref="TimescaleMode"/>, passed in as the <c>chatops.timescale</c> setting): a hypertable
    /// with compression and continuous aggregates. Otherwise: daily range partitions (created by
    /// <see cref="PostgresMetricsMaintenance"/>) and rollup tables it maintains. Both
    /// expose the same columns, so the same queries read either. Policies whose durations come
    /// from configuration are applied at start-up, not here.
    /// </summary>
    public static readonly PostgresMigration Metrics = new(2, "metrics", """
        CREATE TABLE metrics_backend (
            singleton boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (singleton),
            kind      text NOT NULL CHECK (kind IN ('timescaledb', 'partitioned'))
        );

        -- How far the rollup job has aggregated (plain partitioning only); buckets from here on
        -- are aggregated from raw samples when queried.
        CREATE TABLE metric_rollup_state (
            resolution   text NOT NULL PRIMARY KEY CHECK (resolution IN ('1m', '1h')),
            rolled_up_to timestamptz NOT NULL
        );

        DO $metrics$
        DECLARE
            mode text := coalesce(nullif(current_setting('chatops.timescale', true), ''), 'auto');
            ts text;
        BEGIN
            IF mode <> 'disabled' THEN
                SELECT n.nspname INTO ts FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb';
                IF ts IS NULL AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
                    BEGIN
                        CREATE EXTENSION IF NOT EXISTS timescaledb;
                        SELECT n.nspname INTO ts FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb';
                    EXCEPTION WHEN OTHERS THEN
                        -- Offered but not loadable (not in shared_preload_libraries) or not permitted.
                        RAISE NOTICE 'timescaledb is available but could not be created (%); using plain partitioning', SQLERRM;
                    END;
                END IF;
                IF mode = 'required' AND ts IS NULL THEN
                    RAISE EXCEPTION 'ChatOps:Postgres:Metrics:Timescale is Required, but the timescaledb extension is not usable in this database';
                END IF;
            END IF;

            IF ts IS NOT NULL THEN
                CREATE TABLE metric_samples (
                    server_id text COLLATE "C" NOT NULL,
                    name      text COLLATE "C" NOT NULL,
                    labels    jsonb NOT NULL DEFAULT '{}',
                    at        timestamptz NOT NULL,
                    value     double precision NOT NULL,
                    PRIMARY KEY (server_id, name, at, labels)
                );
                EXECUTE format('SELECT %I.create_hypertable(%L::regclass, %L::name, chunk_time_interval => INTERVAL ''1 day'')', ts, 'metric_samples', 'at');
                -- Every column of the unique key must be a segment or order column, or TimescaleDB
                -- cannot enforce it on compressed chunks; one segment per series.
                ALTER TABLE metric_samples SET (timescaledb.compress, timescaledb.compress_segmentby = 'server_id, name, labels', timescaledb.compress_orderby = 'at DESC');
                EXECUTE format($view$
                    CREATE MATERIALIZED VIEW metric_1m WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                    SELECT server_id, name, labels, %I.time_bucket(INTERVAL '1 minute', at) AS bucket,
                           sum(value) AS value_sum, count(*) AS value_count, min(value) AS value_min, max(value) AS value_max
                    FROM metric_samples GROUP BY server_id, name, labels, bucket WITH NO DATA
                    $view$, ts);
                EXECUTE format($view$
                    CREATE MATERIALIZED VIEW metric_1h WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
                    SELECT server_id, name, labels, %I.time_bucket(INTERVAL '1 hour', at) AS bucket,
                           sum(value) AS value_sum, count(*) AS value_count, min(value) AS value_min, max(value) AS value_max
                    FROM metric_samples GROUP BY server_id, name, labels, bucket WITH NO DATA
                    $view$, ts);
                INSERT INTO metrics_backend (kind) VALUES ('timescaledb');
            ELSE
                -- The unique key makes re-appending a snapshot a no-op; it leads with the series and
                -- time, so a chart's range scan is bounded by time, labels filtered on the way.
                CREATE TABLE metric_samples (
                    server_id text COLLATE "C" NOT NULL,
                    name      text COLLATE "C" NOT NULL,
                    labels    jsonb NOT NULL DEFAULT '{}',
                    at        timestamptz NOT NULL,
                    value     double precision NOT NULL,
                    PRIMARY KEY (server_id, name, at, labels)
                ) PARTITION BY RANGE (at);
                -- Rollups scan all series of a time range; samples arrive roughly in time order, so
                -- a BRIN index does that for a few pages per partition.
                CREATE INDEX ix_metric_samples_at ON metric_samples USING brin (at);

                CREATE TABLE metric_1m (
                    server_id   text COLLATE "C" NOT NULL,
                    name        text COLLATE "C" NOT NULL,
                    labels      jsonb NOT NULL,
                    bucket      timestamptz NOT NULL,
                    value_sum   double precision NOT NULL,
                    value_count bigint NOT NULL,
                    value_min   double precision NOT NULL,
                    value_max   double precision NOT NULL,
                    PRIMARY KEY (server_id, name, bucket, labels)
                );
                CREATE INDEX ix_metric_1m_bucket ON metric_1m (bucket);

                CREATE TABLE metric_1h (LIKE metric_1m INCLUDING ALL);
                INSERT INTO metrics_backend (kind) VALUES ('partitioned');
            END IF;
        END
        $metrics$;
        """);

    /// <summary>
    /// Alerting: rules kept in the store, alerts (one active per fingerprint), silences, the
    /// notification ledger (claims and alert threads) and the email/webhook outbox. The SQLite
    /// store's migration 003 in PostgreSQL's types.
    /// </summary>
    public static readonly PostgresMigration Alerting = new(3, "alerting", """
        -- A rule is always read and written whole, so it is one document.
        CREATE TABLE alert_rules (
            name       text COLLATE "C" NOT NULL PRIMARY KEY,
            definition jsonb NOT NULL,
            updated_at timestamptz NOT NULL
        );

        CREATE TABLE alerts (
            id                text COLLATE "C" NOT NULL PRIMARY KEY,
            fingerprint       text COLLATE "C" NOT NULL,
            rule_name         text COLLATE "C" NOT NULL,
            server_id         text COLLATE "C" NOT NULL,
            labels            jsonb NOT NULL,
            condition         text NOT NULL,
            severity          text NOT NULL,
            state             text NOT NULL,
            value             double precision NULL,
            detail            text NULL,
            terms             jsonb NOT NULL,
            started_at        timestamptz NOT NULL,
            fired_at          timestamptz NULL,
            clear_since       timestamptz NULL,
            last_sample_at    timestamptz NULL,
            acknowledged_at   timestamptz NULL,
            acknowledged_by   text NULL,
            resolved_at       timestamptz NULL,
            resolved_by       text NULL,
            escalations       integer NOT NULL DEFAULT 0,
            last_escalated_at timestamptz NULL,
            silenced_by       text COLLATE "C" NULL,
            pending_event     text NULL,
            version           bigint NOT NULL,
            updated_at        timestamptz NOT NULL
        );
        -- At most one active alert per fingerprint: two evaluators can never open the same alert twice.
        CREATE UNIQUE INDEX ux_alerts_active_fingerprint ON alerts (fingerprint) WHERE state <> 'resolved';
        -- The evaluator reads the active alerts (of a server) every tick: a small partial index.
        CREATE INDEX ix_alerts_active_server ON alerts (server_id, started_at) WHERE state <> 'resolved';
        CREATE INDEX ix_alerts_resolved_at ON alerts (resolved_at) WHERE resolved_at IS NOT NULL;
        CREATE INDEX ix_alerts_started_at ON alerts (started_at, id);

        CREATE TABLE silences (
            id         text COLLATE "C" NOT NULL PRIMARY KEY,
            target     text NOT NULL,
            rule       text NULL,
            starts_at  timestamptz NOT NULL,
            ends_at    timestamptz NOT NULL,
            created_by text NOT NULL,
            comment    text NULL,
            created_at timestamptz NOT NULL,
            expired_at timestamptz NULL
        );
        CREATE INDEX ix_silences_ends_at ON silences (ends_at) WHERE expired_at IS NULL;

        -- The exactly-once guarantee of announcements: one claim per (subject, route, event).
        CREATE TABLE notification_claims (
            subject      text COLLATE "C" NOT NULL,
            route        text COLLATE "C" NOT NULL,
            event        text COLLATE "C" NOT NULL,
            owner        text COLLATE "C" NOT NULL,
            claimed_at   timestamptz NOT NULL,
            completed_at timestamptz NULL,
            PRIMARY KEY (subject, route, event)
        );

        CREATE TABLE alert_threads (
            alert_id   text COLLATE "C" NOT NULL,
            route      text COLLATE "C" NOT NULL,
            thread     jsonb NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (alert_id, route)
        );

        -- payload is text, not jsonb: it is the exact document a webhook receives (jsonb would
        -- reorder its keys and drop its spacing).
        CREATE TABLE notification_outbox (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subject         text COLLATE "C" NOT NULL,
            route           text COLLATE "C" NOT NULL,
            event           text COLLATE "C" NOT NULL,
            platform        text NOT NULL,
            destination     text NOT NULL,
            title           text NOT NULL,
            body            text NOT NULL,
            payload         text NOT NULL,
            state           text NOT NULL,
            attempts        integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            locked_until    timestamptz NULL,
            last_error      text NULL,
            created_at      timestamptz NOT NULL,
            delivered_at    timestamptz NULL,
            UNIQUE (subject, route, event)
        );
        -- Drainers look only at pending messages; delivered and failed ones are history.
        CREATE INDEX ix_notification_outbox_due ON notification_outbox (next_attempt_at, id) WHERE state = 'pending';
        """);

    /// <summary>
    /// Sign-in and access control: local password hashes, permission rules, per-command policies
    /// and approvals of high-risk commands. The SQLite store's migration 004 in PostgreSQL's types.
    /// </summary>
    public static readonly PostgresMigration Access = new(4, "access", """
        CREATE TABLE user_passwords (
            user_id       text COLLATE "C" NOT NULL PRIMARY KEY REFERENCES users (id),
            password_hash text NOT NULL,
            updated_at    timestamptz NOT NULL
        );

        -- Role, command and target are compared and sorted like ids: by code point.
        CREATE TABLE permission_rules (
            id         text COLLATE "C" NOT NULL PRIMARY KEY,
            role       text COLLATE "C" NOT NULL,
            command    text COLLATE "C" NOT NULL,
            target     text COLLATE "C" NOT NULL,
            created_at timestamptz NOT NULL,
            created_by text NOT NULL
        );
        CREATE INDEX ix_permission_rules_command ON permission_rules (command);

        -- One row per command an admin changed: its risk override and whether its rules are custom.
        CREATE TABLE command_policies (
            command      text COLLATE "C" NOT NULL PRIMARY KEY,
            risk         text NULL CHECK (risk IN ('low', 'high')),
            custom_rules boolean NOT NULL DEFAULT false,
            updated_at   timestamptz NOT NULL
        );

        -- Decisions are conditional UPDATEs out of 'pending'; the id is the request id.
        CREATE TABLE approvals (
            id                     text COLLATE "C" NOT NULL PRIMARY KEY,
            request_id             text COLLATE "C" NOT NULL,
            command_name           text NOT NULL,
            target                 text NOT NULL,
            action                 text NULL,
            servers                jsonb NOT NULL,
            fingerprint            text COLLATE "C" NOT NULL,
            text                   text NOT NULL,
            requester_user_id      text COLLATE "C" NOT NULL,
            requester_identity     text NOT NULL,
            requester_display_name text NOT NULL,
            reply_to               jsonb NOT NULL,
            state                  text NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
            requested_at           timestamptz NOT NULL,
            expires_at             timestamptz NOT NULL,
            decided_by_user_id     text COLLATE "C" NULL,
            decided_by_name        text NULL,
            decided_at             timestamptz NULL,
            reason                 text NULL
        );
        -- The expiry sweep reads only pending approvals.
        CREATE INDEX ix_approvals_pending_expires_at ON approvals (expires_at) WHERE state = 'pending';
        CREATE INDEX ix_approvals_state_requested_at ON approvals (state, requested_at, id);
        CREATE INDEX ix_approvals_requested_at ON approvals (requested_at, id);
        """);

    /// <summary>Every migration of this build, ascending.</summary>
    /// <summary>
    /// The router asks, for every command, for the oldest queued one on its server; with only
    /// (server_id, created_at, id) that read can walk the server's history (SQLite, migration 5: 69 ms
    /// a query at 8,000 commands). A plain CREATE INDEX holds writes to commands while it builds:
    /// seconds for a few million rows, once, during the upgrade.
    /// </summary>
    public static readonly PostgresMigration ActiveByServer = new(5, "commands by server and state", """
        CREATE INDEX ix_commands_server_state_created_at ON commands (server_id, state, created_at, id);
        """);

    public static readonly IReadOnlyList<PostgresMigration> All = [Initial, Metrics, Alerting, Access, ActiveByServer];
}
