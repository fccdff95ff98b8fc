-- gqlchat_refuse fails the statement that calls it, with SQLSTATE GQ001
-- and the reason given. A statement that is its own transaction (a plain
-- post to a group, chat/messages.go) calls it when a check that only its
-- last part can make fails: the failure undoes everything the statement
-- did, as a rollback would, without a transaction's extra round trips.
CREATE FUNCTION gqlchat_refuse(reason text) RETURNS integer
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'GQ001', MESSAGE = reason;
END
$$;
