package chat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/gqlchat/gqlchat/models"
)

// The log reader's read is on the path of every live event, so it is one
// round trip: the transaction, the snapshot, the new events and every row
// their streams show go to PostgreSQL as one pgx pipeline. Each load
// selects its rows through the same "new events" condition rather than
// through ids from the events, which are not known until the reply: in a
// REPEATABLE READ transaction every statement sees the first one's
// snapshot, so they all see the same events. Sequential queries through
// GORM took nine round trips, and on a busy machine each is a wait for
// the CPU (p50 7-10 ms a read, p90 17-46 ms, at 200 events/s).

// newEvents selects the events a snapshot did not see: those of
// transactions from its xmax on, and of those in progress when it was
// taken, both through the xid index, so a read costs what is new however
// old the oldest open transaction. $1 is the xmax, $2 the in-progress ids,
// $3 an upper bound no transaction id reaches: pgx prepares each
// statement, PostgreSQL plans it generically after five runs, and a
// generic plan takes "xid >= $1" for a third of the log (and scans tables
// whole), but a range for half a percent of it.
const newEvents = `(SELECT * FROM chat_events e WHERE (e.xid >= CAST($1 AS text)::xid8
	AND e.xid < CAST($3 AS text)::xid8) OR e.xid = ANY(CAST($2 AS text)::xid8[]))`

// noXID is above every transaction id (xid8 counts from 3 up to 2^63).
const noXID = "9223372036854775807"

// newMessages are the messages the new events name, and the last message
// of each of their chats (which an inbox shows), with the messages those
// answer added by the statement that uses it. Every load goes through an
// index with "= ANY(ARRAY(subquery))" or a lateral lookup: with "IN
// (subquery)" the planner hash-joined whole tables it deemed small (13 ms
// a read on a benchmark's 8,000 messages, against 0.3 ms).
const newMessages = `WITH ev AS ` + newEvents + `,
	m AS (SELECT * FROM messages WHERE id = ANY(ARRAY(SELECT message_id FROM ev))
		UNION SELECT last.* FROM chats c CROSS JOIN LATERAL (SELECT * FROM messages
			WHERE chat_id = c.id AND seq = c.last_seq) last
		WHERE c.id = ANY(ARRAY(SELECT chat_id FROM ev)) AND c.last_seq > 0),
	mm AS (SELECT * FROM m UNION SELECT * FROM messages WHERE id = ANY(ARRAY(SELECT reply_to_id FROM m)))`

// logRead is one read of the log: the snapshot it took, the events it did
// not see before, and the rows they name.
type logRead struct {
	next snapshot
	evs  []*Event
	eventRows
}

// eventRows are the rows a batch of events names: their chats, messages
// (with the chats' last ones and the messages they answer), users, the
// chats' members with their read markers, and the messages' reactions.
type eventRows struct {
	chats     []*models.Chat
	msgs      []*models.Message
	users     []*models.User
	members   []*models.ChatMember
	reactions []*models.MessageReaction
	// everyMember says members holds every member of the chats, in member
	// order (the live read), not one reader's markers (a replay).
	everyMember bool
}

// readLog reads what prev did not see, in one round trip.
func readLog(ctx context.Context, db *gorm.DB, prev snapshot) (*logRead, error) {
	out := &logRead{eventRows: eventRows{everyMember: true}}
	if err := withPgx(ctx, db, func(c *pgx.Conn) error { return out.run(ctx, c, prev) }); err != nil {
		return nil, fmt.Errorf("event log reader: %w", err)
	}
	return out, nil
}

// run sends the read's statements as one pipeline and scans their rows.
func (out *logRead) run(ctx context.Context, c *pgx.Conn, prev snapshot) error {
	xmax, xip := strconv.FormatUint(prev.xmax, 10), pgArray(prev.xip)
	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`)
	b.Queue(`SELECT pg_current_snapshot()::text`).QueryRow(func(row pgx.Row) error {
		var text string
		if err := row.Scan(&text); err != nil {
			return err
		}
		next, err := parseSnapshot(text)
		out.next = next
		return err
	})
	for _, q := range []struct {
		sql  string
		scan func(pgx.Rows) error
	}{
		{readEvents, scanInto(&out.evs)},
		{readChats, scanInto(&out.chats)},
		{readMessages, scanInto(&out.msgs)},
		{readUsers, scanInto(&out.users)},
		{readMembers, scanInto(&out.members)},
		{readReactions, scanInto(&out.reactions)},
	} {
		b.Queue(q.sql, xmax, xip, noXID).Query(q.scan)
	}
	b.Queue(`COMMIT`)
	return c.SendBatch(ctx, b).Close()
}

// The read's loads, built once: each takes the new-events condition's
// three arguments.
var (
	readEvents = `SELECT ` + eventColumns + ` FROM ` + newEvents + ` e ORDER BY e.chat_id, e.pos`
	readChats  = `SELECT ` + columnsOf[models.Chat]("c") + ` FROM chats c
		WHERE c.id = ANY(ARRAY(SELECT chat_id FROM ` + newEvents + ` ev))`
	readMessages = newMessages + ` SELECT ` + columnsOf[models.Message]("mm") + ` FROM mm`
	readUsers    = newMessages + `, c AS (SELECT * FROM chats WHERE id = ANY(ARRAY(SELECT chat_id FROM ev)))
		SELECT ` + columnsOf[models.User]("u") + ` FROM users u WHERE u.id = ANY(ARRAY(
			SELECT user_id FROM ev UNION SELECT actor_id FROM ev UNION SELECT sender_id FROM mm
			UNION SELECT owner_id FROM c UNION SELECT user_a_id FROM c UNION SELECT user_b_id FROM c
			UNION ` + firstReadersOfEvents + `))`
	readMembers = `SELECT chat_id, user_id, joined_at, last_read_seq FROM chat_members
		WHERE chat_id = ANY(ARRAY(SELECT chat_id FROM ` + newEvents + ` ev)) ORDER BY chat_id, joined_at, user_id`
	readReactions = `SELECT ` + columnsOf[models.MessageReaction]("r") + ` FROM message_reactions r
		WHERE r.message_id = ANY(ARRAY(SELECT message_id FROM ` + newEvents + ` ev))
		ORDER BY r.message_id, r.created_at, r.user_id`
)

// scanInto scans a query's rows into dest by column name.
func scanInto[T any](dest *[]*T) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var err error
		*dest, err = pgx.CollectRows(rows, pgx.RowToAddrOfStructByNameLax[T])
		return err
	}
}

// columnsOf lists the columns GORM maps for model T, qualified by alias,
// so that the pipelined reads load what GORM's would, and pgx finds a
// field for each column (both name a field's column in snake case).
func columnsOf[T any](alias string) string {
	var zero T
	s, err := schema.Parse(&zero, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		panic(fmt.Sprintf("chat: the model %T does not parse: %v", zero, err))
	}
	cols := make([]string, len(s.DBNames))
	for i, name := range s.DBNames {
		cols[i] = alias + "." + name
	}
	return strings.Join(cols, ", ")
}
