// chatEvents through Apollo Client: the InMemoryCache stays current with no
// refetch. Edits, deletions, reactions and renames carry the message or
// chat with its id, so the cache updates Message:<id> and GroupChat:<id> by
// itself; only what changes a list needs code: a post appended to the
// chat's messages (updateQuery or cache.modify), a chat joined added to the
// inbox, a chat left evicted. The README's "Using the API" shows this code.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { gql } = require('@apollo/client/core');

const { apolloClient, possibleTypes } = require('./apollo');
const { Events, befriend, chatOps, gql: request, signUp } = require('./support');

const MESSAGE = gql`
  fragment EventMessage on Message {
    id body cursor createdAt editedAt deleted
    sender { id displayName }
    replyTo { id body deleted }
    reactions { emoji count viewerReacted }
  }
`;
// What the inbox shows of a chat; every event carries its chat with these
// fields, so a new message, a rename or a read marker updates it in place.
const INBOX_CHAT = gql`
  fragment InboxChat on Chat { id unreadCount lastMessage { id body } ... on GroupChat { name } }
`;
// The edges' cursors are not selected: a chat joined live has no inbox
// cursor to give its edge; relayStylePagination pages with pageInfo.
const INBOX = gql`
  query Inbox { chats(first: 20) { edges { node { ...InboxChat } } pageInfo { hasNextPage endCursor } } }
  ${INBOX_CHAT}
`;
const HISTORY = gql`
  query History($chatId: ID!) {
    node(id: $chatId) {
      id
      ... on Chat {
        ...InboxChat
        messages(last: 50) { edges { cursor node { ...EventMessage } } pageInfo { hasPreviousPage startCursor } }
      }
    }
  }
  ${INBOX_CHAT}
  ${MESSAGE}
`;
const SYNC_TOKEN = gql`query SyncToken { syncToken }`;
// The by fields are aliased: GraphQL cannot merge MemberJoinedEvent's
// `by: User` with the `by: User!` of the other events.
const CHAT_EVENTS = gql`
  subscription ChatEvents($chatId: ID, $after: String) {
    chatEvents(chatId: $chatId, after: $after) {
      ...EventPosition
      chat { ...InboxChat }
      ... on MessagePostedEvent { message { ...EventMessage } }
      ... on MessageEditedEvent { message { ...EventMessage } }
      ... on MessageDeletedEvent { message { ...EventMessage } }
      ... on ReactionsChangedEvent { message { ...EventMessage } reactedBy: by { id } }
      ... on MemberJoinedEvent { user { id } invitedBy: by { id } }
      ... on MemberLeftEvent { user { id } removedBy { id } }
      ... on ChatRenamedEvent { name renamedBy: by { id } }
      ... on ReadMarkerMovedEvent { user { id } message { id } }
    }
  }
  fragment EventPosition on ChatEvent { cursor syncToken at }
  ${INBOX_CHAT}
  ${MESSAGE}
`;

// appendPosted is a subscribeToMore updateQuery for History: a posted
// message goes at the end of the chat's messages, once. Every other event
// needs nothing: the cache has already stored its message or chat by id.
function appendPosted(prev, { subscriptionData }) {
  const event = subscriptionData.data.chatEvents;
  if (event.__typename !== 'MessagePostedEvent') return prev;
  const { messages } = prev.node;
  if (messages.edges.some((e) => e.node.id === event.message.id)) return prev;
  const edge = { __typename: 'MessageEdge', cursor: event.message.cursor, node: event.message };
  return { ...prev, node: { ...prev.node, messages: { ...messages, edges: [...messages.edges, edge] } } };
}

// applyChatEvent does, for a subscription to all the viewer's chats, what
// normalization cannot: appends a post to its chat's messages if they are
// in the cache, adds a chat the viewer joins to the inbox, and evicts one
// they leave.
function applyChatEvent(cache, event, viewerId) {
  const chatId = cache.identify(event.chat);
  switch (event.__typename) {
    case 'MessagePostedEvent':
      cache.modify({
        id: chatId,
        fields: {
          messages(existing, { readField, toReference }) {
            if (existing.edges.some((e) => readField('id', readField('node', e)) === event.message.id)) return existing;
            const edge = { __typename: 'MessageEdge', cursor: event.message.cursor, node: toReference(event.message) };
            return { ...existing, edges: [...existing.edges, edge] };
          },
        },
      });
      break;
    case 'MemberJoinedEvent':
      if (event.user.id !== viewerId) break;
      cache.modify({
        fields: {
          chats(existing, { readField, toReference }) {
            if (existing.edges.some((e) => readField('id', readField('node', e)) === event.chat.id)) return existing;
            return { ...existing, edges: [{ __typename: 'ChatEdge', node: toReference(event.chat) }, ...existing.edges] };
          },
        },
      });
      break;
    case 'MemberLeftEvent':
      if (event.user.id !== viewerId) break;
      cache.evict({ id: chatId });
      cache.gc();
      break;
    default: // edits, deletions, reactions, renames, read markers: stored by id already
  }
}

// until resolves with the watched query's data once predicate holds for it,
// as a component rendering the query would show it; why() may tell what
// went wrong when it does not.
function until(observable, predicate, why = () => '', timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    let sub;
    const timer = setTimeout(() => {
      sub?.unsubscribe();
      const shows = JSON.stringify(observable.getCurrentResult().data);
      reject(new Error(`not shown within ${timeoutMs} ms; shows ${shows} ${why()}`));
    }, timeoutMs);
    const check = () => {
      const { data } = observable.getCurrentResult();
      if (!data || !predicate(data)) return false;
      clearTimeout(timer);
      sub?.unsubscribe();
      resolve(data);
      return true;
    };
    if (!check()) sub = observable.subscribe({ next: check, error: reject });
  });
}

// watch starts a query as a mounted component does.
async function watch(client, query, variables) {
  const q = client.watchQuery({ query, variables });
  const sub = q.subscribe(() => {});
  await q.result();
  q.stop = () => sub.unsubscribe();
  return q;
}

describe('Apollo Client keeps its cache current from chatEvents', () => {
  let alice;
  let bob;
  const clients = [];

  before(async () => {
    [alice, bob] = [await signUp('alice'), await signUp('bob')];
    await befriend(alice, bob);
  });

  after(async () => {
    for (const c of clients) await c.close();
  });

  it("configures possibleTypes for the schema's interfaces", async () => {
    for (const name of ['ChatEvent', 'Chat', 'Node']) {
      const data = await request(null, 'query($n: String!) { __type(name: $n) { possibleTypes { name kind } } }', { n: name });
      // The server also lists the interface Chat among Node's possible
      // types; Apollo needs the object types.
      const objects = data.__type.possibleTypes.filter((t) => t.kind === 'OBJECT').map((t) => t.name);
      assert.deepEqual(objects.sort(), [...possibleTypes[name]].sort(), name);
    }
  });

  it('one chat with subscribeToMore: a post appended, an edit, a reaction, a deletion and a rename by id', async () => {
    const chatId = await chatOps.createGroup(alice, 'Weekend', [bob]);
    const first = await chatOps.post(alice, chatId, 'first');
    const client = apolloClient(bob.token);
    clients.push(client);
    const inbox = await watch(client, INBOX);
    const history = await watch(client, HISTORY, { chatId });
    const fetched = client.httpRequests;
    const messages = (data) => data.node.messages.edges.map((e) => e.node);

    // Resumed after the last message shown: nothing between the query and
    // the subscription is lost.
    const last = history.getCurrentResult().data.node.messages.edges.at(-1).cursor;
    let failed = '';
    const unsubscribe = history.subscribeToMore({
      document: CHAT_EVENTS,
      variables: { chatId, after: last },
      updateQuery: appendPosted,
      onError: (err) => {
        failed = `; the subscription failed: ${err}`;
      },
    });
    const shows = (predicate) => until(history, predicate, () => failed);
    try {
      const second = await chatOps.post(alice, chatId, 'second', first.id);
      await shows((d) => messages(d).length === 2);
      assert.deepEqual(messages(history.getCurrentResult().data).map((m) => [m.id, m.body, m.replyTo?.id]),
        [[first.id, 'first', undefined], [second.id, 'second', first.id]]);

      await chatOps.edit(alice, first.id, 'first, edited');
      await shows((d) => messages(d)[0].body === 'first, edited' && messages(d)[0].editedAt !== null);

      await chatOps.react(alice, first.id, '🎉');
      await shows((d) => messages(d)[0].reactions.length === 1);
      assert.deepEqual(messages(history.getCurrentResult().data)[0].reactions,
        [{ __typename: 'Reaction', emoji: '🎉', count: 1, viewerReacted: false }]);

      // The tombstone keeps its place; the reply to it would show it.
      await chatOps.remove(alice, second.id);
      await shows((d) => messages(d)[1].deleted);
      assert.deepEqual(messages(history.getCurrentResult().data).map((m) => [m.id, m.body]),
        [[first.id, 'first, edited'], [second.id, '']]);

      await chatOps.rename(alice, chatId, 'Long weekend');
      await shows((d) => d.node.name === 'Long weekend');
      const listed = inbox.getCurrentResult().data.chats.edges.find((e) => e.node.id === chatId).node;
      assert.equal(listed.name, 'Long weekend');
      assert.equal(client.cache.readFragment({ id: `GroupChat:${chatId}`, fragment: INBOX_CHAT }).name, 'Long weekend');

      assert.equal(client.httpRequests, fetched, 'Apollo fetched again');
    } finally {
      unsubscribe();
      inbox.stop();
      history.stop();
    }
  });

  it('all chats with cache.modify: a chat joined added, a post appended, a chat left evicted', async () => {
    const stays = await chatOps.createGroup(alice, 'Stays', [bob]);
    const client = apolloClient(bob.token);
    clients.push(client);
    // The token first: a subscription from an older position may repeat
    // an event (harmless: appends check the id), never miss one.
    const { data: { syncToken } } = await client.query({ query: SYNC_TOKEN });
    const inbox = await watch(client, INBOX);
    const before = inbox.getCurrentResult().data.chats.edges.map((e) => e.node.id);
    const events = new Events();
    const sub = client.subscribe({ query: CHAT_EVENTS, variables: { after: syncToken } }).subscribe({
      next: ({ data }) => {
        applyChatEvent(client.cache, data.chatEvents, bob.id);
        events.push(data.chatEvents);
      },
      error: (err) => events.fail(err),
    });
    const ids = (d) => d.chats.edges.map((e) => e.node.id);
    const failed = () => (events.error ? `; the subscription failed: ${events.error}` : '');
    try {
      const chatId = await chatOps.createGroup(alice, 'Later', [bob]);
      const data = await until(inbox, (d) => ids(d)[0] === chatId, failed);
      assert.deepEqual(ids(data), [chatId, ...before]);
      assert.equal(data.chats.edges[0].node.name, 'Later');

      const history = await watch(client, HISTORY, { chatId });
      const fetched = client.httpRequests;
      const posted = await chatOps.post(alice, chatId, 'see you later');
      const shown = await until(history, (d) => d.node.messages.edges.length === 1, failed);
      assert.equal(shown.node.messages.edges[0].node.id, posted.id);
      const listed = await until(inbox, (d) => d.chats.edges[0].node.lastMessage !== null, failed);
      assert.deepEqual([listed.chats.edges[0].node.lastMessage.body, listed.chats.edges[0].node.unreadCount], ['see you later', 1]);
      history.stop(); // the chat screen is closed before Bob is removed

      await chatOps.removeMember(alice, chatId, bob);
      assert.deepEqual(ids(await until(inbox, (d) => !ids(d).includes(chatId), failed)), before);
      await events.next((e) => e.__typename === 'MemberLeftEvent');
      assert.equal(client.cache.extract()[`GroupChat:${chatId}`], undefined);
      // A query left incomplete by the eviction would be fetched again by
      // now: a later event has been shown.
      await chatOps.post(alice, stays, 'still here');
      await until(inbox, (d) => d.chats.edges.some((e) => e.node.lastMessage?.body === 'still here'), failed);
      assert.equal(client.httpRequests, fetched, 'Apollo fetched again');
    } finally {
      sub.unsubscribe();
      inbox.stop();
    }
  });
});
