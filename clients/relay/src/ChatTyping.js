// Who is typing in a chat: local state (typingUsers is a client schema
// extension, relay/extensions), which the chat screen's updater keeps from
// TypingEvents (see ChatEvents.js).
import { graphql } from 'react-relay';

export const chatTypingFragment = graphql`
  fragment ChatTyping_chat on Chat {
    id
    typingUsers {
      id
      displayName
    }
  }
`;
