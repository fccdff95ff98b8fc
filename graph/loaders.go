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
// Each is made on first use: most responses, a subscription's event above
// all, use few or none, and a delivery to each of a chat's subscribers
// would otherwise build all eight.
type loaders struct {
	mu            sync.Mutex // guards the loaders, made on first use
	usersL        *dataloadgen.Loader[int64, *models.User]
	friendshipsL  *dataloadgen.Loader[int64, chat.FriendshipStatus]
	blockedL      *dataloadgen.Loader[int64, bool] // by the viewer
	chatsL        *dataloadgen.Loader[int64, *models.Chat]
	lastMessagesL *dataloadgen.Loader[int64, *models.Message]
	messagesL     *dataloadgen.Loader[int64, *models.Message]
	reactionsL    *dataloadgen.Loader[int64, []models.ReactionGroup]
	readMarkersL  *dataloadgen.Loader[int64, int64]
	memberCountsL *dataloadgen.Loader[int64, int]
	// presenceVisibleL says whether the viewer may see a user's presence.
	presenceVisibleL *dataloadgen.Loader[int64, bool]
	receiptsL        *dataloadgen.Loader[int64, *chat.Receipts] // by chat
	lastReadL        *dataloadgen.Loader[chat.ChatSeq, *models.Message]
	firstMembers     map[int]*dataloadgen.Loader[int64, *chat.Page[*models.User]] // by page size
	svc              *chat.Service
	wait             dataloadgen.Option
}

func (l *loaders) users() *dataloadgen.Loader[int64, *models.User] {
	return lazy(l, &l.usersL, l.svc.UsersByIDs)
}

func (l *loaders) friendships() *dataloadgen.Loader[int64, chat.FriendshipStatus] {
	return lazy(l, &l.friendshipsL, l.svc.FriendshipStatuses)
}

func (l *loaders) blocked() *dataloadgen.Loader[int64, bool] {
	return lazy(l, &l.blockedL, l.svc.BlockedByViewer)
}

func (l *loaders) chats() *dataloadgen.Loader[int64, *models.Chat] {
	return lazy(l, &l.chatsL, l.svc.ChatsByIDs)
}

func (l *loaders) lastMessages() *dataloadgen.Loader[int64, *models.Message] {
	return lazy(l, &l.lastMessagesL, l.svc.LastMessages)
}

func (l *loaders) messages() *dataloadgen.Loader[int64, *models.Message] {
	return lazy(l, &l.messagesL, l.svc.MessagesByIDs)
}

func (l *loaders) reactions() *dataloadgen.Loader[int64, []models.ReactionGroup] {
	return lazy(l, &l.reactionsL, l.svc.Reactions)
}

func (l *loaders) readMarkers() *dataloadgen.Loader[int64, int64] {
	return lazy(l, &l.readMarkersL, l.svc.ReadMarkers)
}

func (l *loaders) memberCounts() *dataloadgen.Loader[int64, int] {
	return lazy(l, &l.memberCountsL, l.svc.MemberCounts)
}

func (l *loaders) presenceVisible() *dataloadgen.Loader[int64, bool] {
	return lazy(l, &l.presenceVisibleL, l.svc.PresenceVisible)
}

func (l *loaders) receipts() *dataloadgen.Loader[int64, *chat.Receipts] {
	return lazy(l, &l.receiptsL, l.svc.ChatReceipts)
}

func (l *loaders) lastRead() *dataloadgen.Loader[chat.ChatSeq, *models.Message] {
	return lazy(l, &l.lastReadL, l.svc.LastReadMessages)
}

// lazy returns *p, made from fetch if it was not made yet.
func lazy[K comparable, V any](l *loaders, p **dataloadgen.Loader[K, V], fetch func(context.Context, []K) ([]V, error)) *dataloadgen.Loader[K, V] {
	l.mu.Lock()
	defer l.mu.Unlock()
	if *p == nil {
		*p = dataloadgen.NewLoader(noErrors(fetch), l.wait)
	}
	return *p
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
		l := &loaders{svc: svc, wait: batchWait}
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
	u, err := loadersFrom(ctx).users().Load(ctx, id)
	if err == nil && u == nil {
		return nil, chat.Errorf(chat.CodeNotFound, "no such user")
	}
	return (*model.User)(u), err
}

// firstMembersOf loads the first page of a chat's members, batched with the
// other chats of the response that ask for the same page size.
func (l *loaders) firstMembersOf(ctx context.Context, chatID int64, first *int) (*chat.Page[*models.User], error) {
	return l.firstMembersLoader(first).Load(ctx, chatID)
}

// firstMembersLoader is the loader of first pages of members of one size.
func (l *loaders) firstMembersLoader(first *int) *dataloadgen.Loader[int64, *chat.Page[*models.User]] {
	size := chat.DefaultPageSize
	if first != nil {
		size = *first
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	loader := l.firstMembers[size]
	if loader == nil {
		if l.firstMembers == nil {
			l.firstMembers = map[int]*dataloadgen.Loader[int64, *chat.Page[*models.User]]{}
		}
		loader = dataloadgen.NewLoader(noErrors(func(ctx context.Context, ids []int64) ([]*chat.Page[*models.User], error) {
			return l.svc.FirstMembers(ctx, ids, first)
		}), l.wait)
		l.firstMembers[size] = loader
	}
	return loader
}
