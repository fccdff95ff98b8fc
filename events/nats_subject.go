package events

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
)

// maxToken is the longest topic part kept readable in a subject.
const maxToken = 64

// subject is where e goes in the stream: the prefix, the topic with its
// ":" read as a token separator, and e's chat when it names one, so that
// every chat has subjects of its own: user:42 -> gqlchat.user.42, the log
// of chat 17 -> gqlchat.log.17, typing in it -> gqlchat.typing.17.
// Receivers read the topic from the message, not from the subject, so a
// topic that would not make a valid or short subject goes to one named
// after its hash instead.
func subject(prefix string, e Event) string {
	var b strings.Builder
	b.WriteString(prefix)
	name, key, keyed := strings.Cut(e.Topic, ":")
	if isToken(name) && (!keyed || isToken(key)) {
		b.WriteString("." + name)
		if keyed {
			b.WriteString("." + key)
		}
	} else {
		sum := sha256.Sum256([]byte(e.Topic))
		b.WriteString("._." + hex.EncodeToString(sum[:16]))
	}
	if e.Chat != 0 {
		b.WriteString("." + strconv.FormatInt(e.Chat, 10))
	}
	return b.String()
}

// isToken reports whether s can be one token of a subject and the name of
// a stream: short, and only letters, digits, - and _.
func isToken(s string) bool {
	if s == "" || len(s) > maxToken {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// envelope is one message of the stream: an event, or none for a bare
// resync notice, with its sender's id and sequence number.
type envelope struct {
	From   string `json:"i"`
	Seq    uint64 `json:"n"`
	Resync bool   `json:"r,omitempty"` // the sender dropped events: everyone resync
	Event  *Event `json:"e,omitempty"`
}

// encode writes the envelope of event (encoded already, or nil) by hand,
// sparing a second encoding of the event.
func (env envelope) encode(event []byte) []byte {
	b := make([]byte, 0, len(event)+48)
	b = append(b, `{"i":`...)
	b = strconv.AppendQuote(b, env.From)
	b = append(b, `,"n":`...)
	b = strconv.AppendUint(b, env.Seq, 10)
	if env.Resync {
		b = append(b, `,"r":true`...)
	}
	if event != nil {
		b = append(b, `,"e":`...)
		b = append(b, event...)
	}
	return append(b, '}')
}

func decodeEnvelope(data []byte) (envelope, error) {
	var env envelope
	err := json.Unmarshal(data, &env)
	return env, err
}
