// chatEvents through Apollo Client: the InMemoryCache stays current with no
// refetch. Edits, deletions, reactions and renames carry the message or
// chat with its id, so the cache updates Message:<id> and GroupChat:<id> by
// itself; only what changes a list needs code: a post appended to the
// chat's messages (updateQuery or cache.modify), a chat joined added to the
// inbox, a chat left evicted. Typing indicators live in local state (a
// reactive var read by a @client field), and "seen by" grows from
// ReadMarkerMovedEvents with cache.modify. The README's "Using the API"
// shows this code.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { gql } = require('@apollo/client/core');
const { print } = require('graphql');

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
// What a chat screen shows of who is typing: Chat.typing is local state
// (see apollo.js), filled from TypingEvents by applyTyping.
const TYPING = gql`
  query Typing($chatId: ID!) { node(id: $chatId) { id ... on Chat { typing @client { id displayName } } } }
`;
// A chat screen with read receipts: "seen by Ann, Bo, Cy and 9 others".
// The seenBy edges' cursors are not selected: a reader added live has
// none to give.
const SEEN_BY_PAGE = 3;
const RECEIPTS = gql`
  query Receipts($chatId: ID!) {
    node(id: $chatId) {
      id
      ... on Chat {
        viewerLastRead { id }
        messages(last: 50) {
          edges { cursor node { id body sender { id } seenBy(first: ${SEEN_BY_PAGE}) { totalCount edges { node { id displayName } } } } }
          pageInfo { hasPreviousPage startCursor }
        }
      }
    }
  }
`;
// The shown messages of a chat, in order, with their senders: what
// addSeenBy walks. relayStylePagination reads the merged pages whatever
// the arguments.
const SHOWN_MESSAGES = gql`
  fragment ShownMessages on Chat { messages { edges { node { id sender { id } } } } }
`;
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
      ... on ReadMarkerMovedEvent { user { id displayName } message { id } }
      ... on TypingEvent { user { id displayName } typing }
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

// applyTyping keeps client.typing, the local state behind Chat.typing,
// from TypingEvents: a member who starts typing is added to their chat's
// list, one who stops (says so, posts, goes away or lets it expire) is
// taken off. The server says when it ends; the client needs no timer.
function applyTyping(typing, event) {
  if (event.__typename !== 'TypingEvent') return;
  const chatId = event.chat.id;
  const others = (typing()[chatId] ?? []).filter((id) => id !== event.user.id);
  typing({ ...typing(), [chatId]: event.typing ? [...others, event.user.id] : others });
}

// addSeenBy does for a ReadMarkerMovedEvent of another member what
// seenBy's definition says: they have now seen the event's message and
// every message before it, so each of those shown (except their own) gets
// them in seenBy: one more in totalCount, and an edge at the end if the
// page has room (a refetch would give the server's order).
// The viewer's own marker changes no seenBy (it lists others only). A
// marker on a message the history does not hold changes nothing here: a
// screen showing older messages would refetch their seenBy.
function addSeenBy(cache, event, viewerId) {
  if (event.__typename !== 'ReadMarkerMovedEvent' || event.user.id === viewerId) return;
  const chat = cache.readFragment({ id: cache.identify(event.chat), fragment: SHOWN_MESSAGES });
  const shown = chat?.messages?.edges.map((e) => e.node) ?? [];
  const upTo = shown.findIndex((m) => m.id === event.message.id);
  for (const message of shown.slice(0, upTo + 1)) {
    if (message.sender.id === event.user.id) continue;
    cache.modify({
      id: cache.identify(message),
      fields: {
        // Called for each page of seenBy in the cache: its arguments are
        // in storeFieldName, as seenBy({"first":3}).
        seenBy(existing, { readField, toReference, storeFieldName }) {
          if (existing.edges.some((e) => readField('id', readField('node', e)) === event.user.id)) return existing;
          const args = JSON.parse(storeFieldName.match(/\((.*)\)$/)?.[1] ?? '{}');
          if (args.after) return { ...existing, totalCount: existing.totalCount + 1 }; // a later page: refetch it
          const room = existing.edges.length < (args.first ?? 20);
          const edges = room ? [...existing.edges, { __typename: 'UserEdge', node: toReference(event.user) }] : existing.edges;
          return { ...existing, totalCount: existing.totalCount + 1, edges };
        },
      },
    });
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

  it('a typing indicator in local state: set by TypingEvents, cleared by a post and by setTyping(false)', async () => {
    const chatId = await chatOps.createGroup(alice, 'Typing', [bob]);
    const first = await chatOps.post(alice, chatId, 'first');
    const client = apolloClient(bob.token);
    clients.push(client);
    const screen = await watch(client, TYPING, { chatId });
    const events = new Events();
    const sub = client.subscribe({ query: CHAT_EVENTS, variables: { chatId, after: first.cursor } }).subscribe({
      next: ({ data }) => {
        applyTyping(client.typing, data.chatEvents);
        events.push(data.chatEvents);
      },
      error: (err) => events.fail(err),
    });
    const typing = (d) => d.node.typing.map((u) => u.displayName);
    const failed = () => (events.error ? `; the subscription failed: ${events.error}` : '');
    const setTyping = (user, on) => request(user.token,
      'mutation($c: ID!, $t: Boolean!) { setTyping(input: {chatId: $c, typing: $t}) }', { c: chatId, t: on });
    try {
      assert.deepEqual(typing(screen.getCurrentResult().data), []);
      // Typing is not replayed: wait until the stream delivers. A message
      // posted after first comes back replayed or live, and the stream
      // takes typing from before its first event.
      const hello = await chatOps.post(alice, chatId, 'hello');
      await events.next((e) => e.message?.id === hello.id);

      await setTyping(alice, true);
      await until(screen, (d) => typing(d).length === 1, failed);
      assert.deepEqual(typing(screen.getCurrentResult().data), ['alice']);

      // Posting ends it: the server sends typing: false.
      await chatOps.post(alice, chatId, 'there');
      await until(screen, (d) => typing(d).length === 0, failed);

      await setTyping(alice, true);
      await until(screen, (d) => typing(d).length === 1, failed);
      await setTyping(alice, false);
      await until(screen, (d) => typing(d).length === 0, failed);
      assert.deepEqual(events.items.filter((e) => e.__typename === 'TypingEvent').map((e) => [e.user.id, e.typing]),
        [[alice.id, true], [alice.id, false], [alice.id, true], [alice.id, false]]);
      assert.equal(client.httpRequests, 1, 'Apollo fetched again');
    } finally {
      sub.unsubscribe();
      screen.stop();
    }
  });

  it('"seen by" live: a ReadMarkerMovedEvent adds the reader to seenBy with cache.modify, no refetch', async () => {
    const chatId = await chatOps.createGroup(alice, 'Receipts', [bob]);
    const first = await chatOps.post(alice, chatId, 'first');
    const second = await chatOps.post(alice, chatId, 'second');
    const client = apolloClient(alice.token);
    clients.push(client);
    const screen = await watch(client, RECEIPTS, { chatId });
    const fetched = client.httpRequests;
    const seenBy = (d) => d.node.messages.edges.map((e) => [e.node.body, e.node.seenBy.totalCount,
      e.node.seenBy.edges.map((u) => u.node.displayName)]);
    assert.deepEqual(seenBy(screen.getCurrentResult().data), [['first', 0, []], ['second', 0, []]]);

    const events = new Events();
    const sub = client.subscribe({ query: CHAT_EVENTS, variables: { chatId, after: second.cursor } }).subscribe({
      next: ({ data }) => {
        addSeenBy(client.cache, data.chatEvents, alice.id);
        events.push(data.chatEvents);
      },
      error: (err) => events.fail(err),
    });
    const failed = () => (events.error ? `; the subscription failed: ${events.error}` : '');
    const markRead = (user, message) => request(user.token,
      'mutation($c: ID!, $m: ID!) { markChatRead(input: {chatId: $c, messageId: $m}) { id } }', { c: chatId, m: message.id });
    try {
      // Bob reads up to the first message: he has seen that one only.
      await markRead(bob, first);
      await until(screen, (d) => d.node.messages.edges[0].node.seenBy.totalCount === 1, failed);
      assert.deepEqual(seenBy(screen.getCurrentResult().data), [['first', 1, ['bob']], ['second', 0, []]]);

      // Then up to the second: the first keeps him once.
      await markRead(bob, second);
      await until(screen, (d) => d.node.messages.edges[1].node.seenBy.totalCount === 1, failed);
      const shown = seenBy(screen.getCurrentResult().data);
      assert.deepEqual(shown, [['first', 1, ['bob']], ['second', 1, ['bob']]]);
      assert.equal(client.httpRequests, fetched, 'Apollo fetched again');

      // What the server says now, asked outside the client, is what the
      // cache shows.
      const fresh = await request(alice.token, print(RECEIPTS), { chatId });
      assert.deepEqual(seenBy(fresh), shown);
    } finally {
      sub.unsubscribe();
      screen.stop();
    }
  });
});
