// The Apollo Client of a logged-in user: queries and mutations over HTTP,
// subscriptions over one graphql-ws WebSocket, and a normalized cache that
// the live events keep current (see live.js).
import { ApolloClient, HttpLink, InMemoryCache, makeVar, split } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { onError } from '@apollo/client/link/error';
import { getMainDefinition, relayStylePagination } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';

// possibleTypes lets fragments on the interfaces match (the clients/ tests
// check the same list against the schema).
const possibleTypes = {
  Node: ['User', 'FriendRequest', 'PrivateChat', 'GroupChat', 'Message'],
  Chat: ['PrivateChat', 'GroupChat'],
  ChatEvent: [
    'MessagePostedEvent', 'MessageEditedEvent', 'MessageDeletedEvent', 'ReactionsChangedEvent',
    'MemberJoinedEvent', 'MemberLeftEvent', 'ChatRenamedEvent', 'ReadMarkerMovedEvent', 'TypingEvent',
  ],
};

// uniqueChats is relayStylePagination for the chat list, which addChat
// also changes: a chat it put at the top may come again in a later page
// (fetchMore), so a chat listed twice keeps only its later edge, which
// has the server's cursor.
function uniqueChats() {
  const policy = relayStylePagination();
  return {
    ...policy,
    merge(existing, incoming, opts) {
      const merged = policy.merge(existing, incoming, opts);
      const ids = merged.edges.map((e) => opts.readField('id', e.node));
      return { ...merged, edges: merged.edges.filter((e, i) => ids.lastIndexOf(ids[i]) === i) };
    },
  };
}

const typePolicies = {
  Query: {
    fields: {
      chats: uniqueChats(),
      // One list per direction; the status filter never changes.
      friendRequests: { keyArgs: ['direction'], merge: false },
      searchMessages: { keyArgs: ['query'], merge: false },
    },
  },
  Chat: {
    fields: {
      // messages(last:, before:) pages merge into one list, oldest first.
      messages: relayStylePagination(),
      members: { merge: false },
    },
  },
  User: { fields: { friends: { merge: false }, blockedUsers: { merge: false } } },
  // The server sends a message's reactions and seenBy page whole.
  Message: { fields: { reactions: { merge: false }, seenBy: { merge: false } } },
  // Events have no id, and each is news once.
  Subscription: { fields: { chatEvents: { merge: false } } },
};

// connection is the WebSocket's state for the header: 'connecting' (the
// first time), 'live', or 'offline' (lost, until it is back).
export const connection = makeVar('connecting');
// typing maps a chat id to the members typing there ({id, displayName}):
// TypingEvents have no id to normalize, so they live in local state.
export const typing = makeVar({});
// failed maps a chat id to the messages whose sending failed
// ({clientMessageId, body, replyTo}), shown with a retry button.
export const failed = makeVar({});
// sending maps a chat id to the viewer's messages on their way (same
// shape), shown as "Sending…" until the answer or the event brings them.
// They are not in the cache's history (an optimistic response would put
// the whole history in Apollo's optimistic layer, hiding what events
// append to it while the send is in flight).
export const sending = makeVar({});

// resetLocalState forgets the local state of a user who logs out.
export function resetLocalState() {
  connection('connecting');
  typing({});
  failed({});
  sending({});
}

function isSubscription({ query }) {
  const def = getMainDefinition(query);
  return def.kind === 'OperationDefinition' && def.operation === 'subscription';
}

// createApolloClient returns a client acting with token; onUnauthenticated
// runs when the server no longer takes it (revoked or expired).
export function createApolloClient(token, onUnauthenticated) {
  const authorization = `Bearer ${token}`;
  const wsURL = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/query`;
  // No automatic retry: live.js resubscribes itself, with the latest sync
  // token, where graphql-ws would resend the first one.
  const ws = createClient({
    url: wsURL,
    connectionParams: { authorization },
    retryAttempts: 0,
    lazyCloseTimeout: 1000,
    on: {
      connected: () => connection('live'),
      closed: () => connection('offline'),
    },
  });
  const authErrors = onError(({ graphQLErrors }) => {
    if (graphQLErrors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onUnauthenticated();
  });
  const http = new HttpLink({ uri: '/query', headers: { authorization } });
  const client = new ApolloClient({
    link: authErrors.concat(split(isSubscription, new GraphQLWsLink(ws), http)),
    cache: new InMemoryCache({ possibleTypes, typePolicies }),
  });
  client.ws = ws;
  return client;
}
