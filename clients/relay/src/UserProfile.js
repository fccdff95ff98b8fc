// A user as shown anywhere in the app; refetchable through Query.node.
// These files are only read by relay-compiler (`npm test`), never run.
import { graphql } from 'react-relay';

export const userProfileFragment = graphql`
  fragment UserProfile_user on User @refetchable(queryName: "UserProfileRefetchQuery") {
    id
    username
    displayName
    deleted
    friendship
  }
`;
