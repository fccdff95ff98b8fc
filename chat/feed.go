package chat

import (
	"context"
	"slices"
	"sort"
	"sync"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// feedCache is how many recent messages a chat's feed keeps for the
// streams that are a little behind.
const feedCache = 256

// feeds share the reading of each chat's new messages among all the local
// streams that follow it: however many subscribers a chat has, an event
// costs three queries (the new messages with their senders, the chat, its
// members), not three per subscriber.
type feeds struct {
	db     *gorm.DB
	mu     sync.Mutex
	byChat map[int64]*feed
}

// feed is the shared view of one chat's stream.
type feed struct {
	refs int // streams following the chat; guarded by feeds.mu

	mu      sync.Mutex // one fetch at a time; guards the fields below
	msgs    []*models.Message
	max     int64 // the last sequence number read
	members map[int64]bool
}

func newFeeds(db *gorm.DB) *feeds { return &feeds{db: db, byChat: map[int64]*feed{}} }

// follow registers a stream that has delivered chatID up to pos.
func (fs *feeds) follow(chatID, pos int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.byChat[chatID]
	if f == nil {
		f = &feed{max: pos}
		fs.byChat[chatID] = f
	}
	f.refs++
}

// unfollow drops a stream's registration; the last one frees the feed.
func (fs *feeds) unfollow(chatID int64) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.byChat[chatID]; f != nil {
		if f.refs--; f.refs <= 0 {
			delete(fs.byChat, chatID)
		}
	}
}

// since returns the messages of chatID after seq, having read at least up
// to want, and whether userID is a member as of the latest read. ok is
// false when seq is older than the feed remembers; the caller then reads
// the history itself.
//
// The members are read after the messages, so the list can be trusted to
// say yes: a removal commits before any message posted after it, and such
// a message makes the feed read the list again. It cannot be trusted to
// say no: a join moves no sequence number, so a list read before someone
// joined would drop their stream. A no is therefore read again before it
// is answered; only streams of users who left ask it, once each.
func (fs *feeds) since(ctx context.Context, chatID, userID, seq, want int64) (msgs []*models.Message, member, ok bool, err error) {
	fs.mu.Lock()
	f := fs.byChat[chatID]
	fs.mu.Unlock()
	if f == nil {
		return nil, false, false, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.max < want || f.members == nil {
		if err := f.read(ctx, fs.db, chatID); err != nil {
			return nil, false, false, err
		}
	} else if !f.members[userID] {
		if err := f.readMembers(fs.db.WithContext(ctx), chatID); err != nil {
			return nil, false, false, err
		}
	}
	if seq < f.max && (len(f.msgs) == 0 || seq+1 < f.msgs[0].Seq) {
		return nil, false, false, nil
	}
	i := sort.Search(len(f.msgs), func(i int) bool { return f.msgs[i].Seq > seq })
	return f.msgs[i:], f.members[userID], true, nil
}

// read fetches what the chat has posted since the feed last looked.
func (f *feed) read(ctx context.Context, db *gorm.DB, chatID int64) error {
	db = db.WithContext(ctx)
	// The newest messages only, at most what the feed keeps: a stream
	// further behind reads the history itself, a page at a time.
	var fresh []*models.Message
	if err := db.Joins("Sender").Where("messages.chat_id = ? AND messages.seq > ?", chatID, f.max).
		Order("messages.seq DESC").Limit(feedCache).Find(&fresh).Error; err != nil {
		return err
	}
	slices.Reverse(fresh)
	if len(fresh) > 0 && fresh[0].Seq > f.max+1 {
		f.msgs = nil // a gap: what the feed kept no longer joins up with the new messages
	}
	var chat models.Chat
	if err := db.Take(&chat, chatID).Error; err != nil {
		return err
	}
	if err := f.readMembers(db, chatID); err != nil {
		return err
	}
	for _, m := range fresh {
		m.Chat = &chat
		f.max = m.Seq
	}
	f.msgs = append(f.msgs, fresh...)
	if n := len(f.msgs); n > feedCache {
		f.msgs = append([]*models.Message(nil), f.msgs[n-feedCache:]...)
	}
	return nil
}

// readMembers replaces the feed's member list with the chat's current one.
func (f *feed) readMembers(db *gorm.DB, chatID int64) error {
	var members []int64
	if err := db.Model(&models.ChatMember{}).Where("chat_id = ?", chatID).Pluck("user_id", &members).Error; err != nil {
		return err
	}
	f.members = make(map[int64]bool, len(members))
	for _, id := range members {
		f.members[id] = true
	}
	return nil
}
