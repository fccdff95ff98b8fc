package chat

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// FriendshipStatus is how a user stands to the viewer. The schema's
// FriendshipStatus enum is bound to it (gqlgen.yml), value for value.
type FriendshipStatus string

// The friendship statuses.
const (
	FriendshipSelf            FriendshipStatus = "SELF"
	FriendshipFriend          FriendshipStatus = "FRIEND"
	FriendshipRequestSent     FriendshipStatus = "REQUEST_SENT"
	FriendshipRequestReceived FriendshipStatus = "REQUEST_RECEIVED"
	FriendshipNone            FriendshipStatus = "NONE"
)

// FriendshipStatuses returns how each of userIDs stands to the viewer, in
// order, with two queries whatever their number (the dataloader batches
// here).
func (s *Service) FriendshipStatuses(ctx context.Context, userIDs []int64) ([]FriendshipStatus, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var friends []int64
	if err := db.Model(&models.Friendship{}).Where("user_id = ? AND friend_id IN ?", v.UserID, userIDs).
		Pluck("friend_id", &friends).Error; err != nil {
		return nil, err
	}
	var pending []models.FriendRequest
	if err := db.Where(`status IN ('UNREAD', 'READ') AND ((from_id = ? AND to_id IN ?) OR (to_id = ? AND from_id IN ?))`,
		v.UserID, userIDs, v.UserID, userIDs).Find(&pending).Error; err != nil {
		return nil, err
	}
	statuses := map[int64]FriendshipStatus{v.UserID: FriendshipSelf}
	for _, r := range pending {
		if r.FromID == v.UserID {
			statuses[r.ToID] = FriendshipRequestSent
		} else {
			statuses[r.FromID] = FriendshipRequestReceived
		}
	}
	for _, id := range friends {
		statuses[id] = FriendshipFriend
	}
	out := make([]FriendshipStatus, len(userIDs))
	for i, id := range userIDs {
		if out[i] = statuses[id]; out[i] == "" {
			out[i] = FriendshipNone
		}
	}
	return out, nil
}

// friendsScope is userID's friends, joined to their user rows.
func friendsScope(userID int64) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		return db.Table("friendships f").Joins("JOIN users u ON u.id = f.friend_id").Where("f.user_id = ?", userID)
	}
}

// Friends lists userID's friends, ordered by display name then id; only the
// user themself may see the list.
func (s *Service) Friends(ctx context.Context, userID int64, page PageArgs) (*Page[*models.User], error) {
	if err := s.requireSelf(ctx, userID); err != nil {
		return nil, err
	}
	var afterName string
	var afterID int64
	limit, hasCursor, err := page.forward(&afterName, &afterID)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx).Scopes(friendsScope(userID))
	if hasCursor {
		db = db.Where("(lower(u.display_name), u.id) > (?, ?)", afterName, afterID)
	}
	var rows []*models.User
	if err := db.Select("u.*").Order("lower(u.display_name), u.id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	return newPage(rows, limit, hasCursor, func(u *models.User) []any {
		return []any{strings.ToLower(u.DisplayName), u.ID}
	}), nil
}

// CountFriends is the size of userID's friends list.
func (s *Service) CountFriends(ctx context.Context, userID int64) (int, error) {
	if err := s.requireSelf(ctx, userID); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Friendship{}).Where("user_id = ?", userID).Count(&n).Error
	return int(n), err
}

// requireSelf refuses (FORBIDDEN) a list only its owner may see, such as
// their friends or the users they blocked, to anyone else.
func (s *Service) requireSelf(ctx context.Context, userID int64) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	if v.UserID != userID {
		return Errorf(CodeForbidden, "only the user themself can see this list")
	}
	return nil
}

// RequestFilter selects the viewer's incoming or outgoing friend requests.
type RequestFilter struct {
	Incoming bool
	Statuses []models.FriendRequestStatus // empty: any
}

func (f RequestFilter) scope(viewerID int64) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		db = db.Model(&models.FriendRequest{})
		if f.Incoming {
			db = db.Where("to_id = ?", viewerID)
		} else {
			db = db.Where("from_id = ?", viewerID)
		}
		if len(f.Statuses) > 0 {
			db = db.Where("status IN ?", f.Statuses)
		}
		return db
	}
}

// FriendRequests lists the viewer's requests, newest first.
func (s *Service) FriendRequests(ctx context.Context, f RequestFilter, page PageArgs) (*Page[*models.FriendRequest], error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var afterMicros, afterID int64
	limit, hasCursor, err := page.forward(&afterMicros, &afterID)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx).Scopes(f.scope(v.UserID))
	if hasCursor {
		db = db.Where("(created_at, id) < (?, ?)", time.UnixMicro(afterMicros), afterID)
	}
	var rows []*models.FriendRequest
	if err := db.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	return newPage(rows, limit, hasCursor, func(r *models.FriendRequest) []any {
		return []any{r.CreatedAt.UnixMicro(), r.ID}
	}), nil
}

// CountFriendRequests is the total of FriendRequests.
func (s *Service) CountFriendRequests(ctx context.Context, f RequestFilter) (int, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.db.WithContext(ctx).Scopes(f.scope(v.UserID)).Count(&n).Error
	return int(n), err
}

// FriendRequestsByIDs returns the requests with ids, in order, nil where
// none exists or the viewer is not a party to it.
func (s *Service) FriendRequestsByIDs(ctx context.Context, ids []int64) ([]*models.FriendRequest, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var rows []*models.FriendRequest
	if err := s.db.WithContext(ctx).Where("id IN ? AND (from_id = ? OR to_id = ?)", ids, v.UserID, v.UserID).
		Find(&rows).Error; err != nil {
		return nil, err
	}
	return inOrder(ids, rows, func(r *models.FriendRequest) int64 { return r.ID }), nil
}
