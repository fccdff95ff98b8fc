package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// fanQuery follows every chat of the subscriber, as an inbox does, asking
// for what a client that normalizes events into its cache would.
const fanQuery = `subscription {
	chatEvents {
		__typename cursor syncToken at chat { id }
		... on MessagePostedEvent { message { ...M } }
		... on MessageEditedEvent { message { ...M } }
		... on MessageDeletedEvent { message { id deleted body } }
		... on ReactionsChangedEvent { message { id reactions { emoji count viewerReacted } } reactedBy: by { id } }
		... on MemberJoinedEvent { user { id displayName } invitedBy: by { id } }
		... on MemberLeftEvent { user { id } removedBy { id } }
		... on ChatRenamedEvent { name renamedBy: by { id } }
		... on ReadMarkerMovedEvent { user { id } message { id } }
	}
}
fragment M on Message { id body createdAt editedAt deleted sender { id displayName } reactions { emoji count viewerReacted } }`

// warmBody marks the messages that prove subscriptions live before measuring.
const warmBody = "warm-up"

// fanSub is one fanout subscriber: a member of a group with its own
// WebSocket and chatEvents subscription.
type fanSub struct {
	group, member int
	conn          *wsConn
	ready         atomic.Bool // a warm-up message arrived: the subscription is live
	done          atomic.Bool // the reader ended; err is then safe to read

	// The rest belongs to the reader goroutine until it ends.
	got  []delivery
	kept []keptFrame
	err  error
}

// delivery is one event as a subscriber got it, with what identifies it.
type delivery struct {
	typ    string // __typename
	chat   string // the chat's global id
	pos    int64  // the event's position in its chat, from its cursor
	msgID  string // the message it is about, if any
	userID string // who joined or left, or whose marker moved
	name   string // a rename's name
	body   string // a posted message's body
	at     time.Time
}

// warm says whether d is a warm-up post.
func (d delivery) warm() bool { return d.typ == opPost.eventType() && d.body == warmBody }

// read consumes the subscription until ctx ends or the server ends it.
// Once the subscription is live, an event's frame is only kept with its
// time, and decoded by decodeKept after measuring: in a burst of 1,000
// deliveries on two cores the benchmark's decoding would otherwise take
// CPU from the server it measures (a remote client decodes on its own).
func (s *fanSub) read(ctx context.Context) {
	defer s.done.Store(true)
	for {
		raw, at, err := s.conn.read(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.err = err
			}
			return
		}
		if s.ready.Load() && isNext(raw) {
			s.kept = append(s.kept, keptFrame{raw, at})
			continue
		}
		m, err := s.conn.decode(ctx, raw, at)
		if err != nil {
			if ctx.Err() == nil { // a pong that fails as the readers stop is no fault
				s.err = err
			}
			return
		}
		switch m.Type {
		case "next":
			d, err := parseDelivery(m.Payload, m.at)
			if err != nil {
				s.err = err
				return
			}
			s.got = append(s.got, d)
			if d.warm() {
				s.ready.Store(true)
			}
		case "error", "complete":
			s.err = fmt.Errorf("the server ended the subscription: %s %s", m.Type, m.Payload)
			return
		}
	}
}

// keptFrame is a frame read at at, to decode later.
type keptFrame struct {
	raw []byte
	at  time.Time
}

// isNext says whether a frame is a result, as the server writes it:
// {"id":"1","type":"next",...}. Anything else is decoded at once.
func isNext(raw []byte) bool {
	return bytes.HasPrefix(raw, []byte(`{"id":"1","type":"next","payload":`))
}

// decodeKept decodes the frames read kept, after the reader ended: all of
// them, which came before anything that ended it.
func (s *fanSub) decodeKept() {
	defer func() { s.kept = nil }()
	for _, f := range s.kept {
		var m wsMessage
		err := json.Unmarshal(f.raw, &m)
		var d delivery
		if err == nil {
			d, err = parseDelivery(m.Payload, f.at)
		}
		if err != nil {
			s.err = errors.Join(fmt.Errorf("decoding a kept result: %w", err), s.err)
			return
		}
		s.got = append(s.got, d)
	}
}

// parseDelivery decodes one chatEvents result received at now.
func parseDelivery(payload json.RawMessage, now time.Time) (delivery, error) {
	type id struct{ ID string }
	var p struct {
		Data struct {
			ChatEvents *struct {
				Typename string `json:"__typename"`
				Cursor   string
				Chat     id
				Message  *struct{ ID, Body string }
				User     *id
				Name     *string
			}
		}
		Errors []gqlError
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return delivery{}, fmt.Errorf("decoding an event: %w", err)
	}
	e := p.Data.ChatEvents
	if len(p.Errors) > 0 || e == nil {
		return delivery{}, fmt.Errorf("an event with errors: %s", payload)
	}
	pos, err := eventPos(e.Cursor)
	if err != nil {
		return delivery{}, err
	}
	d := delivery{typ: e.Typename, chat: e.Chat.ID, pos: pos, at: now}
	if e.Message != nil {
		d.msgID, d.body = e.Message.ID, e.Message.Body
	}
	if e.User != nil {
		d.userID = e.User.ID
	}
	if e.Name != nil {
		d.name = *e.Name
	}
	return d, nil
}

// eventPos reads the position out of an event's cursor. Cursors are opaque
// to clients; the benchmark is the server's own tool, knows that an event's
// cursor is the JSON ["e", chat, position] in unpadded base64url, and reads
// it to check the order and completeness of each chat's events.
func eventPos(cursor string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	var keys []json.RawMessage
	if err == nil {
		err = json.Unmarshal(raw, &keys)
	}
	var tag string
	var pos int64
	if err == nil && len(keys) == 3 {
		err = json.Unmarshal(keys[0], &tag)
		if err == nil {
			err = json.Unmarshal(keys[2], &pos)
		}
	}
	if err != nil || len(keys) != 3 || tag != "e" {
		return 0, fmt.Errorf("an event cursor %q not of the form the benchmark knows", cursor)
	}
	return pos, nil
}
