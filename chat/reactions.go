package chat

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// MaxReactionKinds bounds the different emoji on one message, as Slack
// does: it bounds what every reader of the message loads, and a new emoji
// beyond it can still join one of those there.
const MaxReactionKinds = 50

// AddReaction makes the viewer react to a message with emoji, once per
// emoji: reacting again changes nothing and tells nobody. Members may
// react while they may post in the chat, to a message not deleted.
func (s *Service) AddReaction(ctx context.Context, messageID int64, emoji string) (*models.Message, error) {
	emoji, invalid := cleanEmoji(emoji)
	return s.changeMessage(ctx, messageID, models.EventReactionsChanged, invalid, func(tx *gorm.DB, v *Viewer, m *models.Message, c *models.Chat) (bool, error) {
		if m.Deleted() {
			return false, errDeleted
		}
		if err := s.mayPost(tx, c, v.UserID); err != nil {
			return false, err
		}
		var kinds struct {
			N     int
			Known bool
		}
		err := tx.Raw(`SELECT count(DISTINCT emoji) AS n, coalesce(bool_or(emoji = ?), false) AS known
			FROM message_reactions WHERE message_id = ?`, emoji, m.ID).Scan(&kinds).Error
		if err != nil {
			return false, err
		}
		if !kinds.Known && kinds.N >= MaxReactionKinds {
			return false, Invalid("emoji", "a message has at most %d different reactions: add one of those", MaxReactionKinds)
		}
		res := tx.Exec(`INSERT INTO message_reactions (message_id, emoji, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			m.ID, emoji, v.UserID)
		return res.RowsAffected == 1, res.Error
	})
}

// RemoveReaction takes back the viewer's reaction with emoji; without one
// it changes nothing. Like deleting one's own message, it stays allowed
// where the viewer may no longer post, and on a deleted message it finds
// nothing to remove.
func (s *Service) RemoveReaction(ctx context.Context, messageID int64, emoji string) (*models.Message, error) {
	emoji, invalid := cleanEmoji(emoji)
	return s.changeMessage(ctx, messageID, models.EventReactionsChanged, invalid, func(tx *gorm.DB, v *Viewer, m *models.Message, _ *models.Chat) (bool, error) {
		res := tx.Where("message_id = ? AND emoji = ? AND user_id = ?", m.ID, emoji, v.UserID).Delete(&models.MessageReaction{})
		return res.RowsAffected == 1, res.Error
	})
}

// ReactionsOf returns the reactions to each of messageIDs, without
// checking who may see them: it is for readers that did (the streams,
// which load them once for all their subscribers). Every id has an entry,
// empty (not nil) for a message without reactions.
func (s *Service) ReactionsOf(ctx context.Context, messageIDs []int64) (map[int64][]models.ReactionGroup, error) {
	return reactionGroups(s.db.WithContext(ctx).Where("message_id IN ?", messageIDs), messageIDs)
}

// Reactions returns the reactions to each of messageIDs, in order, with
// none for messages in chats the viewer is not in: in one query, whatever
// the number of messages (the dataloader batches here).
func (s *Service) Reactions(ctx context.Context, messageIDs []int64) ([][]models.ReactionGroup, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := reactionGroups(s.db.WithContext(ctx).Where(`message_id IN (SELECT id FROM messages
		WHERE id IN ? AND chat_id IN (SELECT chat_id FROM chat_members WHERE user_id = ?))`, messageIDs, v.UserID), messageIDs)
	if err != nil {
		return nil, err
	}
	out := make([][]models.ReactionGroup, len(messageIDs))
	for i, id := range messageIDs {
		out[i] = groups[id]
	}
	return out, nil
}

// reactionGroups reads the reactions q selects and groups them by message
// and emoji: most used first, and among equals the one first reacted
// with, so that the order does not flicker as counts tie; the users of
// each in the order they reacted.
func reactionGroups(q *gorm.DB, messageIDs []int64) (map[int64][]models.ReactionGroup, error) {
	if len(messageIDs) == 0 {
		return groupReactions(nil, messageIDs), nil
	}
	var rows []*models.MessageReaction
	if err := q.Order("message_id, created_at, user_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	return groupReactions(rows, messageIDs), nil
}

// groupReactions groups rows, in the order they were made, as
// reactionGroups does; every id of messageIDs has an entry.
func groupReactions(rows []*models.MessageReaction, messageIDs []int64) map[int64][]models.ReactionGroup {
	out := make(map[int64][]models.ReactionGroup, len(messageIDs))
	for _, id := range messageIDs {
		out[id] = []models.ReactionGroup{}
	}
	for _, r := range rows {
		gs := out[r.MessageID]
		i := slices.IndexFunc(gs, func(g models.ReactionGroup) bool { return g.Emoji == r.Emoji })
		if i < 0 {
			i, gs = len(gs), append(gs, models.ReactionGroup{Emoji: r.Emoji})
		}
		gs[i].UserIDs = append(gs[i].UserIDs, r.UserID)
		out[r.MessageID] = gs
	}
	for _, gs := range out {
		slices.SortStableFunc(gs, func(a, b models.ReactionGroup) int { return len(b.UserIDs) - len(a.UserIDs) })
	}
	return out
}

// ReactionUsers pages through the users of reaction g to message
// messageID, in the order they reacted. g comes loaded whole (a reaction
// has at most one user per member), so paging needs no query. A cursor
// names its user and position: while that user's reaction stays, the next
// page starts after it; if they took it back, at the position it had,
// where the next user has moved up to.
func ReactionUsers(messageID int64, g models.ReactionGroup, page PageArgs) (*Page[int64], error) {
	var msg, userID int64
	var emoji string
	var at int
	limit, hasCursor, err := page.forward(&msg, &emoji, &userID, &at)
	if err != nil {
		return nil, err
	}
	start := 0
	if hasCursor {
		if msg != messageID || emoji != g.Emoji {
			return nil, Invalid("after", "after is a cursor of another list")
		}
		start = min(max(at, 0), len(g.UserIDs))
		if i := slices.Index(g.UserIDs, userID); i >= 0 {
			start = i + 1
		}
	}
	var positions []int
	for i := start; i < len(g.UserIDs) && i <= start+limit; i++ {
		positions = append(positions, i)
	}
	p := newPage(positions, limit, hasCursor, func(i int) []any { return []any{messageID, g.Emoji, g.UserIDs[i], i} })
	ids := make([]int64, len(p.Items))
	for i, pos := range p.Items {
		ids[i] = g.UserIDs[pos]
	}
	return &Page[int64]{Items: ids, Cursors: p.Cursors, HasNext: p.HasNext, HasPrevious: p.HasPrevious}, nil
}
