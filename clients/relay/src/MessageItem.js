// One message in a chat's history, with what can change about it live:
// its body when edited, its tombstone when deleted, its reactions.
import { graphql } from 'react-relay';

export const messageItemFragment = graphql`
  fragment MessageItem_message on Message {
    id
    body
    createdAt
    cursor
    clientMessageId
    editedAt
    deleted
    replyTo {
      id
      body
      deleted
    }
    reactions {
      emoji
      count
      viewerReacted
    }
    sender {
      ...UserProfile_user
    }
  }
`;
