package chat

import (
	"context"
	"log/slog"

	"github.com/gqlchat/gqlchat/models"
)

// resyncChunk bounds the viewers named in one statement.
const resyncChunk = 5000

// resync re-delivers to this instance's presenceChanged subscriptions the
// changes of the resync window they may see, after the bus said it may have
// missed some: two statements per chunk of subscribed viewers, however
// many changed.
func (f *presenceFeed) resync() {
	f.mu.Lock()
	viewers := make([]int64, 0, len(f.inboxes))
	for v := range f.inboxes {
		viewers = append(viewers, v)
	}
	f.mu.Unlock()
	for len(viewers) > 0 {
		n := min(len(viewers), resyncChunk)
		if err := f.resyncViewers(viewers[:n]); err != nil {
			slog.Error("presence: re-reading changes after a resync", "err", err)
			return
		}
		viewers = viewers[n:]
	}
}

func (f *presenceFeed) resyncViewers(viewers []int64) error {
	db := f.db.WithContext(context.Background())
	var pairs []struct{ ViewerID, UserID int64 }
	// Driven from the users who changed: the visibility rule's union is
	// asked only about them.
	err := db.Raw(`WITH changed AS (SELECT id FROM users WHERE presence_changed_at > now() - make_interval(secs => ?))
		SELECT DISTINCT pv.viewer_id, pv.user_id FROM `+presenceVisibility+` pv
		WHERE pv.user_id IN (SELECT id FROM changed) AND pv.viewer_id IN ?
			AND NOT EXISTS (SELECT 1 FROM user_blocks ub
				WHERE (ub.blocker_id = pv.viewer_id AND ub.blocked_id = pv.user_id)
					OR (ub.blocker_id = pv.user_id AND ub.blocked_id = pv.viewer_id))`,
		resyncWindow.Seconds(), viewers).Scan(&pairs).Error
	if err != nil || len(pairs) == 0 {
		return err
	}
	ids := set[int64]{}
	for _, p := range pairs {
		ids.add(p.UserID)
	}
	var users []*models.User
	if err := db.Where("id IN ?", ids.list()).Find(&users).Error; err != nil {
		return err
	}
	byID := make(map[int64]*models.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range pairs {
		if u := byID[p.UserID]; u != nil {
			for in := range f.inboxes[p.ViewerID] {
				in.push(u)
			}
		}
	}
	return nil
}
