package chat

import (
	"context"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// TokenOf is the sync token of a snapshot of transactions below xmin and
// none in progress up to xmax, for tests that forge one.
func TokenOf(xmin, xmax uint64) string {
	return syncToken{lo: snapshot{xmin: xmin, xmax: xmax}}.String()
}

// EventCursor is the cursor of position pos of chat chatID.
func EventCursor(chatID, pos int64) string {
	return (&Event{ChatEvent: models.ChatEvent{ChatID: chatID, Pos: pos}}).Cursor()
}

// BlockedEitherWay is blockedEitherWay on db.
var BlockedEitherWay = blockedEitherWay

// UsersNotBlockedWith lists, of ids, the users who and viewerID did not
// block each other, with the notBlockedEitherWay condition.
func UsersNotBlockedWith(db *gorm.DB, viewerID int64, ids []int64) ([]int64, error) {
	var out []int64
	err := db.Table("users u").Where("u.id IN ?", ids).Where(notBlockedEitherWay("u.id", viewerID)).Order("u.id").Pluck("u.id", &out).Error
	return out, err
}

// ClosePresenceWith counts a socket of userID closed as CloseConnection
// does, writing with ctx, so that a test can make the write fail.
func (s *Service) ClosePresenceWith(ctx context.Context, userID int64) {
	s.presence.closed(ctx, userID)
}

// BeatPresence beats the heartbeat once, as RunPresence does.
func (s *Service) BeatPresence(ctx context.Context) { s.presence.beat(ctx) }

// SearchPlan is the plan SearchMessagesWith uses: a window of Rows
// messages from at most Chats chats, and the strategy.
type SearchPlan struct {
	Rows, Chats int
	Strategy    int // SearchRecentFirst, SearchIndexOnly or SearchRecentOnly
}

// Search strategies for SearchPlan.
const (
	SearchRecentFirst = int(searchRecentFirst)
	SearchIndexOnly   = int(searchIndexOnly)
	SearchRecentOnly  = int(searchRecentOnly)
)

// ErrWindowTooSmall is what SearchRecentOnly returns when the window
// cannot tell the page.
var ErrWindowTooSmall = errWindowTooSmall

// SearchMessagesWith is SearchMessages with plan p.
func (s *Service) SearchMessagesWith(ctx context.Context, p SearchPlan, query string, chatID *int64, page PageArgs) (*Page[*models.Message], error) {
	return s.searchMessages(ctx, query, chatID, page, searchWindow{rows: p.Rows, chats: p.Chats}, searchStrategy(p.Strategy))
}

// SweepPresence sweeps once, as RunPresence does, in batches of batch
// users; not while RunPresence runs.
func (s *Service) SweepPresence(ctx context.Context, batch int) error {
	s.presence.sweepBatch = batch
	return s.presence.sweep(ctx)
}

// SearchShare is searchShare, the estimate that chooses a search's plan.
var SearchShare = searchShare
