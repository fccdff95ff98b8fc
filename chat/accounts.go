package chat

import (
	"context"
	"errors"
	"log/slog"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/gqlchat/gqlchat/events"
	"github.com/gqlchat/gqlchat/models"
)

// usernameIndex is the unique index on live usernames (see migrations).
const usernameIndex = "users_username_key"

// AuthResult is a fresh log-in: a bearer token and its user.
type AuthResult struct {
	Token string
	User  *models.User
}

// SignUpInput is what a new account needs.
type SignUpInput struct {
	Username, DisplayName, Password string
}

// SignUp creates an account and logs it in.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*AuthResult, error) {
	if err := validUsername("username", in.Username); err != nil {
		return nil, err
	}
	name, err := cleanDisplayName("displayName", in.DisplayName)
	if err != nil {
		return nil, err
	}
	if err := s.validPassword("password", in.Password, in.Username); err != nil {
		return nil, err
	}
	hash, err := hashPassword(in.Password, s.cfg.Argon2)
	if err != nil {
		return nil, err
	}
	u := &models.User{Username: in.Username, DisplayName: name, PasswordHash: hash}
	var token string
	var v *Viewer
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		token, v, err = s.newSession(tx, u.ID)
		return err
	})
	if isUniqueViolation(err, usernameIndex) {
		return nil, &Error{Code: CodeConflict, Field: "username", Message: "that username is taken"}
	}
	if err != nil {
		return nil, err
	}
	loggedIn(ctx, v)
	return &AuthResult{Token: token, User: u}, nil
}

// errBadLogin is the one answer for an unknown user and a wrong password.
var errBadLogin = Errorf(CodeUnauthenticated, "wrong username or password")

// LogIn checks a username and password and starts a session.
func (s *Service) LogIn(ctx context.Context, username, password string) (*AuthResult, error) {
	// No account has a name outside the username rules; refusing those
	// here keeps UsernameKey, which the log-in limits count by, exactly
	// what the lookup below compares.
	if _, ok := UsernameKey(username); !ok {
		return nil, errBadLogin
	}
	var u models.User
	err := s.db.WithContext(ctx).Where("lower(username) = lower(?) AND deleted_at IS NULL", username).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		checkPassword(password, s.dummyHash) //nolint:errcheck // only spends the same time as a real check
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	ok, params, err := checkPassword(password, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadLogin
	}
	if params.weaker(s.cfg.Argon2) {
		if err := s.rehash(s.db.WithContext(ctx), &u, password); err != nil {
			return nil, err
		}
	}
	var token string
	var v *Viewer
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The password was checked without a lock (argon2 is slow); the
		// session is made only if the account and its hash are unchanged
		// since, so a concurrent changePassword or deleteAccount, which
		// revoke every session, cannot be outrun.
		var n int64
		err := tx.Raw(`SELECT count(*) FROM (SELECT 1 FROM users WHERE id = ? AND password_hash = ? AND deleted_at IS NULL FOR SHARE) u`,
			u.ID, u.PasswordHash).Scan(&n).Error
		if err != nil || n == 0 {
			return cmpErr(err, errBadLogin)
		}
		token, v, err = s.newSession(tx, u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	loggedIn(ctx, v)
	return &AuthResult{Token: token, User: &u}, nil
}

// rehash replaces u's password hash with a new one at the configured cost,
// unless the hash changed meanwhile.
func (s *Service) rehash(db *gorm.DB, u *models.User, password string) error {
	hash, err := hashPassword(password, s.cfg.Argon2)
	if err != nil {
		return err
	}
	err = db.Model(&models.User{}).Where("id = ? AND password_hash = ?", u.ID, u.PasswordHash).Update("password_hash", hash).Error
	u.PasswordHash = hash
	return err
}

// LogOut revokes the session the viewer used.
func (s *Service) LogOut(ctx context.Context) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		emit(sessionsChanged(v.UserID))
		return tx.Model(&models.Session{}).
			Where("id = ? AND revoked_at IS NULL", v.SessionID).
			Update("revoked_at", gorm.Expr("now()")).Error
	})
}

// UpdateProfileInput changes the fields that are not nil.
type UpdateProfileInput struct {
	Username, DisplayName *string
}

// UpdateProfile changes the viewer's username and/or display name.
func (s *Service) UpdateProfile(ctx context.Context, in UpdateProfileInput) (*models.User, error) {
	v, err := requireViewer(ctx)
	if err != nil {
		return nil, err
	}
	changes := map[string]any{}
	if in.Username != nil {
		if err := validUsername("username", *in.Username); err != nil {
			return nil, err
		}
		changes["username"] = *in.Username
	}
	if in.DisplayName != nil {
		name, err := cleanDisplayName("displayName", *in.DisplayName)
		if err != nil {
			return nil, err
		}
		changes["display_name"] = name
	}
	var u models.User
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if len(changes) > 0 {
			res := tx.Model(&models.User{}).Where("id = ? AND deleted_at IS NULL", v.UserID).Updates(changes)
			if res.Error != nil || res.RowsAffected == 0 {
				return cmpErr(res.Error, errUnauthenticated)
			}
		}
		return tx.Take(&u, v.UserID).Error
	})
	if isUniqueViolation(err, usernameIndex) {
		return nil, &Error{Code: CodeConflict, Field: "username", Message: "that username is taken"}
	}
	return &u, err
}

// ChangePassword replaces the viewer's password and revokes their other sessions.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		u, err := s.lockAndCheckPassword(tx, v.UserID, current, "currentPassword")
		if err != nil {
			return err
		}
		// Checked under the row lock: the rules depend on the username.
		if err := s.validPassword("newPassword", next, u.Username); err != nil {
			return err
		}
		if err := s.rehash(tx, u, next); err != nil {
			return err
		}
		emit(sessionsChanged(v.UserID))
		return revokeSessions(tx, v.UserID, v.SessionID)
	})
}

// DeleteAccount turns the viewer's account into a tombstone: the username is
// freed, every session ends, and whatever else refers to the user is cleaned
// up in the same transaction.
func (s *Service) DeleteAccount(ctx context.Context, password string) error {
	v, err := requireViewer(ctx)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *gorm.DB, emit func(...events.Event)) error {
		if _, err := s.lockAndCheckPassword(tx, v.UserID, password, "password"); err != nil {
			return err
		}
		err := tx.Model(&models.User{}).Where("id = ?", v.UserID).Updates(map[string]any{
			"username":      tombstoneUsername,
			"display_name":  "Deleted user",
			"password_hash": "",
			"deleted_at":    gorm.Expr("now()"),
		}).Error
		if err != nil {
			return err
		}
		// The chats before the friendships: posting, editing and reacting
		// lock a chat's row and then the friendship, so the other order
		// could deadlock with the friend's post in their private chat.
		if err := leaveAllChats(tx, v.UserID, emit); err != nil {
			return err
		}
		if err := leaveAllFriends(tx, v.UserID, emit); err != nil {
			return err
		}
		if err := forgetBlocks(tx, v.UserID); err != nil {
			return err
		}
		emit(sessionsChanged(v.UserID))
		return revokeSessions(tx, v.UserID, 0)
	})
	if err == nil {
		slog.InfoContext(ctx, "account deleted", "user_id", v.UserID)
	}
	return err
}

// lockAndCheckPassword locks the user's row in tx and checks their password.
func (s *Service) lockAndCheckPassword(tx *gorm.DB, userID int64, password, field string) (*models.User, error) {
	var u models.User
	// NO KEY UPDATE: it blocks lockLiveUsers (FOR SHARE) but not the
	// foreign-key checks of other transactions, which would deadlock
	// against the chat rows an account deletion locks.
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("deleted_at IS NULL").Take(&u, userID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errUnauthenticated
		}
		return nil, err
	}
	ok, _, err := checkPassword(password, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, Invalid(field, "the password is wrong")
	}
	return &u, nil
}
