package graph

import (
	"github.com/gqlchat/gqlchat/chat"
	"github.com/gqlchat/gqlchat/graph/model"
)

// Global ids are encoded in graph/model (ids.go), beside the node types
// whose GlobalID methods use them; here they are read from the input.

// decodeID turns the global id in input field into the key of an object
// of kind: BAD_USER_INPUT naming the field when it is malformed or the id
// of another kind of object (a User's id where a Chat's is expected is a
// mistake in the request, not an object that might exist).
func decodeID(gid string, kind model.Kind, field string) (int64, error) {
	k, id, err := model.DecodeID(gid)
	if err != nil {
		return 0, chat.Invalid(field, "%q is not a valid id", gid)
	}
	if k != kind {
		return 0, chat.Invalid(field, "%q is the id of a %s, not of a %s", gid, k, kind)
	}
	return id, nil
}

// decodeOptionalID decodes a global id that may be absent (nil).
func decodeOptionalID(gid *string, kind model.Kind, field string) (*int64, error) {
	if gid == nil {
		return nil, nil
	}
	id, err := decodeID(*gid, kind, field)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// decodeIDs decodes a list of global ids of one kind.
func decodeIDs(gids []string, kind model.Kind, field string) ([]int64, error) {
	ids := make([]int64, len(gids))
	for i, gid := range gids {
		id, err := decodeID(gid, kind, field)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}
