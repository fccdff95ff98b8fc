// A chat's members, paged forward: chatEvents appends who joins and
// removes who leaves (see ChatEvents.js).
import { graphql } from 'react-relay';

export const chatMembersFragment = graphql`
  fragment ChatMembers_chat on Chat
  @argumentDefinitions(count: { type: "Int", defaultValue: 50 }, cursor: { type: "String" }) {
    id
    members(first: $count, after: $cursor) @connection(key: "ChatMembers_members") {
      edges {
        node {
          id
          ...UserProfile_user
        }
      }
    }
  }
`;
