package chat

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// Blocking stops a user from reaching the viewer. Its rules:
//
//   - Blocking ends the pair's friendship and settles their pending friend
//     requests both ways, in one transaction under the pair's lock
//     (lockPair), with the events removeFriend and an answer publish: the
//     blocker's own request is CANCELED (only a sender cancels), the
//     blocked user's request to the blocker REJECTED, which looks like any
//     decline (settlePending).
//   - While a block stands either way, the two are never friends: a friend
//     request between them is refused, to the blocked user with
//     errNoSuchUser (the NOT_FOUND of a user who does not exist), to the
//     blocker with FORBIDDEN, since they know. Everything that needs a
//     friendship (opening their private chat; posting, editing or
//     reacting in it; adding the other to a group) is therefore refused
//     as for any non-friend, with no check of its own, and nothing tells
//     the blocked user why.
//   - The blocked user no longer finds the blocker by username, by id
//     (node), or in searchUsers (notBlockedBy, UserNodes). The blocker still finds them, shown with
//     viewerBlocked, so that they can unblock from a profile.
//   - Shared groups are untouched: both stay members, and the blocker's
//     clients hide the blocked sender's messages with viewerBlocked.
//   - Unblocking deletes the block and restores nothing.
//   - Deleting an account deletes its blocks, both ways.
//
// Other rules that must leave blocked pairs out (presence, search) use
// blockedEitherWay inside a transaction, or notBlockedEitherWay in a query.

// blockedEitherWay reports whether a blocked b or b blocked a: two
// primary-key probes.
func blockedEitherWay(tx *gorm.DB, a, b int64) (bool, error) {
	var n int64
	err := tx.Model(&models.UserBlock{}).
		Where("(blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)", a, b, b, a).Count(&n).Error
	return n > 0, err
}

// notBlockedEitherWay is a condition for a query over other users: it
// holds unless the user whose id is in column col (a trusted SQL
// identifier such as "u.id", never input) and viewerID blocked each other,
// either way. Each half probes an index of user_blocks.
//
//	db.Table("users u").Where(notBlockedEitherWay("u.id", v.UserID))
func notBlockedEitherWay(col string, viewerID int64) clause.Expr {
	return gorm.Expr(`NOT EXISTS (SELECT 1 FROM user_blocks ub WHERE ub.blocker_id = `+col+` AND ub.blocked_id = ?)
		AND NOT EXISTS (SELECT 1 FROM user_blocks ub WHERE ub.blocker_id = ? AND ub.blocked_id = `+col+`)`, viewerID, viewerID)
}

// notBlockedBy is the half of notBlockedEitherWay that hides the users who
// blocked viewerID from them.
func notBlockedBy(col string, viewerID int64) clause.Expr {
	return gorm.Expr(`NOT EXISTS (SELECT 1 FROM user_blocks ub WHERE ub.blocker_id = `+col+` AND ub.blocked_id = ?)`, viewerID)
}

// refuseBlocked refuses a friend request from viewerID to other when
// either blocked the other; see the rules above.
func refuseBlocked(tx *gorm.DB, viewerID, other int64) error {
	var blockers []int64
	err := tx.Model(&models.UserBlock{}).
		Where("(blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?)", viewerID, other, other, viewerID).
		Pluck("blocker_id", &blockers).Error
	switch {
	case err != nil:
		return err
	case len(blockers) == 0:
		return nil
	case blockers[0] == viewerID || len(blockers) == 2:
		return Errorf(CodeForbidden, "you blocked this user: unblock them first")
	default:
		return errNoSuchUser
	}
}

// BlockUser blocks userID for the viewer (see the rules above) and returns
// them. Blocking again changes nothing.
func (s *Service) BlockUser(ctx context.Context, userID int64) (*models.User, error) {
	return s.changeBlock(ctx, userID, true)
}

// UnblockUser lifts the viewer's block of userID, if any, and returns
// them; nothing the block ended comes back.
func (s *Service) UnblockUser(ctx context.Context, userID int64) (*models.User, error) {
	return s.changeBlock(ctx, userID, false)
}

func (s *Service) changeBlock(ctx context.Context, userID int64, block bool) (*models.User, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if userID == v.UserID {
		return nil, Invalid("userId", "you cannot block or unblock yourself")
	}
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if err := lockPair(tx, v.UserID, userID); err != nil {
			return err
		}
		if live, err := lockLiveUsers(tx, v.UserID, userID); err != nil || !live {
			return cmpErr(err, errNoSuchUser)
		}
		if !block {
			return tx.Where("blocker_id = ? AND blocked_id = ?", v.UserID, userID).Delete(&models.UserBlock{}).Error
		}
		if _, err := endFriendship(tx, v.UserID, userID, emit); err != nil {
			return err
		}
		if err := settlePending(tx, v.UserID, userID, emit); err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Omit("CreatedAt").
			Create(&models.UserBlock{BlockerID: v.UserID, BlockedID: userID}).Error
	})
	if err != nil {
		return nil, err
	}
	return s.UserByID(ctx, userID)
}

// settlePending ends the pending friend requests between blocker and
// blocked, and tells both parties of each: the blocker's request is
// CANCELED, as if they withdrew it; the blocked user's is REJECTED, as if
// the blocker declined it, since a cancel they did not make would tell
// them of the block. The caller holds the pair's lock.
func settlePending(tx *gorm.DB, blocker, blocked int64, emit func(...events.Event)) error {
	var settled []*models.FriendRequest
	err := tx.Raw(`UPDATE friend_requests
		SET status = CASE WHEN from_id = ? THEN 'CANCELED' ELSE 'REJECTED' END, responded_at = now()
		WHERE least(from_id, to_id) = ? AND greatest(from_id, to_id) = ? AND status IN ('UNREAD', 'READ') RETURNING *`,
		blocker, min(blocker, blocked), max(blocker, blocked)).Scan(&settled).Error
	for _, r := range settled {
		emit(requestUpdated(r)...)
	}
	return err
}

// forgetBlocks deletes the blocks of a user being deleted, both ways,
// inside the deleting transaction.
func forgetBlocks(tx *gorm.DB, userID int64) error {
	return tx.Where("blocker_id = ? OR blocked_id = ?", userID, userID).Delete(&models.UserBlock{}).Error
}

// BlockedByViewer reports, for each of userIDs in order, whether the
// viewer blocked them (false for anonymous callers), in one query (the
// dataloader batches here).
func (s *Service) BlockedByViewer(ctx context.Context, userIDs []int64) ([]bool, error) {
	out := make([]bool, len(userIDs))
	v := ViewerFrom(ctx)
	if v == nil {
		return out, nil
	}
	var blocked []int64
	if err := s.db.WithContext(ctx).Model(&models.UserBlock{}).Where("blocker_id = ? AND blocked_id IN ?", v.UserID, userIDs).
		Pluck("blocked_id", &blocked).Error; err != nil {
		return nil, err
	}
	is := make(map[int64]bool, len(blocked))
	for _, id := range blocked {
		is[id] = true
	}
	for i, id := range userIDs {
		out[i] = is[id]
	}
	return out, nil
}

// blockedUser is a blocked user with the time of the block, which orders
// the list.
type blockedUser struct {
	models.User
	BlockedAt time.Time
}

// BlockedUsers lists the users userID blocked, the latest block first;
// like the friends list, only the user themself may see it (FORBIDDEN).
func (s *Service) BlockedUsers(ctx context.Context, userID int64, page PageArgs) (*Page[*models.User], error) {
	if err := s.requireSelf(ctx, userID); err != nil {
		return nil, err
	}
	var afterMicros, afterID int64
	limit, hasCursor, err := page.forward(&afterMicros, &afterID)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx).Table("user_blocks b").Joins("JOIN users u ON u.id = b.blocked_id").Where("b.blocker_id = ?", userID)
	if hasCursor {
		db = db.Where("(b.created_at, b.blocked_id) < (?, ?)", time.UnixMicro(afterMicros), afterID)
	}
	var rows []*blockedUser
	if err := db.Select("u.*, b.created_at AS blocked_at").Order("b.created_at DESC, b.blocked_id DESC").
		Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nil, err
	}
	p := newPage(rows, limit, hasCursor, func(r *blockedUser) []any { return []any{r.BlockedAt.UnixMicro(), r.ID} })
	users := make([]*models.User, len(p.Items))
	for i, r := range p.Items {
		users[i] = &r.User
	}
	return &Page[*models.User]{Items: users, Cursors: p.Cursors, HasNext: p.HasNext, HasPrevious: p.HasPrevious}, nil
}

// CountBlockedUsers is the size of BlockedUsers' list.
func (s *Service) CountBlockedUsers(ctx context.Context, userID int64) (int, error) {
	if err := s.requireSelf(ctx, userID); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&models.UserBlock{}).Where("blocker_id = ?", userID).Count(&n).Error
	return int(n), err
}
