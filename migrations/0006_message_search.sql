-- Full-text search over message bodies (searchMessages).
--
-- An expression index rather than a stored tsvector column: it follows
-- edits by itself all the same, costs no table rewrite and no heap space,
-- and keeps the tsvector out of every `SELECT messages.*` of the history.
-- 'simple' lowercases and does not stem, so it treats every language
-- alike. Deleted messages (empty tombstones) are left out of the index;
-- the queries say `deleted_at IS NULL` to use it.
--
-- No pg_trgm: the last word is matched as a prefix through this index,
-- which is what search-as-you-type needs, and a trigram index on bodies
-- would be about three times their size for substring matches inside
-- words that nobody asked for.
CREATE INDEX messages_search_idx ON messages
    USING gin (to_tsvector('simple', body)) WHERE deleted_at IS NULL;
