package chat

import (
	"context"
	"errors"

	"github.com/gqlchat/gqlchat/models"
)

// MessageEventsAs is being rebuilt on the event log (work in progress on
// a branch; never on main).
func MessageEventsAs[T any](ctx context.Context, s *Service, chatID *int64, after *string, as func(*models.Message) T, ready func()) (<-chan T, error) {
	return nil, errors.New("being rebuilt")
}

// MessageEvents: see MessageEventsAs.
func (s *Service) MessageEvents(ctx context.Context, chatID *int64, after *string, ready func()) (<-chan *models.Message, error) {
	return MessageEventsAs(ctx, s, chatID, after, itself, ready)
}
