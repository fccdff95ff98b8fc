package chat

import (
	"context"
	"errors"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// MaxGroupMembers bounds the size of a group chat.
const MaxGroupMembers = 1000

var errChatNotFound = Errorf(CodeNotFound, "no such chat")

// memberChat returns chat chatID if userID is a member; NOT_FOUND otherwise,
// so that non-members cannot learn that a chat exists. With lock, the chat
// row is locked for update: every membership change of a chat holds it.
func memberChat(tx *gorm.DB, chatID, userID int64, lock bool) (*models.Chat, error) {
	q := tx.Where("id = ? AND EXISTS (SELECT 1 FROM chat_members m WHERE m.chat_id = chats.id AND m.user_id = ?)", chatID, userID)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var c models.Chat
	if err := q.Take(&c).Error; err != nil {
		return nil, cmpErr(ignoreNotFound(err), errChatNotFound)
	}
	return &c, nil
}

func memberGroup(tx *gorm.DB, chatID, userID int64) (*models.Chat, error) {
	c, err := memberChat(tx, chatID, userID, true)
	if err == nil && c.Kind != models.ChatGroup {
		err = Invalid("chatId", "this is a private chat, not a group")
	}
	return c, err
}

// cleanChatName trims a group name and checks it is a label of 1-100
// characters, under the rules of display names: both are shown inline.
func cleanChatName(name string) (string, error) {
	return cleanLabel("name", "a group name", name, 100)
}

// requireFriends checks that every one of ids is a live friend of userID;
// the error names the first who is not.
func requireFriends(tx *gorm.DB, userID int64, ids []int64) error {
	var friends []int64
	err := tx.Raw(`SELECT f.friend_id FROM friendships f JOIN users u ON u.id = f.friend_id
		WHERE f.user_id = ? AND f.friend_id IN ? AND u.deleted_at IS NULL FOR KEY SHARE OF f`, userID, ids).Scan(&friends).Error
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !slices.Contains(friends, id) {
			return &Error{Code: CodeForbidden, Message: "you can only add your friends to a chat", UserID: id}
		}
	}
	return nil
}

// addMembers makes users members of chat c, with a MEMBER_JOINED event
// each naming who added them (by, or nil for a chat created with them).
func addMembers(tx *gorm.DB, c *models.Chat, users []int64, by *int64, emit func(...events.Event)) error {
	if len(users) == 0 {
		return nil
	}
	rows := make([]models.ChatMember, len(users))
	joined := make([]*models.ChatEvent, len(users))
	for i, u := range users {
		rows[i] = models.ChatMember{ChatID: c.ID, UserID: u}
		joined[i] = &models.ChatEvent{Kind: models.EventMemberJoined, UserID: &users[i], ActorID: by}
	}
	if err := tx.Omit("JoinedAt").Create(&rows).Error; err != nil {
		return err
	}
	if err := appendEvents(tx, emit, c.ID, joined...); err != nil {
		return err
	}
	spans := make([]models.ChatMemberSpan, len(users))
	for i, e := range joined {
		spans[i] = models.ChatMemberSpan{ChatID: c.ID, UserID: users[i], FromPos: e.Pos}
	}
	return tx.Create(&spans).Error
}

// CreateGroupChat creates a group owned by the viewer with the given friends.
func (s *Service) CreateGroupChat(ctx context.Context, name string, memberIDs []int64) (*models.Chat, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = cleanChatName(name); err != nil {
		return nil, err
	}
	members := others(memberIDs, v.UserID)
	if len(members)+1 > MaxGroupMembers {
		return nil, Invalid("memberIds", "a group has at most %d members", MaxGroupMembers)
	}
	c := &models.Chat{Kind: models.ChatGroup, Name: &name, OwnerID: &v.UserID}
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if err := requireFriends(tx, v.UserID, members); err != nil {
			return err
		}
		if err := tx.Omit("CreatedAt", "ActivityAt").Clauses(clause.Returning{}).Create(c).Error; err != nil {
			return err
		}
		return addMembers(tx, c, append([]int64{v.UserID}, members...), nil, emit)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// others returns ids without duplicates and without self.
func others(ids []int64, self int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id != self && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// InviteToGroupChat adds the viewer's friends to a group the viewer is in;
// those already in it are ignored.
func (s *Service) InviteToGroupChat(ctx context.Context, chatID int64, userIDs []int64) (*models.Chat, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var c *models.Chat
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if c, err = memberGroup(tx, chatID, v.UserID); err != nil {
			return err
		}
		var current []int64
		if err := tx.Model(&models.ChatMember{}).Where("chat_id = ?", chatID).Pluck("user_id", &current).Error; err != nil {
			return err
		}
		var fresh []int64
		for _, id := range others(userIDs, v.UserID) {
			if !slices.Contains(current, id) {
				fresh = append(fresh, id)
			}
		}
		if len(current)+len(fresh) > MaxGroupMembers {
			return Invalid("userIds", "a group has at most %d members", MaxGroupMembers)
		}
		if err := requireFriends(tx, v.UserID, fresh); err != nil {
			return err
		}
		return addMembers(tx, c, fresh, &v.UserID, emit)
	})
	return c, err
}

// LeaveGroupChat takes the viewer out of a group; if the owner leaves, the
// longest-standing member becomes the owner.
func (s *Service) LeaveGroupChat(ctx context.Context, chatID int64) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		c, err := memberGroup(tx, chatID, v.UserID)
		if err != nil {
			return err
		}
		return removeMember(tx, c, v.UserID, nil, emit)
	})
}

// RemoveFromGroupChat lets the owner take a member out of the group.
func (s *Service) RemoveFromGroupChat(ctx context.Context, chatID, userID int64) (*models.Chat, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var c *models.Chat
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if c, err = memberGroup(tx, chatID, v.UserID); err != nil {
			return err
		}
		switch {
		case *c.OwnerID != v.UserID:
			return Errorf(CodeForbidden, "only the owner can remove members")
		case userID == v.UserID:
			return Invalid("userId", "the owner leaves with leaveGroupChat")
		}
		if _, err := memberChat(tx, chatID, userID, false); err != nil {
			return Errorf(CodeNotFound, "that user is not a member of this chat")
		}
		return removeMember(tx, c, userID, &v.UserID, emit)
	})
	return c, err
}

// removeMember takes userID out of group c (whose row tx has locked),
// passes ownership on if needed, and logs a MEMBER_LEFT event naming who
// removed them (by, or nil when they left themselves).
func removeMember(tx *gorm.DB, c *models.Chat, userID int64, by *int64, emit func(...events.Event)) error {
	if err := tx.Where("chat_id = ? AND user_id = ?", c.ID, userID).Delete(&models.ChatMember{}).Error; err != nil {
		return err
	}
	if c.Kind == models.ChatGroup && *c.OwnerID == userID {
		var next models.ChatMember
		err := tx.Where("chat_id = ?", c.ID).Order("joined_at, user_id").Take(&next).Error
		if err == nil {
			c.OwnerID = &next.UserID
			err = tx.Model(c).Update("owner_id", next.UserID).Error
		}
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
	}
	left := &models.ChatEvent{Kind: models.EventMemberLeft, UserID: &userID, ActorID: by}
	if err := appendEvents(tx, emit, c.ID, left); err != nil {
		return err
	}
	return tx.Model(&models.ChatMemberSpan{}).Where("chat_id = ? AND user_id = ? AND to_pos IS NULL", c.ID, userID).
		Update("to_pos", left.Pos).Error
}

// RenameGroupChat renames a group the viewer is in.
func (s *Service) RenameGroupChat(ctx context.Context, chatID int64, name string) (*models.Chat, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = cleanChatName(name); err != nil {
		return nil, err
	}
	var c *models.Chat
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if c, err = memberGroup(tx, chatID, v.UserID); err != nil {
			return err
		}
		if *c.Name == name {
			return nil // nothing changed: nothing to tell
		}
		c.Name = &name
		if err := tx.Model(c).Update("name", name).Error; err != nil {
			return err
		}
		return appendEvents(tx, emit, c.ID, &models.ChatEvent{Kind: models.EventChatRenamed, ActorID: &v.UserID, Name: &name})
	})
	return c, err
}

// OpenPrivateChat returns the one private chat of the viewer and a friend,
// creating it the first time.
func (s *Service) OpenPrivateChat(ctx context.Context, friendID int64) (*models.Chat, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	if friendID == v.UserID {
		return nil, Invalid("friendId", "you cannot open a private chat with yourself")
	}
	a, b := min(v.UserID, friendID), max(v.UserID, friendID)
	var c models.Chat
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if err := requireFriends(tx, v.UserID, []int64{friendID}); err != nil {
			return err
		}
		// Both users opening it at once: the unique index lets one insert
		// win; the other finds the winner's row.
		res := tx.Raw(`INSERT INTO chats (kind, user_a_id, user_b_id) VALUES ('PRIVATE', ?, ?)
			ON CONFLICT (user_a_id, user_b_id) WHERE kind = 'PRIVATE' DO NOTHING RETURNING *`, a, b).Scan(&c)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			return addMembers(tx, &c, []int64{a, b}, nil, emit)
		}
		return tx.Where("kind = 'PRIVATE' AND user_a_id = ? AND user_b_id = ?", a, b).Take(&c).Error
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// leaveAllChats takes a user being deleted out of every chat, passing group
// ownership on, inside the deleting transaction.
func leaveAllChats(tx *gorm.DB, userID int64, emit func(...events.Event)) error {
	var chats []*models.Chat
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Order("id").
		Where("id IN (SELECT chat_id FROM chat_members WHERE user_id = ?)", userID).Find(&chats).Error
	if err != nil {
		return err
	}
	for _, c := range chats {
		if err := removeMember(tx, c, userID, nil, emit); err != nil {
			return err
		}
	}
	return nil
}
