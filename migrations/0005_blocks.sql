-- Blocks: one user stopping another from reaching them. A row means
-- blocker_id blocked blocked_id; a pair may hold a row each way, each
-- undone only by its own blocker. Accounts are deleted as tombstones, so the
-- cascades serve only hard deletes (tests, manual clean-ups); an account
-- deletion removes its blocks itself.
CREATE TABLE user_blocks (
    blocker_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
-- The other direction ("who blocked me"), for the exclusion checks and the
-- clean-up of a deleted account; the blocker's list, newest first.
CREATE INDEX user_blocks_blocked_idx ON user_blocks (blocked_id, blocker_id);
CREATE INDEX user_blocks_list_idx ON user_blocks (blocker_id, created_at DESC, blocked_id DESC);
