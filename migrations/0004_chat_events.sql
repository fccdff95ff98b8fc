-- The event log: every change to a chat is an event with the next position
-- in that chat, written in the transaction that made the change.
ALTER TABLE chats
    ADD COLUMN last_pos   bigint NOT NULL DEFAULT 0,
    -- Where the kept log begins: events up to pruned_pos, the last written
    -- by transaction pruned_xid, were deleted for their age.
    ADD COLUMN pruned_pos bigint NOT NULL DEFAULT 0,
    ADD COLUMN pruned_xid xid8;

ALTER TABLE messages
    ADD COLUMN pos         bigint,                              -- its MESSAGE_POSTED event
    ADD COLUMN reply_to_id bigint REFERENCES messages (id),    -- the message it answers
    ADD COLUMN edited_at   timestamptz,
    ADD COLUMN deleted_at  timestamptz;                         -- a tombstone: body ''

CREATE TABLE chat_events (
    chat_id    bigint      NOT NULL REFERENCES chats (id),
    -- Taken from chats.last_pos under the chat's row lock, so positions
    -- follow commit order: whoever has seen an event has seen those before it.
    pos        bigint      NOT NULL,
    kind       text        NOT NULL CHECK (kind IN ('MESSAGE_POSTED', 'MESSAGE_EDITED', 'MESSAGE_DELETED',
                   'REACTIONS_CHANGED', 'MEMBER_JOINED', 'MEMBER_LEFT', 'CHAT_RENAMED', 'READ_MARKER_MOVED')),
    user_id    bigint      REFERENCES users (id),      -- the member who joined or left; whose marker moved
    actor_id   bigint      REFERENCES users (id),      -- who invited, removed or renamed
    message_id bigint      REFERENCES messages (id),
    name       text,                                   -- a rename's new name
    -- The writing transaction: sync tokens are snapshots, and an event is
    -- new to a token when its transaction is not visible in it.
    xid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    -- What the writing statement saw, taken after the chat's row lock: with
    -- the event's own position, its place among all chats' events (the
    -- sync token of an event replayed for its chat alone).
    seen       pg_snapshot NOT NULL DEFAULT pg_current_snapshot(),
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (chat_id, pos)
);
CREATE INDEX chat_events_xid_idx ON chat_events (xid);
CREATE INDEX chat_events_at_idx ON chat_events (at); -- for pruning by age

-- When each user was a member of each chat, in log positions: events go to
-- the members at the time of the event only, also when replayed.
CREATE TABLE chat_member_spans (
    chat_id  bigint NOT NULL REFERENCES chats (id),
    user_id  bigint NOT NULL REFERENCES users (id),
    from_pos bigint NOT NULL,   -- their MEMBER_JOINED (0: a member from before the log)
    to_pos   bigint,            -- their MEMBER_LEFT; null while a member
    PRIMARY KEY (chat_id, user_id, from_pos)
);
CREATE INDEX chat_member_spans_user_idx ON chat_member_spans (user_id, chat_id);

CREATE TABLE message_reactions (
    message_id bigint      NOT NULL REFERENCES messages (id),
    emoji      text        NOT NULL,
    user_id    bigint      NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (message_id, emoji, user_id)
);

-- The log of a database that had messages before it: their postings, with
-- the same numbers, and every member a member from the start.
INSERT INTO chat_events (chat_id, pos, kind, message_id, at)
    SELECT chat_id, seq, 'MESSAGE_POSTED', id, created_at FROM messages;
UPDATE messages SET pos = seq;
ALTER TABLE messages ALTER COLUMN pos SET NOT NULL;
UPDATE chats SET last_pos = last_seq;
INSERT INTO chat_member_spans (chat_id, user_id, from_pos) SELECT chat_id, user_id, 0 FROM chat_members;
