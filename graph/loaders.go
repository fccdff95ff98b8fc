package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
	"github.com/gqlchat/gqlchat/models"
)

// loaders batch the lookups that lists would otherwise make once per item.
// They are built per response (each HTTP request, each subscription event),
// never per connection, so that no response sees another's stale data.
type loaders struct {
	users        *dataloadgen.Loader[int64, *models.User]
	friendships  *dataloadgen.Loader[int64, chat.FriendshipStatus]
	chats        *dataloadgen.Loader[int64, *models.Chat]
	lastMessages *dataloadgen.Loader[int64, *models.Message]
	messages     *dataloadgen.Loader[int64, *models.Message]
	reactions    *dataloadgen.Loader[int64, []models.ReactionGroup]
	readMarkers  *dataloadgen.Loader[int64, int64]
	memberCounts *dataloadgen.Loader[int64, int]
	receipts     *dataloadgen.Loader[int64, *chat.Receipts] // by chat
	lastRead     *dataloadgen.Loader[chat.ChatSeq, *models.Message]
	firstMembers map[int]*dataloadgen.Loader[int64, *chat.Page[*models.User]] // by page size
	mu           sync.Mutex                                                   // guards firstMembers
	svc          *chat.Service
	wait         dataloadgen.Option
}

type loadersKey struct{}

// DefaultBatchWait is how long a loader gathers keys before it queries.
// gqlgen starts the resolvers of a list's items within a millisecond of
// each other; the library's default of 16 ms would add that much to every
// level of every request.
const DefaultBatchWait = 2 * time.Millisecond

// WithLoaders gives each response a fresh set of loaders, for
// handler.Server.AroundResponses: the resolvers need them.
func WithLoaders(svc *chat.Service, wait time.Duration) graphql.ResponseMiddleware {
	batchWait := dataloadgen.WithWait(wait)
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		l := &loaders{
			users:        dataloadgen.NewLoader(noErrors(svc.UsersByIDs), batchWait),
			friendships:  dataloadgen.NewLoader(noErrors(svc.FriendshipStatuses), batchWait),
			chats:        dataloadgen.NewLoader(noErrors(svc.ChatsByIDs), batchWait),
			lastMessages: dataloadgen.NewLoader(noErrors(svc.LastMessages), batchWait),
			messages:     dataloadgen.NewLoader(noErrors(svc.MessagesByIDs), batchWait),
			reactions:    dataloadgen.NewLoader(noErrors(svc.Reactions), batchWait),
			readMarkers:  dataloadgen.NewLoader(noErrors(svc.ReadMarkers), batchWait),
			memberCounts: dataloadgen.NewLoader(noErrors(svc.MemberCounts), batchWait),
			receipts:     dataloadgen.NewLoader(noErrors(svc.ChatReceipts), batchWait),
			lastRead:     dataloadgen.NewLoader(noErrors(svc.LastReadMessages), batchWait),
			firstMembers: map[int]*dataloadgen.Loader[int64, *chat.Page[*models.User]]{},
			svc:          svc,
			wait:         batchWait,
		}
		return next(context.WithValue(ctx, loadersKey{}, l))
	}
}

func loadersFrom(ctx context.Context) *loaders { return ctx.Value(loadersKey{}).(*loaders) }

// noErrors adapts a batch function that fails as a whole to dataloadgen.
func noErrors[K comparable, V any](fetch func(context.Context, []K) ([]V, error)) func(context.Context, []K) ([]V, []error) {
	return func(ctx context.Context, keys []K) ([]V, []error) {
		vs, err := fetch(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		return vs, nil
	}
}

// user loads a user (a tombstone for deleted accounts) through the loader.
func user(ctx context.Context, id int64) (*model.User, error) {
	u, err := loadersFrom(ctx).users.Load(ctx, id)
	if err == nil && u == nil {
		return nil, chat.Errorf(chat.CodeNotFound, "no such user")
	}
	return (*model.User)(u), err
}

// firstMembersOf loads the first page of a chat's members, batched with the
// other chats of the response that ask for the same page size.
func (l *loaders) firstMembersOf(ctx context.Context, chatID int64, first *int) (*chat.Page[*models.User], error) {
	size := chat.DefaultPageSize
	if first != nil {
		size = *first
	}
	l.mu.Lock()
	loader := l.firstMembers[size]
	if loader == nil {
		loader = dataloadgen.NewLoader(noErrors(func(ctx context.Context, ids []int64) ([]*chat.Page[*models.User], error) {
			return l.svc.FirstMembers(ctx, ids, first)
		}), l.wait)
		l.firstMembers[size] = loader
	}
	l.mu.Unlock()
	return loader.Load(ctx, chatID)
}
