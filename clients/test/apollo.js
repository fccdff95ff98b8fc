// An Apollo Client set up the way a web app would: HttpLink for queries and
// mutations, GraphQLWsLink (graphql-ws) for subscriptions, and a normalized
// cache keyed by the Node ids with Relay-style pagination.
'use strict';

const { ApolloClient, HttpLink, InMemoryCache, makeVar, split } = require('@apollo/client/core');
const { GraphQLWsLink } = require('@apollo/client/link/subscriptions');
const { getMainDefinition, relayStylePagination } = require('@apollo/client/utilities');
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const { queryURL, wsURL } = require('./support');

// possibleTypes lets fragments on interfaces match and lets the Chat
// policy below apply to PrivateChat and GroupChat. The
// apollo-chat-events test checks it against the schema.
const possibleTypes = {
  Node: ['User', 'FriendRequest', 'PrivateChat', 'GroupChat', 'Message'],
  Chat: ['PrivateChat', 'GroupChat'],
  ChatEvent: [
    'MessagePostedEvent', 'MessageEditedEvent', 'MessageDeletedEvent', 'ReactionsChangedEvent',
    'MemberJoinedEvent', 'MemberLeftEvent', 'ChatRenamedEvent', 'ReadMarkerMovedEvent', 'TypingEvent',
  ],
};

// Objects are keyed by the cache's default, __typename:id: the global ids
// are unique, so every User, Chat and Message is stored once and each
// result that returns it updates it everywhere. typing is the client's
// reactive var of who is typing where (see apolloClient).
function typePolicies(typing) {
  return {
    Query: { fields: { chats: relayStylePagination() } },
    User: { fields: { friends: relayStylePagination() } },
    Chat: {
      fields: {
        // messages(last:, before:) pages merge into one list, oldest first.
        messages: relayStylePagination(),
        // Local only (select it with @client): the members typing in the
        // chat, from TypingEvents. A TypingEvent has no id and is never
        // stored by the server, so it lives in a reactive var, and this
        // read function makes it part of the chat: a query showing it
        // updates when the var does.
        typing: {
          read(_, { readField, toReference }) {
            return (typing()[readField('id')] ?? []).map((id) => toReference({ __typename: 'User', id }));
          },
        },
      },
    },
    Message: {
      fields: {
        // The server always sends a message's whole list of reactions: the
        // latest replaces what the cache had.
        reactions: { merge: false },
        // A page of seenBy is replaced, never merged with an older one;
        // read receipts add to it with cache.modify.
        seenBy: { merge: false },
      },
    },
    // Events have no id, and each is news once: the cache keeps only the
    // latest, and what it carries (messages, chats, users) by their ids.
    Subscription: { fields: { chatEvents: { merge: false } } },
  };
}

function isSubscription({ query }) {
  const def = getMainDefinition(query);
  return def.kind === 'OperationDefinition' && def.operation === 'subscription';
}

// apolloClient returns a client acting as the user with token (anonymous
// without one); httpRequests counts its requests over HTTP, typing is the
// reactive var behind Chat.typing (chat id to the ids of the members
// typing there), close() ends its WebSocket.
function apolloClient(token) {
  const authorization = token ? `Bearer ${token}` : undefined;
  const counted = (...args) => {
    client.httpRequests++;
    return fetch(...args);
  };
  const http = new HttpLink({ uri: queryURL, fetch: counted, headers: authorization ? { authorization } : {} });
  const ws = createClient({
    url: wsURL,
    webSocketImpl: WebSocket, // Node 20 has no global WebSocket
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
  });
  const typing = makeVar({});
  const client = new ApolloClient({
    link: split(isSubscription, new GraphQLWsLink(ws), http),
    cache: new InMemoryCache({ possibleTypes, typePolicies: typePolicies(typing) }),
  });
  client.httpRequests = 0;
  client.typing = typing;
  client.close = async () => {
    client.stop();
    await ws.dispose();
  };
  return client;
}

module.exports = { apolloClient, possibleTypes };
