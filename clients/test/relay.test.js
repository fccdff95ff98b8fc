// relay-compiler compiles the operations in relay/src against ../schema.graphql:
// fragments on User, Chat and Message, @connection on Query.chats,
// Chat.messages, Chat.members and User.friends, @refetchable fragments
// (through Query.node), the messagePosted subscription and the chatEvents
// subscriptions with @appendNode and @deleteEdge, and a client schema
// extension (relay/extensions) for who is typing. The operations it
// generates are then sent to the running server, and the Relay runtime
// keeps its store current from chatEvents with no refetch: updaters add
// the typing indicator and "seen by".
'use strict';

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, describe, it } = require('node:test');
const {
  ConnectionHandler, createOperationDescriptor, fetchQuery, getRequest, requestSubscription,
} = require('relay-runtime');

const { Events, befriend, chatOps, gql, signUp } = require('./support');
const { artifact, read, relayEnvironment } = require('./relay');

const clientsDir = path.resolve(__dirname, '..');
const artifacts = path.join(clientsDir, 'relay', '__generated__');

function operationText(name) {
  return artifact(name).params.text;
}

// query fetches a query with Relay and retains it, as a mounted screen does,
// and returns its operation.
async function query(environment, name, variables = {}) {
  const request = artifact(name);
  const operation = createOperationDescriptor(getRequest(request), variables);
  environment.retain(operation);
  await fetchQuery(environment, request, variables).toPromise();
  return operation;
}

// subscribe starts a subscription with Relay and collects the events it
// delivers once the store has them, then 'completed'.
function subscribe(environment, name, variables, updater) {
  const events = new Events();
  const sub = requestSubscription(environment, {
    subscription: artifact(name),
    variables,
    updater,
    onNext: (data) => events.push(data.chatEvents),
    onError: (err) => events.fail(err),
    onCompleted: () => events.push({ __typename: 'completed' }),
  });
  return { events, dispose: () => sub.dispose() };
}

describe('Relay', () => {
  before(() => {
    // Start from nothing so that a stale artifact cannot hide a failure;
    // relay-compiler wants the artifact directory to exist.
    fs.rmSync(artifacts, { recursive: true, force: true });
    fs.mkdirSync(artifacts, { recursive: true });
  });

  it('compiles the Relay operations against schema.graphql', () => {
    const r = spawnSync(process.execPath, [require.resolve('relay-compiler/cli.js')], {
      cwd: clientsDir,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `relay-compiler failed:\n${r.stdout}\n${r.stderr}`);
    for (const name of [
      'AppQuery', 'AppChatScreenQuery', 'AppPostMessageMutation', 'AppMessagePostedSubscription', 'AppSyncTokenQuery',
      'ChatListPaginationQuery', 'ChatHistoryPaginationQuery', 'FriendListPaginationQuery', 'UserProfileRefetchQuery',
      'ChatEventsChatScreenSubscription', 'ChatEventsInboxSubscription', 'ChatTyping_chat', 'MessageSeenBy_message',
    ]) {
      assert.ok(fs.existsSync(path.join(artifacts, `${name}.graphql.js`)), `${name} was not generated`);
    }
  });

  it("runs Relay's generated queries against the server", async () => {
    const user = await signUp('relay');
    const app = await gql(user.token, operationText('AppQuery'));
    assert.equal(app.viewer.username, user.username);
    assert.equal(app.chats.totalCount, 0);

    const refetched = await gql(user.token, operationText('UserProfileRefetchQuery'), { id: user.id });
    assert.equal(refetched.node.username, user.username);

    const friends = await gql(user.token, operationText('FriendListPaginationQuery'), { id: user.id, count: 5 });
    assert.equal(friends.node.friends.totalCount, 0);
    assert.equal(friends.node.friends.pageInfo.hasNextPage, false);
  });

  describe('keeps the store current from chatEvents', () => {
    let alice;
    let bob;
    let carol;
    const envs = [];

    before(async () => {
      [alice, bob, carol] = [await signUp('alice'), await signUp('bob'), await signUp('carol')];
      await befriend(alice, bob);
      await befriend(alice, carol);
    });

    after(async () => {
      for (const e of envs) await e.close();
    });

    // chatScreen is what the chat screen renders from the store: the
    // history's messages, who has seen each ([body, how many, the first
    // names]), the members, the name and who is typing.
    function chatScreen(environment, operation) {
      const node = environment.lookup(operation.fragment).data.node;
      const history = read(environment, 'ChatHistory_chat', node.ChatHistory_chat);
      const messages = history.messages.edges.map((e) => read(environment, 'MessageItem_message', e.node));
      return {
        messages,
        seenBy: history.messages.edges.map((e, i) => {
          const { seenBy } = read(environment, 'MessageSeenBy_message', e.node);
          return [messages[i].body, seenBy.totalCount, seenBy.edges.map((u) => u.node.displayName)];
        }),
        members: read(environment, 'ChatMembers_chat', node.ChatMembers_chat).members.edges.map((e) => e.node.id),
        name: read(environment, 'ChatListItem_chat', node.ChatListItem_chat).name,
        typing: (read(environment, 'ChatTyping_chat', node.ChatTyping_chat).typingUsers ?? []).map((u) => u.displayName),
      };
    }

    // subscribeChatScreen subscribes the chat screen of chatId to its
    // events after the cursor, with the updater that shows typing and
    // "seen by".
    function subscribeChatScreen(environment, chatId, after, viewerId) {
      return subscribe(environment, 'ChatEventsChatScreenSubscription', {
        chatId,
        after,
        history: [ConnectionHandler.getConnectionID(chatId, 'ChatHistory_messages')],
        members: [ConnectionHandler.getConnectionID(chatId, 'ChatMembers_members')],
      }, chatScreenUpdater(viewerId));
    }

    it('on the chat screen: posts appended, edits, deletions, reactions, renames and members normalized by id', async () => {
      const chatId = await chatOps.createGroup(alice, 'Weekend', [bob]);
      const first = await chatOps.post(alice, chatId, 'first');
      const relay = relayEnvironment(bob.token);
      envs.push(relay);
      const { environment } = relay;
      const screenQuery = await query(environment, 'AppChatScreenQuery', { id: chatId });
      const shown = () => chatScreen(environment, screenQuery);
      assert.deepEqual(shown().messages.map((m) => m.body), ['first']);
      assert.deepEqual(shown().members, [alice.id, bob.id]);

      // Resumed after the last message shown: nothing between the query
      // and the subscription is lost.
      const { events, dispose } = subscribe(environment, 'ChatEventsChatScreenSubscription', {
        chatId,
        after: shown().messages.at(-1).cursor,
        history: [ConnectionHandler.getConnectionID(chatId, 'ChatHistory_messages')],
        members: [ConnectionHandler.getConnectionID(chatId, 'ChatMembers_members')],
      });
      const arrived = (typename) => events.next((e) => e.__typename === typename);
      try {
        const second = await chatOps.post(alice, chatId, 'second', first.id);
        await arrived('MessagePostedEvent');
        let messages = shown().messages;
        assert.deepEqual(messages.map((m) => [m.id, m.body]), [[first.id, 'first'], [second.id, 'second']]);
        assert.equal(messages[1].replyTo.id, first.id);

        await chatOps.edit(alice, first.id, 'first, edited');
        await arrived('MessageEditedEvent');
        assert.equal(shown().messages[0].body, 'first, edited');
        assert.ok(shown().messages[0].editedAt);

        await chatOps.react(alice, first.id, '🎉');
        await arrived('ReactionsChangedEvent');
        assert.deepEqual(shown().messages[0].reactions, [{ emoji: '🎉', count: 1, viewerReacted: false }]);

        // A deleted message keeps its place, as its tombstone; the reply
        // to it shows it too.
        await chatOps.remove(alice, second.id);
        await arrived('MessageDeletedEvent');
        messages = shown().messages;
        assert.deepEqual(messages.map((m) => [m.id, m.deleted, m.body]), [[first.id, false, 'first, edited'], [second.id, true, '']]);

        await chatOps.rename(alice, chatId, 'Long weekend');
        await arrived('ChatRenamedEvent');
        assert.equal(shown().name, 'Long weekend');

        await chatOps.invite(alice, chatId, carol);
        await arrived('MemberJoinedEvent');
        assert.deepEqual(shown().members, [alice.id, bob.id, carol.id]);
        await chatOps.removeMember(alice, chatId, carol);
        await arrived('MemberLeftEvent');
        assert.deepEqual(shown().members, [alice.id, bob.id]);

        assert.equal(relay.requests(), 1, 'Relay fetched again');

        // Bob's own departure is the last event; the subscription then completes.
        await chatOps.removeMember(alice, chatId, bob);
        await arrived('MemberLeftEvent');
        await arrived('completed');
      } finally {
        dispose();
      }
    });

    it('on the chat screen: a typing indicator in local state, from an updater', async () => {
      const chatId = await chatOps.createGroup(alice, 'Typing', [bob]);
      const first = await chatOps.post(alice, chatId, 'first');
      const relay = relayEnvironment(bob.token);
      envs.push(relay);
      const { environment } = relay;
      const screenQuery = await query(environment, 'AppChatScreenQuery', { id: chatId });
      const shown = () => chatScreen(environment, screenQuery);
      assert.deepEqual(shown().typing, []);
      const setTyping = (user, on) => gql(user.token,
        'mutation($c: ID!, $t: Boolean!) { setTyping(input: {chatId: $c, typing: $t}) }', { c: chatId, t: on });

      const { events, dispose } = subscribeChatScreen(environment, chatId, first.cursor, bob.id);
      const typingEvent = (on) => events.next((e) => e.__typename === 'TypingEvent' && e.typing === on);
      try {
        // Typing is not replayed: wait until the stream delivers. A
        // message posted after first comes back replayed or live, and the
        // stream takes typing from before its first event.
        const hello = await chatOps.post(alice, chatId, 'hello');
        await events.next((e) => e.message?.id === hello.id);

        await setTyping(alice, true);
        await typingEvent(true);
        assert.deepEqual(shown().typing, ['alice']);

        // Posting ends it: the server sends typing: false, in no set order
        // with the post's own event.
        const there = await chatOps.post(alice, chatId, 'there');
        await typingEvent(false);
        assert.deepEqual(shown().typing, []);
        await events.next((e) => e.message?.id === there.id);
        assert.deepEqual(shown().messages.map((m) => m.body), ['first', 'hello', 'there']);

        await setTyping(alice, true);
        await typingEvent(true);
        assert.deepEqual(shown().typing, ['alice']);
        await setTyping(alice, false);
        await typingEvent(false);
        assert.deepEqual(shown().typing, []);
        assert.equal(relay.requests(), 1, 'Relay fetched again');
      } finally {
        dispose();
      }
    });

    it('on the chat screen: "seen by" updated live by an updater from ReadMarkerMovedEvent, no refetch', async () => {
      const chatId = await chatOps.createGroup(alice, 'Receipts', [bob]);
      const first = await chatOps.post(alice, chatId, 'first');
      const second = await chatOps.post(alice, chatId, 'second');
      const relay = relayEnvironment(alice.token);
      envs.push(relay);
      const { environment } = relay;
      const screenQuery = await query(environment, 'AppChatScreenQuery', { id: chatId });
      const shown = () => chatScreen(environment, screenQuery);
      assert.deepEqual(shown().seenBy, [['first', 0, []], ['second', 0, []]]);
      const markRead = (user, message) => gql(user.token,
        'mutation($c: ID!, $m: ID!) { markChatRead(input: {chatId: $c, messageId: $m}) { id } }', { c: chatId, m: message.id });

      const { events, dispose } = subscribeChatScreen(environment, chatId, second.cursor, alice.id);
      const bobRead = (message) => events.next((e) => e.__typename === 'ReadMarkerMovedEvent'
        && e.user.id === bob.id && e.message.id === message.id);
      try {
        // Bob reads up to the first message: he has seen that one only.
        await markRead(bob, first);
        await bobRead(first);
        assert.deepEqual(shown().seenBy, [['first', 1, ['bob']], ['second', 0, []]]);

        // Then up to the second: the first keeps him once.
        await markRead(bob, second);
        await bobRead(second);
        assert.deepEqual(shown().seenBy, [['first', 1, ['bob']], ['second', 1, ['bob']]]);
        assert.equal(relay.requests(), 1, 'Relay fetched again');

        // What the server says now, asked outside Relay, is what the store shows.
        const fresh = await gql(alice.token, operationText('AppChatScreenQuery'), { id: chatId });
        assert.deepEqual(fresh.node.messages.edges.map((e) => [e.node.body, e.node.seenBy.totalCount,
          e.node.seenBy.edges.map((u) => u.node.displayName)]), shown().seenBy);
      } finally {
        dispose();
      }
    });

    it('in the inbox: a chat joined is added and a chat left dropped by an updater, the rest normalized', async () => {
      const relay = relayEnvironment(bob.token);
      envs.push(relay);
      const { environment } = relay;
      // The token first: a subscription from an older position may repeat
      // an event, never miss one.
      await query(environment, 'AppSyncTokenQuery');
      const { syncToken } = environment.lookup(createOperationDescriptor(getRequest(artifact('AppSyncTokenQuery')), {}).fragment).data;
      const appQuery = await query(environment, 'AppQuery');
      const inbox = () => {
        const chats = read(environment, 'ChatList_query', environment.lookup(appQuery.fragment).data).chats;
        return chats.edges.map((e) => {
          const chat = read(environment, 'ChatListItem_chat', e.node);
          const last = chat.lastMessage && read(environment, 'MessageItem_message', chat.lastMessage);
          return { id: chat.id, name: chat.name, last: last && last.body, unread: chat.unreadCount };
        });
      };
      const before = inbox();

      const { events, dispose } = subscribe(environment, 'ChatEventsInboxSubscription', { after: syncToken }, inboxUpdater(bob.id));
      try {
        const chatId = await chatOps.createGroup(alice, 'Later', [bob]);
        await events.next((e) => e.__typename === 'MemberJoinedEvent' && e.user.id === bob.id);
        assert.deepEqual(inbox(), [{ id: chatId, name: 'Later', last: null, unread: 0 }, ...before]);

        await chatOps.post(alice, chatId, 'see you later');
        await events.next((e) => e.__typename === 'MessagePostedEvent');
        assert.deepEqual(inbox()[0], { id: chatId, name: 'Later', last: 'see you later', unread: 1 });

        await chatOps.removeMember(alice, chatId, bob);
        await events.next((e) => e.__typename === 'MemberLeftEvent' && e.user.id === bob.id);
        assert.deepEqual(inbox(), before);
        assert.equal(relay.requests(), 2, 'Relay fetched again');
      } finally {
        dispose();
      }
    });
  });
});

// inboxUpdater adds to the inbox (the ChatList_chats connection) a chat the
// viewer joins and drops one they leave: what the declarative directives
// cannot say, since whether an event is the viewer's depends on who asks.
function inboxUpdater(viewerId) {
  return (store, data) => {
    const event = data.chatEvents;
    const inbox = ConnectionHandler.getConnection(store.getRoot(), 'ChatList_chats');
    if (!inbox || !event.user || event.user.id !== viewerId) return;
    if (event.__typename === 'MemberJoinedEvent') {
      const edge = ConnectionHandler.createEdge(store, inbox, store.get(event.chat.id), 'ChatEdge');
      ConnectionHandler.insertEdgeBefore(inbox, edge);
    } else if (event.__typename === 'MemberLeftEvent') {
      ConnectionHandler.deleteNode(inbox, event.chat.id);
    }
  };
}

// The page size of MessageSeenBy_message's seenBy(first: 3).
const SEEN_BY_PAGE = 3;

// chatScreenUpdater keeps what chatEvents carries no record for: who is
// typing (Chat.typingUsers, local state from TypingEvents, which have no
// id) and "seen by": a ReadMarkerMovedEvent of another member says they
// have seen its message and every one before it, so each of those in the
// history (except their own) gets them in seenBy: one more in totalCount,
// and an edge at the end if the page has room (a refetch would give the
// server's order). The viewer's own marker changes no seenBy, which lists
// others only; one on a message the history does not hold changes
// nothing here.
function chatScreenUpdater(viewerId) {
  return (store, data) => {
    const event = data.chatEvents;
    const chat = store.get(event.chat.id);
    if (!chat) return;
    if (event.__typename === 'TypingEvent') {
      const others = (chat.getLinkedRecords('typingUsers') ?? []).filter((u) => u.getDataID() !== event.user.id);
      chat.setLinkedRecords(event.typing ? [...others, store.get(event.user.id)] : others, 'typingUsers');
      return;
    }
    if (event.__typename !== 'ReadMarkerMovedEvent' || event.user.id === viewerId) return;
    const history = ConnectionHandler.getConnection(chat, 'ChatHistory_messages');
    const shown = (history?.getLinkedRecords('edges') ?? []).map((e) => e.getLinkedRecord('node'));
    const upTo = shown.findIndex((m) => m.getDataID() === event.message.id);
    const reader = store.get(event.user.id);
    for (const message of shown.slice(0, upTo + 1)) {
      const seenBy = message.getLinkedRecord('seenBy', { first: SEEN_BY_PAGE });
      if (!seenBy || message.getLinkedRecord('sender')?.getDataID() === event.user.id) continue;
      const edges = seenBy.getLinkedRecords('edges') ?? [];
      if (edges.some((e) => e.getLinkedRecord('node')?.getDataID() === event.user.id)) continue;
      seenBy.setValue(seenBy.getValue('totalCount') + 1, 'totalCount');
      if (edges.length < SEEN_BY_PAGE) {
        const edge = store.create(`client:${message.getDataID()}:seenBy:${event.user.id}`, 'UserEdge');
        edge.setLinkedRecord(reader, 'node');
        seenBy.setLinkedRecords([...edges, edge], 'edges');
      }
    }
  };
}
