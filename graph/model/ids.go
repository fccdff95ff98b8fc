package model

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// Kind names a type of object that has a Relay global id.
type Kind string

// The kinds of objects with global ids.
const (
	KindUser          Kind = "User"
	KindFriendRequest Kind = "FriendRequest"
	KindChat          Kind = "Chat"
	KindMessage       Kind = "Message"
)

var kinds = map[Kind]bool{KindUser: true, KindFriendRequest: true, KindChat: true, KindMessage: true}

// ErrMalformedID is returned for a global id that does not decode.
var ErrMalformedID = errors.New("malformed id")

// EncodeID returns the opaque global id of the object of kind k with key id.
func EncodeID(k Kind, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(k) + ":" + strconv.FormatInt(id, 10)))
}

// DecodeID splits a global id into its kind and key.
func DecodeID(gid string) (Kind, int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, ErrMalformedID
	}
	k, num, ok := strings.Cut(string(raw), ":")
	id, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || id <= 0 || !kinds[Kind(k)] || EncodeID(Kind(k), id) != gid {
		return "", 0, ErrMalformedID // one spelling per object: no "User:01" or "User:+1"
	}
	return Kind(k), id, nil
}
