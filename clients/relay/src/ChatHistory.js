// A chat's history: the newest messages first loaded, older ones paged back
// with messages(last:, before:); refetchable on the Chat interface through
// Query.node. Each message shows who has seen it.
import { graphql } from 'react-relay';

export const chatHistoryFragment = graphql`
  fragment ChatHistory_chat on Chat
  @refetchable(queryName: "ChatHistoryPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 50 }, cursor: { type: "String" }) {
    id
    messages(last: $count, before: $cursor) @connection(key: "ChatHistory_messages") {
      edges {
        node {
          id
          ...MessageItem_message
          ...MessageSeenBy_message
        }
      }
    }
  }
`;
