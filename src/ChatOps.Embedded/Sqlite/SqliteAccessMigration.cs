namespace ChatOps.Embedded.Sqlite;

/// <summary>Schema for sign-in, permission rules and approvals (version 4; 3 belongs to alerts).</summary>
public static class SqliteAccessMigration
{
    public static readonly SqliteMigration Version4 = new(4, "passwords, permission rules, command policies, approvals", """
        CREATE TABLE user_passwords (
            user_id       TEXT NOT NULL PRIMARY KEY REFERENCES users (id),
            password_hash TEXT NOT NULL,
            updated_at    TEXT NOT NULL
        );

        CREATE TABLE permission_rules (
            id         TEXT NOT NULL PRIMARY KEY,
            role       TEXT NOT NULL,
            command    TEXT NOT NULL,
            target     TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE INDEX ix_permission_rules_command ON permission_rules (command);

        -- One row per command an admin changed: its risk override and whether its rules are custom.
        CREATE TABLE command_policies (
            command      TEXT NOT NULL PRIMARY KEY,
            risk         TEXT NULL,
            custom_rules INTEGER NOT NULL DEFAULT 0,
            updated_at   TEXT NOT NULL
        );

        -- Decisions are conditional UPDATEs out of 'pending'; the id is the request id.
        CREATE TABLE approvals (
            id                     TEXT NOT NULL PRIMARY KEY,
            request_id             TEXT NOT NULL,
            command_name           TEXT NOT NULL,
            target                 TEXT NOT NULL,
            action                 TEXT NULL,
            servers                TEXT NOT NULL,
            fingerprint            TEXT NOT NULL,
            text                   TEXT NOT NULL,
            requester_user_id      TEXT NOT NULL,
            requester_identity     TEXT NOT NULL,
            requester_display_name TEXT NOT NULL,
            reply_to               TEXT NOT NULL,
            state                  TEXT NOT NULL,
            requested_at           TEXT NOT NULL,
            expires_at             TEXT NOT NULL,
            decided_by_user_id     TEXT NULL,
            decided_by_name        TEXT NULL,
            decided_at             TEXT NULL,
            reason                 TEXT NULL
        );
        CREATE INDEX ix_approvals_state_expires_at ON approvals (state, expires_at);
        CREATE INDEX ix_approvals_requested_at ON approvals (requested_at);
        """);
}
