-- Accounts and their sessions.
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL,
    display_name  text        NOT NULL,
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);

-- Usernames are unique without regard to case among live accounts only, so a
-- deleted account frees its name while its tombstone row stays.
CREATE UNIQUE INDEX users_username_key ON users (lower(username)) WHERE deleted_at IS NULL;
-- Prefix search on display names (usernames use the unique index above).
CREATE INDEX users_display_name_idx ON users (lower(display_name) text_pattern_ops, id) WHERE deleted_at IS NULL;
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops) WHERE deleted_at IS NULL;

CREATE TABLE sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id) WHERE revoked_at IS NULL;
