// Live updates through chatEvents. Edits, deletions, reactions and renames
// need no code: each event carries the message or chat by id, and the
// store updates the record every fragment reads. Only what adds to or
// takes from a list needs saying: @appendNode and @deleteEdge. What no
// directive can say, an updater does (see the README and
// test/relay.test.js): who is typing (local state: a TypingEvent has no id)
// and who has seen which messages (a ReadMarkerMovedEvent adds its reader
// to seenBy of every message up to its own).
import { graphql } from 'react-relay';

// The chat screen: one chat's events, resumed after the last cursor the
// screen has seen. $history is the ChatHistory_messages connection of the
// chat, $members its ChatMembers_members connection. A deleted message
// stays in the history as its tombstone, so it keeps its edge. The `by`
// fields are aliased: GraphQL cannot merge `by: User` (MemberJoinedEvent)
// with `by: User!` (ChatRenamedEvent, ReactionsChangedEvent).
export const chatScreenEventsSubscription = graphql`
  subscription ChatEventsChatScreenSubscription(
    $chatId: ID!
    $after: String
    $history: [ID!]!
    $members: [ID!]!
  ) {
    chatEvents(chatId: $chatId, after: $after) {
      __typename
      cursor
      chat {
        id
      }
      ... on MessagePostedEvent {
        message @appendNode(connections: $history, edgeTypeName: "MessageEdge") {
          id
          ...MessageItem_message
          ...MessageSeenBy_message
        }
      }
      ... on MessageEditedEvent {
        message {
          id
          ...MessageItem_message
        }
      }
      ... on MessageDeletedEvent {
        message {
          id
          ...MessageItem_message
        }
      }
      ... on ReactionsChangedEvent {
        message {
          id
          ...MessageItem_message
        }
        reactedBy: by {
          id
        }
      }
      ... on ChatRenamedEvent {
        chat {
          id
          ...ChatListItem_chat
        }
        renamedBy: by {
          id
        }
      }
      ... on MemberJoinedEvent {
        user @appendNode(connections: $members, edgeTypeName: "UserEdge") {
          id
          ...UserProfile_user
        }
        invitedBy: by {
          id
        }
      }
      ... on MemberLeftEvent {
        user {
          id @deleteEdge(connections: $members)
        }
        removedBy {
          id
        }
      }
      ... on ReadMarkerMovedEvent {
        chat {
          id
          unreadCount
        }
        user {
          id
          displayName
        }
        message {
          id
        }
      }
      ... on TypingEvent {
        user {
          id
          displayName
        }
        typing
      }
    }
  }
`;

// The inbox: every chat's events, resumed after the latest syncToken.
// Chats carry what the list shows, so a new message, a rename or a read
// marker updates the chat in place. A chat joined or left changes the
// list itself, which needs the viewer's id: an updater does that (see
// the README).
export const inboxEventsSubscription = graphql`
  subscription ChatEventsInboxSubscription($after: String) {
    chatEvents(after: $after) {
      __typename
      syncToken
      chat {
        id
        ...ChatListItem_chat
      }
      ... on MemberJoinedEvent {
        user {
          id
        }
      }
      ... on MemberLeftEvent {
        user {
          id
        }
      }
    }
  }
`;
