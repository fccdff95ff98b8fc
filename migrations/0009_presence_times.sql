-- When each user's row on an instance was last opened. A crashed
-- instance's users were last seen at its last heartbeat, but never before
-- they connected: one who connected after that heartbeat was last seen
-- when they connected (chat/presencesweep.go).
ALTER TABLE presence ADD COLUMN opened_at timestamptz NOT NULL DEFAULT now();

-- The users whose presence changed lately: what a resync sends again to
-- presenceChanged subscribers (chat/presenceresync.go), without reading
-- every user.
CREATE INDEX users_presence_changed_idx ON users (presence_changed_at) WHERE presence_changed_at IS NOT NULL;
