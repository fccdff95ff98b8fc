// The viewer's friends, paged forward with usePaginationFragment.
import { graphql } from 'react-relay';

export const friendListFragment = graphql`
  fragment FriendList_user on User
  @refetchable(queryName: "FriendListPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 20 }, cursor: { type: "String" }) {
    friends(first: $count, after: $cursor) @connection(key: "FriendList_friends") {
      totalCount
      edges {
        node {
          id
          ...UserProfile_user
        }
      }
    }
  }
`;
