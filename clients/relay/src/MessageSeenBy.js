// "Seen by Ann, Bo, Cy and 9 others" under a message: the first readers and
// how many there are. The chat screen's updater adds a reader live from
// ReadMarkerMovedEvent (see ChatEvents.js). The edges' cursors are not
// selected: a reader added live has none to give.
import { graphql } from 'react-relay';

export const messageSeenByFragment = graphql`
  fragment MessageSeenBy_message on Message {
    seenBy(first: 3) {
      totalCount
      edges {
        node {
          id
          displayName
        }
      }
    }
  }
`;
