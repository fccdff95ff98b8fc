-- Friend requests and the friendships they create.
CREATE TABLE friend_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_id      bigint      NOT NULL REFERENCES users (id),
    to_id        bigint      NOT NULL REFERENCES users (id),
    status       text        NOT NULL DEFAULT 'UNREAD'
                 CHECK (status IN ('UNREAD', 'READ', 'ACCEPTED', 'REJECTED', 'CANCELED')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    responded_at timestamptz,
    CHECK (from_id <> to_id)
);
-- At most one pending request per pair of users, whichever way it points:
-- two users sending each other a request at once cannot both succeed.
CREATE UNIQUE INDEX friend_requests_pending_pair_key
    ON friend_requests (least(from_id, to_id), greatest(from_id, to_id))
    WHERE status IN ('UNREAD', 'READ');
-- Incoming and outgoing lists, newest first.
CREATE INDEX friend_requests_to_idx   ON friend_requests (to_id, created_at DESC, id DESC);
CREATE INDEX friend_requests_from_idx ON friend_requests (from_id, created_at DESC, id DESC);

-- A friendship is stored once in each direction so that either side's
-- friends list is one index range.
CREATE TABLE friendships (
    user_id    bigint      NOT NULL REFERENCES users (id),
    friend_id  bigint      NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, friend_id),
    CHECK (user_id <> friend_id)
);
CREATE INDEX friendships_friend_id_idx ON friendships (friend_id);
