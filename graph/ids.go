package graph

import (
	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/models"
)

// decodeID turns the global id in input field into the key of an object
// of kind: BAD_USER_INPUT when malformed, NOT_FOUND when of another kind.
func decodeID(gid string, kind models.Kind, field string) (int64, error) {
	k, id, err := models.DecodeID(gid)
	if err != nil {
		return 0, chat.Invalid(field, "%q is not a valid id", gid)
	}
	if k != kind {
		return 0, chat.Errorf(chat.CodeNotFound, "%s is not a %s", field, kind)
	}
	return id, nil
}
