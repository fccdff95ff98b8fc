-- When each user's row on an instance was last opened. A crashed
-- instance's users were last seen at its last heartbeat, but never before
-- they connected: one who connected after that heartbeat was last seen
-- when they connected (chat/presencesweep.go).
ALTER TABLE presence ADD COLUMN opened_at timestamptz NOT NULL DEFAULT now();
