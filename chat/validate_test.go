package chat_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// invisible are strings that show nothing: white space, zero-width and
// other format characters, combining marks without a base, fillers.
var invisible = map[string]string{
	"zero-width space":               "\u200b",
	"zero-width non-joiner, joiner":  "\u200c\u200d",
	"word joiner and BOM":            " \u2060\ufeff ",
	"no-break and ideographic space": "\u00a0\u3000",
	"soft hyphen":                    "\u00ad",
	"combining marks alone":          "\u0301\u0308",
	"combining grapheme joiner":      "\u034f",
	"variation selector":             "\ufe0f",
	"Hangul fillers":                 "\u115f\u1160\u3164\uffa0",
	"Braille blank":                  "\u2800",
	"tag characters":                 "\U000e0041\U000e007f",
	"Mongolian vowel separator":      "\u180e",
	"bidi isolate alone":             "\u2067\u2069",
}

// visible are strings that show, with joiners and marks where they belong.
var visible = []string{"Zoë", "Zoe\u0308", "😀", "👨\u200d👩\u200d👧", "العربية", "a\u200bb", "\u05e9\u05dc\u05d5\u05dd"}

// bidiControls open embeddings, overrides or isolates.
var bidiControls = map[string]string{
	"right-to-left override":  "evil\u202etxt.exe",
	"left-to-right embedding": "\u202aname\u202c",
	"first-strong isolate":    "a\u2068b\u2069",
	"pop directional isolate": "name\u2069",
}

func TestDisplayName_MustShowAndHaveNoBidiControls(t *testing.T) {
	t.Parallel()
	s := newHarness(t)
	u := mustSignUp(t, s, "dn")
	ctx := u.Ctx
	refused := map[string]string{}
	for why, name := range invisible {
		refused[why] = name
	}
	for why, name := range bidiControls {
		refused[why] = name
	}
	for why, name := range refused {
		_, err := s.SignUp(context.Background(), chat.SignUpInput{Username: "dn_new", DisplayName: name, Password: testPassword})
		mustBeInvalid(t, "signUp: "+why, err, "displayName", "")
		_, err = s.UpdateProfile(ctx, chat.UpdateProfileInput{DisplayName: &name})
		mustBeInvalid(t, "updateProfile: "+why, err, "displayName", "")
	}
	for _, name := range visible {
		if _, err := s.UpdateProfile(ctx, chat.UpdateProfileInput{DisplayName: &name}); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	if n := countUsers(t, s); n != 1 {
		t.Fatalf("refused sign-ups made %d accounts", n-1)
	}
}

func TestGroupName_MustShowAndHaveNoBidiControls(t *testing.T) {
	t.Parallel()
	s := newHarness(t)
	u := mustSignUp(t, s, "gn")
	ctx := u.Ctx
	g := mustGroup(t, s, u, "Group")
	for _, set := range []map[string]string{invisible, bidiControls} {
		for why, name := range set {
			_, err := s.CreateGroupChat(ctx, name, nil)
			mustBeInvalid(t, "createGroupChat: "+why, err, "name", "")
			_, err = s.RenameGroupChat(ctx, g.ID, name)
			mustBeInvalid(t, "renameGroupChat: "+why, err, "name", "")
		}
	}
	for _, name := range visible {
		if _, err := s.RenameGroupChat(ctx, g.ID, name); err != nil {
			t.Errorf("%q: %v", name, err)
		}
	}
	var n int64
	s.DB.Model(&models.Chat{}).Count(&n)
	if n != 1 {
		t.Fatalf("refused groups made %d chats", n-1)
	}
}

func TestPostMessage_BodyMustShowButMayHoldBidiControls(t *testing.T) {
	t.Parallel()
	s := newHarness(t)
	u := mustSignUp(t, s, "mb")
	ctx := u.Ctx
	g := mustGroup(t, s, u, "Messages")
	for why, body := range invisible {
		_, err := s.PostMessage(ctx, chat.PostMessageInput{ChatID: g.ID, Body: body + "\n\t" + body})
		mustBeInvalid(t, why, err, "body", "")
	}
	// A body is a paragraph of its own: isolates are how right-to-left
	// text is quoted in it, and they cannot reorder anything outside it.
	for _, body := range append(visible, "he said \u2067\u05e9\u05dc\u05d5\u05dd\u2069 twice") {
		if _, err := s.PostMessage(ctx, chat.PostMessageInput{ChatID: g.ID, Body: body}); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}

// Usernames are ASCII letters, digits, '_' and '.', so no bidirectional
// control or invisible character can be part of one.
func TestSignUp_UsernameCannotHoldInvisibleOrBidiCharacters(t *testing.T) {
	t.Parallel()
	s := newHarness(t)
	for _, name := range []string{"ab\u202ecd", "abc\u200b", "\u2066abc\u2069", "abc\u0301"} {
		_, err := s.SignUp(context.Background(), chat.SignUpInput{Username: name, DisplayName: "D", Password: testPassword})
		mustBeInvalid(t, name, err, "username", "")
	}
}

// Every deleted account is shown under one tombstone username; a live
// account must not be able to pass for it, in any case or spelling.
func TestSignUp_TheTombstoneUsernameIsReserved(t *testing.T) {
	t.Parallel()
	s := newHarness(t)
	gone := mustSignUp(t, s, "gone")
	if err := s.DeleteAccount(gone.Ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	var tombstone string
	if err := s.DB.Model(&models.User{}).Where("deleted_at IS NOT NULL").Pluck("username", &tombstone).Error; err != nil {
		t.Fatal(err)
	}
	lookalikes := []string{tombstone, strings.ToUpper(tombstone), "deleted_user", "Deleted_User", "DELETED.USER", "deleteduser"}
	for _, sep := range []string{"_", ".", ""} {
		lookalikes = append(lookalikes, strings.NewReplacer("-", sep, " ", sep).Replace(tombstone))
	}
	live := mustSignUp(t, s, "live")
	ctx := live.Ctx
	for _, name := range lookalikes {
		_, err := s.SignUp(context.Background(), chat.SignUpInput{Username: name, DisplayName: "D", Password: testPassword})
		mustBeInvalid(t, "signUp "+name, err, "username", "")
		_, err = s.UpdateProfile(ctx, chat.UpdateProfileInput{Username: &name})
		mustBeInvalid(t, "updateProfile "+name, err, "username", "")
	}
	for _, name := range []string{"deleted", "deleted_user2", "undeleted_user"} {
		if _, err := s.SignUp(context.Background(), chat.SignUpInput{Username: name, DisplayName: "D", Password: testPassword}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
