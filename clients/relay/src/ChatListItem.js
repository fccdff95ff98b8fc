// A chat as listed in the inbox: private and group chats share the Chat interface.
import { graphql } from 'react-relay';

export const chatListItemFragment = graphql`
  fragment ChatListItem_chat on Chat {
    id
    unreadCount
    lastMessage {
      ...MessageItem_message
    }
    ... on GroupChat {
      name
      owner {
        ...UserProfile_user
      }
    }
    ... on PrivateChat {
      otherUser {
        ...UserProfile_user
      }
    }
  }
`;
