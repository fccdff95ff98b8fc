package chat

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
)

// Config holds the tunable rules of the service.
type Config struct {
	// MinPasswordLength is the least number of characters in a password.
	MinPasswordLength int
	// TokenTTL is how long a log-in token stays valid.
	TokenTTL time.Duration
	// SessionCacheTTL is how long a checked token is trusted without a
	// query; 0 checks every time. See sessionCache.
	SessionCacheTTL time.Duration
	// EventRetention is how long the event log keeps events for resuming
	// streams; see PruneLog.
	EventRetention time.Duration
	// Argon2 sets the cost of new password hashes; older, weaker hashes are
	// upgraded when their owner logs in.
	Argon2 Argon2Params
	// Typing and Presence set the timings of typing indicators and of
	// presence; zero fields take the defaults.
	Typing   TypingTimings
	Presence PresenceTimings
}

// DefaultConfig is the configuration used where nothing else is set.
var DefaultConfig = Config{
	MinPasswordLength: 15,
	TokenTTL:          30 * 24 * time.Hour,
	SessionCacheTTL:   10 * time.Second,
	EventRetention:    30 * 24 * time.Hour,
	Argon2:            DefaultArgon2,
	Typing:            DefaultTypingTimings,
	Presence:          DefaultPresenceTimings,
}

// Service implements every operation of the chat API on PostgreSQL.
type Service struct {
	db  *gorm.DB
	bus events.Bus
	cfg Config
	// log reads new chat events once for all the local streams.
	log *logReader
	// sessions remembers recently checked tokens.
	sessions *sessionCache
	// typing, presence and presenceFeed are this instance's part of
	// typing indicators and presence.
	typing       *typingHub
	presence     *presence
	presenceFeed *presenceFeed
	// connSessions ends the connections whose session ended.
	connSessions *connSessions
	// searchStats says which words are common, for searches to choose
	// their plan.
	searchStats *searchStats
	// dummyHash is checked against when a log-in names an unknown user, so
	// that both failures take comparable time.
	dummyHash string
}

// NewService returns a service on db that publishes events on bus.
func NewService(db *gorm.DB, bus events.Bus, cfg Config) (*Service, error) {
	dummy, err := hashPassword("not a real password, only for timing", cfg.Argon2)
	if err != nil {
		return nil, err
	}
	cfg.Typing, cfg.Presence = cfg.Typing.withDefaults(), cfg.Presence.withDefaults()
	s := &Service{db: db, bus: bus, cfg: cfg, dummyHash: dummy, log: newLogReader(db, bus),
		sessions: newSessionCache(bus, cfg.SessionCacheTTL),
		typing:   newTypingHub(db, bus, cfg.Typing), presence: newPresence(db, bus, cfg.Presence),
		presenceFeed: newPresenceFeed(db, bus)}
	s.connSessions = newConnSessions(s)
	s.searchStats = &searchStats{} // read by RunSearchStats
	return s, nil
}

// Ping reports whether the database answers.
func (s *Service) Ping(ctx context.Context) error {
	db, err := s.db.DB()
	if err != nil {
		return err
	}
	return db.PingContext(ctx)
}

// inTx runs fn in a transaction and publishes the events fn emitted only
// after the commit: a rolled-back change publishes nothing.
func (s *Service) inTx(ctx context.Context, fn func(tx *gorm.DB, emit func(...events.Event)) error) error {
	var out []events.Event
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		out = out[:0]
		return fn(tx, func(e ...events.Event) { out = append(out, e...) })
	})
	if err == nil && len(out) > 0 {
		s.bus.Publish(out...)
	}
	return err
}
