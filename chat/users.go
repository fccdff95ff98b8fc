package chat

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/models"
)

// Viewer returns the logged-in user, or nil for anonymous callers.
func (s *Service) Viewer(ctx context.Context) (*models.User, error) {
	v := ViewerFrom(ctx)
	if v == nil {
		return nil, nil
	}
	return s.UserByID(ctx, v.UserID)
}

// UserByID returns a user, deleted ones included (as tombstones), or nil.
func (s *Service) UserByID(ctx context.Context, id int64) (*models.User, error) {
	users, err := s.UsersByIDs(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	return users[0], nil
}

// UsersByIDs returns the users with ids in the same order, nil where none
// exists. The dataloader batches through it.
func (s *Service) UsersByIDs(ctx context.Context, ids []int64) ([]*models.User, error) {
	if _, err := requireViewer(ctx); err != nil {
		return nil, err
	}
	rows, err := queryRows(ctx, s.db, `SELECT `+userColumns+` FROM users u WHERE u.id = ANY($1)`, []any{ids}, userFields)
	if err != nil {
		return nil, err
	}
	return inOrder(ids, rows, func(u *models.User) int64 { return u.ID }), nil
}

// UserNodes is UsersByIDs for node(id) and nodes(ids), lookups by id
// alone: a user who blocked the viewer is nil there, as one who never
// existed, since they are also not found by username, in searchUsers or
// by a friend request. Where the viewer meets them through something
// else (a shared group's members and messages, their old private chat),
// UsersByIDs shows them as they are.
func (s *Service) UserNodes(ctx context.Context, ids []int64) ([]*models.User, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := queryRows(ctx, s.db, `SELECT `+userColumns+` FROM users u WHERE u.id = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM user_blocks ub WHERE ub.blocker_id = u.id AND ub.blocked_id = $2)`, []any{ids, v.UserID}, userFields)
	if err != nil {
		return nil, err
	}
	return inOrder(ids, rows, func(u *models.User) int64 { return u.ID }), nil
}

// UserByUsername finds a live user by username without regard to case, or
// nil; a user who blocked the viewer is nil too (see blocks.go).
func (s *Service) UserByUsername(ctx context.Context, username string) (*models.User, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	var u models.User
	err = s.db.WithContext(ctx).Where("lower(username) = lower(?) AND deleted_at IS NULL", username).
		Where(notBlockedBy("users.id", v.UserID)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &u, err
}

// searchScope matches live users whose username or display name starts
// with query, but not those who blocked the viewer.
func searchScope(viewerID int64, query string) (func(*gorm.DB) *gorm.DB, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" || utf8.RuneCountInString(q) > 64 {
		return nil, Invalid("query", "query must be 1 to 64 characters")
	}
	pattern := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
	return func(db *gorm.DB) *gorm.DB {
		return db.Model(&models.User{}).Where("deleted_at IS NULL AND (lower(username) LIKE ? OR lower(display_name) LIKE ?)", pattern, pattern).
			Where(notBlockedBy("users.id", viewerID))
	}, nil
}

// SearchUsers returns live users whose username or display name starts
// with query (without regard to case), ordered by username, leaving out
// those who blocked the viewer (see blocks.go).
func (s *Service) SearchUsers(ctx context.Context, query string, page PageArgs) (*Page[*models.User], error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	scope, err := searchScope(v.UserID, query)
	if err != nil {
		return nil, err
	}
	var afterName string
	var afterID int64
	limit, hasCursor, err := page.forward(&afterName, &afterID)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx).Scopes(scope)
	if hasCursor {
		db = db.Where("(lower(username), id) > (?, ?)", afterName, afterID)
	}
	var rows []*models.User
	if err := db.Order("lower(username), id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, err
	}
	return newPage(rows, limit, hasCursor, func(u *models.User) []any {
		return []any{strings.ToLower(u.Username), u.ID}
	}), nil
}

// CountSearchUsers is the total number of matches of SearchUsers.
func (s *Service) CountSearchUsers(ctx context.Context, query string) (int, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return 0, err
	}
	scope, err := searchScope(v.UserID, query)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.db.WithContext(ctx).Scopes(scope).Count(&n).Error
	return int(n), err
}
