-- Presence: who is online, across instances, surviving an instance's crash.

-- The announced state: online flips at most once per debounce window (see
-- chat/presence.go), so it is what subscribers were told, not a count of
-- sockets. last_seen_at is when the user's last connection closed.
ALTER TABLE users
    ADD COLUMN online              boolean NOT NULL DEFAULT false,
    ADD COLUMN last_seen_at        timestamptz,
    ADD COLUMN presence_changed_at timestamptz;

-- Each running instance's heartbeat: an instance whose row expired is dead,
-- and any other instance closes its connections' rows.
CREATE TABLE presence_instances (
    id           text        PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX presence_instances_expires_idx ON presence_instances (expires_at);

-- One row per user and instance with a WebSocket of theirs: open while
-- closed_at is null, then kept until the sweeper has announced the user
-- offline (or found them connected elsewhere).
CREATE TABLE presence (
    user_id     bigint      NOT NULL REFERENCES users (id),
    instance_id text        NOT NULL,
    closed_at   timestamptz,
    PRIMARY KEY (user_id, instance_id)
);
CREATE INDEX presence_closed_idx ON presence (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX presence_instance_idx ON presence (instance_id) WHERE closed_at IS NULL;
