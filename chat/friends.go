package chat

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// Every change between two users takes, in this order: the pair's advisory
// lock, a share lock on both user rows (so an account deletion, which locks
// its row for no-key update, cannot interleave), then the request's row lock.
// The unique index on the pending pair backs this up in the schema.

// lockPair serialises the friend-request changes of two users.
func lockPair(tx *gorm.DB, a, b int64) error {
	return tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`,
		fmt.Sprintf("friends:%d:%d", min(a, b), max(a, b))).Error
}

// lockLiveUsers share-locks both users and reports whether both are live.
func lockLiveUsers(tx *gorm.DB, a, b int64) (bool, error) {
	var ids []int64
	err := tx.Raw(`SELECT id FROM users WHERE id IN (?, ?) AND deleted_at IS NULL ORDER BY id FOR SHARE`, a, b).Scan(&ids).Error
	return len(ids) == 2, err
}

// errNoSuchUser answers a user id that names nobody live, and also, so
// that nothing tells them they are blocked, a user who blocked the viewer.
var errNoSuchUser = Errorf(CodeNotFound, "no such user")

// friendshipChanged tells both users, on every connection, that their
// friendship began or ended (the friendsChanged subscription).
func friendshipChanged(a, b int64, friends bool) []events.Event {
	kind := events.FriendshipEnded
	if friends {
		kind = events.FriendshipStarted
	}
	return []events.Event{
		{Topic: events.UserTopic(a), Kind: kind, ID: b},
		{Topic: events.UserTopic(b), Kind: kind, ID: a},
	}
}

func requestUpdated(r *models.FriendRequest) []events.Event {
	return []events.Event{
		{Topic: events.UserTopic(r.FromID), Kind: events.FriendRequestUpdated, ID: r.ID},
		{Topic: events.UserTopic(r.ToID), Kind: events.FriendRequestUpdated, ID: r.ID},
	}
}

// SendFriendRequest asks user toID to be friends. If toID has already asked
// the viewer, it accepts that request instead and returns it.
func (s *Service) SendFriendRequest(ctx context.Context, toID int64) (*models.FriendRequest, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if toID == v.UserID {
		return nil, Invalid("userId", "you cannot send a friend request to yourself")
	}
	var req models.FriendRequest
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if err := lockPair(tx, v.UserID, toID); err != nil {
			return err
		}
		if live, err := lockLiveUsers(tx, v.UserID, toID); err != nil || !live {
			return cmpErr(err, errNoSuchUser)
		}
		if err := refuseBlocked(tx, v.UserID, toID); err != nil {
			return err
		}
		if friends, err := areFriends(tx, v.UserID, toID); err != nil || friends {
			return cmpErr(err, Errorf(CodeConflict, "you are already friends"))
		}
		err := tx.Where(`status IN ('UNREAD', 'READ') AND least(from_id, to_id) = ? AND greatest(from_id, to_id) = ?`,
			min(v.UserID, toID), max(v.UserID, toID)).Take(&req).Error
		switch {
		case err == nil && req.FromID == v.UserID:
			return Errorf(CodeConflict, "you already sent this user a friend request")
		case err == nil:
			return decide(tx, &req, models.RequestAccepted, emit)
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return err
		}
		req = models.FriendRequest{FromID: v.UserID, ToID: toID, Status: models.RequestUnread}
		if err := tx.Create(&req).Error; err != nil {
			return err
		}
		emit(events.Event{Topic: events.UserTopic(toID), Kind: events.FriendRequestCreated, ID: req.ID})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &req, nil
}

// cmpErr returns err if set, else the domain error.
func cmpErr(err error, domain *Error) error {
	if err != nil {
		return err
	}
	return domain
}

func areFriends(tx *gorm.DB, a, b int64) (bool, error) {
	var n int64
	err := tx.Model(&models.Friendship{}).Where("user_id = ? AND friend_id = ?", a, b).Count(&n).Error
	return n > 0, err
}

// decide moves a pending request to status and, when accepted, makes the
// friendship mutual.
func decide(tx *gorm.DB, req *models.FriendRequest, status models.FriendRequestStatus, emit func(...events.Event)) error {
	updates := map[string]any{"status": status}
	if status != models.RequestRead {
		updates["responded_at"] = gorm.Expr("now()")
	}
	if err := tx.Model(req).Clauses(clause.Returning{}).Updates(updates).Error; err != nil {
		return err
	}
	if status == models.RequestAccepted {
		err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&[]models.Friendship{
			{UserID: req.FromID, FriendID: req.ToID}, {UserID: req.ToID, FriendID: req.FromID},
		}).Error
		if err != nil {
			return err
		}
		emit(friendshipChanged(req.FromID, req.ToID, true)...)
	}
	emit(requestUpdated(req)...)
	return nil
}

// MarkFriendRequestRead marks an incoming request read; it is idempotent.
func (s *Service) MarkFriendRequestRead(ctx context.Context, id int64) (*models.FriendRequest, error) {
	return s.respond(ctx, id, models.RequestRead)
}

// AcceptFriendRequest makes the sender and the viewer (the recipient) friends.
func (s *Service) AcceptFriendRequest(ctx context.Context, id int64) (*models.FriendRequest, error) {
	return s.respond(ctx, id, models.RequestAccepted)
}

// RejectFriendRequest turns down an incoming request.
func (s *Service) RejectFriendRequest(ctx context.Context, id int64) (*models.FriendRequest, error) {
	return s.respond(ctx, id, models.RequestRejected)
}

// CancelFriendRequest withdraws a request the viewer sent.
func (s *Service) CancelFriendRequest(ctx context.Context, id int64) (*models.FriendRequest, error) {
	return s.respond(ctx, id, models.RequestCanceled)
}

// respond moves request id to status on behalf of the party allowed to:
// the sender cancels, the recipient does everything else.
func (s *Service) respond(ctx context.Context, id int64, status models.FriendRequestStatus) (*models.FriendRequest, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var req models.FriendRequest
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		// Someone who is neither party cannot learn that the request exists.
		if err := tx.Take(&req, id).Error; err != nil || (req.FromID != v.UserID && req.ToID != v.UserID) {
			return cmpErr(ignoreNotFound(err), Errorf(CodeNotFound, "no such friend request"))
		}
		if err := lockPair(tx, req.FromID, req.ToID); err != nil {
			return err
		}
		if _, err := lockLiveUsers(tx, req.FromID, req.ToID); err != nil {
			return err
		}
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&req, id).Error; err != nil {
			return err
		}
		switch {
		case status == models.RequestCanceled && req.FromID != v.UserID:
			return Errorf(CodeForbidden, "only the sender can cancel a friend request")
		case status != models.RequestCanceled && req.ToID != v.UserID:
			return Errorf(CodeForbidden, "only the recipient can answer a friend request")
		case status == models.RequestRead && req.Status == models.RequestRead:
			return nil
		case !req.Status.Pending():
			return Errorf(CodeConflict, "this friend request was already %s", req.Status)
		}
		return decide(tx, &req, status, emit)
	})
	if err != nil {
		return nil, err
	}
	return &req, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	return err
}

// RemoveFriend ends the friendship with userID on both sides.
func (s *Service) RemoveFriend(ctx context.Context, userID int64) (*models.User, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if err := lockPair(tx, v.UserID, userID); err != nil {
			return err
		}
		ended, err := endFriendship(tx, v.UserID, userID, emit)
		if err == nil && !ended {
			return Errorf(CodeNotFound, "you are not friends with this user")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, userID)
}

// endFriendship deletes the friendship of a and b, if any, both ways, and
// tells both. The caller holds the pair's lock.
func endFriendship(tx *gorm.DB, a, b int64, emit func(...events.Event)) (bool, error) {
	res := tx.Where("(user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)", a, b, b, a).
		Delete(&models.Friendship{})
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	emit(friendshipChanged(a, b, false)...)
	return true, nil
}

// leaveAllFriends ends every friendship of a user being deleted and cancels
// their pending requests, inside the deleting transaction.
func leaveAllFriends(tx *gorm.DB, userID int64, emit func(...events.Event)) error {
	var former []int64
	if err := tx.Raw(`WITH gone AS (DELETE FROM friendships WHERE user_id = ? OR friend_id = ? RETURNING friend_id)
		SELECT friend_id FROM gone WHERE friend_id <> ?`, userID, userID, userID).Scan(&former).Error; err != nil {
		return err
	}
	// Only the former friends hear of it: the deleted account's own
	// connections are being closed.
	for _, f := range former {
		emit(events.Event{Topic: events.UserTopic(f), Kind: events.FriendshipEnded, ID: userID})
	}
	var canceled []*models.FriendRequest
	err := tx.Raw(`UPDATE friend_requests SET status = 'CANCELED', responded_at = now()
		WHERE (from_id = ? OR to_id = ?) AND status IN ('UNREAD', 'READ') RETURNING *`, userID, userID).Scan(&canceled).Error
	for _, r := range canceled {
		emit(requestUpdated(r)...)
	}
	return err
}
