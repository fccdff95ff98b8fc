-- Chats, their members and their messages.
CREATE TABLE chats (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('PRIVATE', 'GROUP')),
    name        text,                                   -- groups only
    owner_id    bigint      REFERENCES users (id),      -- groups only
    user_a_id   bigint      REFERENCES users (id),      -- private chats: the smaller user id
    user_b_id   bigint      REFERENCES users (id),      -- private chats: the larger user id
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- The chat's ordered stream: the number of the last event (message).
    -- Posting updates this row, so sequence numbers follow commit order.
    last_seq    bigint      NOT NULL DEFAULT 0,
    -- The last message's time, or the creation time: orders chat lists.
    activity_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'GROUP' AND name IS NOT NULL AND owner_id IS NOT NULL AND user_a_id IS NULL)
        OR (kind = 'PRIVATE' AND name IS NULL AND user_a_id < user_b_id))
);
-- Exactly one private chat per pair of users.
CREATE UNIQUE INDEX chats_private_pair_key ON chats (user_a_id, user_b_id) WHERE kind = 'PRIVATE';

CREATE TABLE chat_members (
    chat_id       bigint      NOT NULL REFERENCES chats (id),
    user_id       bigint      NOT NULL REFERENCES users (id),
    joined_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The read marker: the sequence number of the last message read.
    last_read_seq bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_members_user_idx ON chat_members (user_id, chat_id);
CREATE INDEX chat_members_joined_idx ON chat_members (chat_id, joined_at, user_id);

CREATE TABLE messages (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id           bigint      NOT NULL REFERENCES chats (id),
    seq               bigint      NOT NULL,
    sender_id         bigint      NOT NULL REFERENCES users (id),
    body              text        NOT NULL,
    client_message_id text,
    -- clock_timestamp(), not now(): taken after the chat's row lock, so
    -- times follow sequence numbers even under concurrent posting.
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (chat_id, seq)
);
-- Retries with the same client id return the original message.
CREATE UNIQUE INDEX messages_client_id_key ON messages (chat_id, sender_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
