package chat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// errBadToken is the answer for any token that is not a live session.
var errBadToken = Errorf(CodeUnauthenticated, "the token is invalid, expired or revoked; log in again")

// newSession creates a session for userID inside tx and returns its token
// and viewer; once tx commits, the caller makes that the viewer of the rest
// of the operation. Only the token's SHA-256 is stored: the token itself
// carries 256 random bits, so a slow hash adds nothing.
func (s *Service) newSession(tx *gorm.DB, userID int64) (string, *Viewer, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sess := models.Session{UserID: userID, TokenHash: hashToken(token), ExpiresAt: time.Now().Add(s.cfg.TokenTTL)}
	if err := tx.Create(&sess).Error; err != nil {
		return "", nil, err
	}
	return token, &Viewer{UserID: userID, SessionID: sess.ID, ExpiresAt: sess.ExpiresAt}, nil
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// BearerToken strips the "Bearer" scheme from an Authorization value. An
// empty result means no credentials: clients commonly send "Bearer " with
// no token before logging in, and that is an anonymous request.
func BearerToken(header string) string {
	token := strings.TrimSpace(header)
	if len(token) >= 6 && strings.EqualFold(token[:6], "bearer") && (len(token) == 6 || token[6] == ' ') {
		token = strings.TrimSpace(token[6:])
	}
	return token
}

// Authenticate returns the viewer that a bearer token belongs to, or UNAUTHENTICATED.
func (s *Service) Authenticate(ctx context.Context, token string) (*Viewer, error) {
	if token == "" {
		return nil, errBadToken
	}
	hash := hashToken(token)
	v, epoch := s.sessions.get(hash)
	if v != nil {
		return v, nil
	}
	var sess models.Session
	err := s.db.WithContext(ctx).
		Where("token_hash = ? AND revoked_at IS NULL AND expires_at > now()", hash).
		Take(&sess).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	v = &Viewer{UserID: sess.UserID, SessionID: sess.ID, ExpiresAt: sess.ExpiresAt}
	s.sessions.put(hash, v, epoch)
	return v, nil
}

// SessionActive reports whether the viewer's session is still live; open
// WebSocket connections use it to notice revocation.
func (s *Service) SessionActive(ctx context.Context, v *Viewer) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.Session{}).
		Where("id = ? AND revoked_at IS NULL AND expires_at > now()", v.SessionID).Count(&n).Error
	return n == 1, err
}

// revokeSessions ends the user's sessions inside tx, except keep (0 for none).
func revokeSessions(tx *gorm.DB, userID, keep int64) error {
	return tx.Model(&models.Session{}).
		Where("user_id = ? AND id <> ? AND revoked_at IS NULL", userID, keep).
		Update("revoked_at", gorm.Expr("now()")).Error
}

// sessionsChanged tells the user's open connections to re-check their
// session, and every instance's cache to forget the user's tokens.
func sessionsChanged(userID int64) []events.Event {
	return []events.Event{
		{Topic: events.UserTopic(userID), Kind: events.SessionsChanged},
		{Topic: events.SessionsTopic, Kind: events.SessionsChanged, ID: userID},
	}
}

// CheckSession returns UNAUTHENTICATED unless the viewer's session is live.
func (s *Service) CheckSession(ctx context.Context, v *Viewer) error {
	ok, err := s.SessionActive(ctx, v)
	if err == nil && !ok {
		err = errBadToken
	}
	return err
}
