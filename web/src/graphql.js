// The client's GraphQL documents. Every Message and Chat reaches the cache
// through one fragment (MESSAGE, CHAT): a message appended live or by a
// mutation then has every field the history shows, so no query goes
// incomplete and refetches.
import { gql } from '@apollo/client';

export const USER = gql`
  fragment UserFields on User { id username displayName friendship viewerBlocked online deleted }
`;

export const MESSAGE = gql`
  fragment MessageFields on Message {
    id body cursor createdAt editedAt deleted clientMessageId
    sender { id displayName viewerBlocked }
    replyTo { id body deleted sender { id displayName } }
    reactions { emoji count viewerReacted }
    seenBy(first: 3) { totalCount edges { node { id displayName } } }
  }
`;

export const CHAT = gql`
  fragment ChatFields on Chat {
    id createdAt unreadCount viewerLastRead { id }
    lastMessage { id body deleted createdAt sender { id displayName } }
    ... on GroupChat { name owner { id } }
    ... on PrivateChat { otherUser { ...UserFields } }
  }
  ${USER}
`;

export const SIGN_UP = gql`
  mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id } } }
`;
export const LOG_IN = gql`
  mutation LogIn($input: LogInInput!) { logIn(input: $input) { token user { id } } }
`;
export const LOG_OUT = gql`mutation LogOut { logOut }`;

export const VIEWER = gql`query Viewer { viewer { ...UserFields } } ${USER}`;
export const SYNC_TOKEN = gql`query SyncToken { syncToken }`;
// SEEN_BY reads messages' read receipts again (see addSeenBy).
export const SEEN_BY = gql`
  query SeenBy($ids: [ID!]!) { nodes(ids: $ids) { id ... on Message { seenBy(first: 3) { totalCount edges { node { id displayName } } } } } }
`;

// The edges' cursors are not selected: a chat joined live has none to
// give its edge; the list pages with pageInfo.endCursor.
export const CHATS = gql`
  query Chats($after: String) {
    chats(first: 30, after: $after) { edges { node { ...ChatFields } } pageInfo { hasNextPage endCursor } }
  }
  ${CHAT}
`;

export const HISTORY = gql`
  query History($id: ID!, $before: String) {
    node(id: $id) {
      id
      ... on Chat {
        ...ChatFields
        members(first: 100) { totalCount edges { node { ...UserFields } } }
        messages(last: 30, before: $before) {
          edges { cursor node { ...MessageFields } }
          pageInfo { hasPreviousPage startCursor }
        }
      }
    }
  }
  ${CHAT}
  ${MESSAGE}
`;

export const POST = gql`
  mutation Post($input: PostMessageInput!) { postMessage(input: $input) { ...MessageFields } }
  ${MESSAGE}
`;
export const EDIT = gql`
  mutation Edit($input: EditMessageInput!) { editMessage(input: $input) { ...MessageFields } }
  ${MESSAGE}
`;
export const DELETE = gql`
  mutation Delete($input: DeleteMessageInput!) { deleteMessage(input: $input) { ...MessageFields } }
  ${MESSAGE}
`;
export const ADD_REACTION = gql`
  mutation AddReaction($input: ReactionInput!) { addReaction(input: $input) { id reactions { emoji count viewerReacted } } }
`;
export const REMOVE_REACTION = gql`
  mutation RemoveReaction($input: ReactionInput!) { removeReaction(input: $input) { id reactions { emoji count viewerReacted } } }
`;
export const MARK_READ = gql`
  mutation MarkRead($input: MarkChatReadInput!) { markChatRead(input: $input) { id unreadCount viewerLastRead { id } } }
`;
export const SET_TYPING = gql`mutation SetTyping($input: SetTypingInput!) { setTyping(input: $input) }`;

export const OPEN_PRIVATE = gql`
  mutation OpenPrivate($input: OpenPrivateChatInput!) { openPrivateChat(input: $input) { ...ChatFields } }
  ${CHAT}
`;
export const CREATE_GROUP = gql`
  mutation CreateGroup($input: CreateGroupChatInput!) { createGroupChat(input: $input) { ...ChatFields } }
  ${CHAT}
`;
const GROUP_MEMBERS = gql`
  fragment GroupMembers on GroupChat { ...ChatFields members(first: 100) { totalCount edges { node { ...UserFields } } } }
  ${CHAT}
`;
export const INVITE = gql`
  mutation Invite($input: InviteToGroupChatInput!) { inviteToGroupChat(input: $input) { ...GroupMembers } }
  ${GROUP_MEMBERS}
`;
export const RENAME = gql`
  mutation Rename($input: RenameGroupChatInput!) { renameGroupChat(input: $input) { id name } }
`;
export const REMOVE_MEMBER = gql`
  mutation RemoveMember($input: RemoveFromGroupChatInput!) { removeFromGroupChat(input: $input) { ...GroupMembers } }
  ${GROUP_MEMBERS}
`;
export const LEAVE = gql`
  mutation Leave($input: LeaveGroupChatInput!) { leaveGroup(input: $input) { leftChatId } }
`;

const REQUEST = gql`
  fragment RequestFields on FriendRequest { id status createdAt from { ...UserFields } to { ...UserFields } }
  ${USER}
`;
export const FRIENDS = gql`
  query Friends {
    viewer { id friends(first: 100) { edges { node { ...UserFields } } } }
    incoming: friendRequests(direction: INCOMING, status: [UNREAD, READ], first: 50) { edges { node { ...RequestFields } } }
    outgoing: friendRequests(direction: OUTGOING, status: [UNREAD, READ], first: 50) { edges { node { ...RequestFields } } }
  }
  ${REQUEST}
`;
export const BLOCKED = gql`
  query Blocked { viewer { id blockedUsers(first: 100) { edges { node { ...UserFields } } } } }
  ${USER}
`;
export const SEARCH_USERS = gql`
  query SearchUsers($q: String!) { searchUsers(query: $q, first: 10) { edges { node { ...UserFields } } } }
  ${USER}
`;
export const SEND_REQUEST = gql`
  mutation SendRequest($input: SendFriendRequestInput!) { sendFriendRequest(input: $input) { ...RequestFields } }
  ${REQUEST}
`;
export const ACCEPT = gql`
  mutation Accept($input: FriendRequestInput!) { acceptFriendRequest(input: $input) { ...RequestFields } }
  ${REQUEST}
`;
export const REJECT = gql`
  mutation Reject($input: FriendRequestInput!) { rejectFriendRequest(input: $input) { ...RequestFields } }
  ${REQUEST}
`;
export const CANCEL = gql`
  mutation Cancel($input: FriendRequestInput!) { cancelFriendRequest(input: $input) { ...RequestFields } }
  ${REQUEST}
`;
export const UNFRIEND = gql`
  mutation Unfriend($input: RemoveFriendInput!) { removeFriend(input: $input) { ...UserFields } }
  ${USER}
`;
export const BLOCK = gql`
  mutation Block($input: BlockUserInput!) { blockUser(input: $input) { ...UserFields } }
  ${USER}
`;
export const UNBLOCK = gql`
  mutation Unblock($input: BlockUserInput!) { unblockUser(input: $input) { ...UserFields } }
  ${USER}
`;

export const SEARCH_MESSAGES = gql`
  query SearchMessages($q: String!) {
    searchMessages(query: $q, first: 20) {
      edges { cursor node { id body createdAt sender { id displayName } chat { ...ChatFields } } }
    }
  }
  ${CHAT}
`;

// What every live event carries: its chat as the inbox shows it, and for
// message events the message as the history shows it.
export const CHAT_EVENTS = gql`
  subscription ChatEvents($after: String) {
    chatEvents(after: $after) {
      __typename syncToken
      chat { ...ChatFields }
      ... on MessagePostedEvent { message { ...MessageFields } }
      ... on MessageEditedEvent { message { ...MessageFields } }
      ... on MessageDeletedEvent { message { ...MessageFields } }
      ... on ReactionsChangedEvent { message { id reactions { emoji count viewerReacted } } reactedBy: by { id } }
      ... on MemberJoinedEvent { user { ...UserFields } }
      ... on MemberLeftEvent { user { id } }
      ... on ChatRenamedEvent { name }
      ... on ReadMarkerMovedEvent { user { id displayName } message { id } }
      ... on TypingEvent { user { id displayName } typing }
    }
  }
  ${CHAT}
  ${MESSAGE}
`;
export const FRIEND_REQUEST_RECEIVED = gql`
  subscription RequestReceived { friendRequestReceived { ...RequestFields } }
  ${REQUEST}
`;
export const FRIEND_REQUEST_UPDATED = gql`
  subscription RequestUpdated { friendRequestUpdated { ...RequestFields } }
  ${REQUEST}
`;
export const FRIENDS_CHANGED = gql`
  subscription FriendsChanged { friendsChanged { friends user { ...UserFields } } }
  ${USER}
`;
export const PRESENCE = gql`
  subscription Presence { presenceChanged { online user { id online } } }
`;
