package httpapi_test

// The operations the tests send.
const (
	viewerQuery   = `{ viewer { id username } }`
	searchQuery   = `query($q: String!) { searchUsers(query: $q) { totalCount } }`
	signUp        = `mutation($in: SignUpInput!) { signUp(input: $in) { token } }`
	logInMutation = `mutation($u: String!, $p: String!) { logIn(input: {username: $u, password: $p}) { token user { username } } }`
	createGroup   = `mutation($name: String!, $ids: [ID!]!) { createGroupChat(input: {name: $name, memberIds: $ids}) { id } }`
	postMessage   = `mutation($chat: ID!, $body: String!, $cid: String) {
		postMessage(input: {chatId: $chat, body: $body, clientMessageId: $cid}) { id body } }`
	subReceived = `subscription { friendRequestReceived { id status from { id username } } }`
	subUpdated  = `subscription { friendRequestUpdated { id status } }`
	subMessages = `subscription($chat: ID, $after: String) { messagePosted(chatId: $chat, after: $after) { id body cursor sender { id } chat { id } } }`
)

// viewerData is the data of viewerQuery.
type viewerData struct {
	Viewer *struct{ ID, Username string }
}
