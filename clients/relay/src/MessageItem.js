// One message in a chat's history.
import { graphql } from 'react-relay';

export const messageItemFragment = graphql`
  fragment MessageItem_message on Message {
    id
    body
    createdAt
    cursor
    clientMessageId
    sender {
      ...UserProfile_user
    }
  }
`;
