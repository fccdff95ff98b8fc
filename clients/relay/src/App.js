// The screens' root queries, the post mutation and the live subscription.
import { graphql } from 'react-relay';

export const appQuery = graphql`
  query AppQuery {
    viewer {
      ...UserProfile_user
      ...FriendList_user
    }
    ...ChatList_query
  }
`;

export const chatScreenQuery = graphql`
  query AppChatScreenQuery($id: ID!) {
    # @alias: node(id:) is typed Node, and the fragments need a Chat.
    node(id: $id) {
      ...ChatListItem_chat @alias
      ...ChatHistory_chat @alias
      ...ChatMembers_chat @alias
      ...ChatTyping_chat @alias
    }
  }
`;

// New messages go to the end of the history connections given in $connections.
export const postMessageMutation = graphql`
  mutation AppPostMessageMutation($input: PostMessageInput!, $connections: [ID!]!) {
    postMessage(input: $input) @appendNode(connections: $connections, edgeTypeName: "MessageEdge") {
      id
      ...MessageItem_message
      ...MessageSeenBy_message
    }
  }
`;

export const messagePostedSubscription = graphql`
  subscription AppMessagePostedSubscription($chatId: ID, $after: String, $connections: [ID!]!) {
    messagePosted(chatId: $chatId, after: $after) @appendNode(connections: $connections, edgeTypeName: "MessageEdge") {
      id
      ...MessageItem_message
      chat {
        id
        ...ChatListItem_chat
      }
    }
  }
`;

// The position to start chatEvents at: asked before the queries whose
// results the subscription must continue (see ChatEvents.js).
export const syncTokenQuery = graphql`
  query AppSyncTokenQuery {
    syncToken
  }
`;
