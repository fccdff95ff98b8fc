// The inbox: Query.chats paged forward.
import { graphql } from 'react-relay';

export const chatListFragment = graphql`
  fragment ChatList_query on Query
  @refetchable(queryName: "ChatListPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
    chats(first: $count, after: $cursor) @connection(key: "ChatList_chats") {
      totalCount
      edges {
        node {
          id
          ...ChatListItem_chat
        }
      }
    }
  }
`;
