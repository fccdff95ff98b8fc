// The legacy `graphql-ws` protocol of Apollo's subscriptions-transport-ws,
// with that package's own SubscriptionClient: older Apollo apps use it.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { SubscriptionClient } = require('subscriptions-transport-ws');
const WebSocket = require('ws');

const { Events, befriend, chatOps, gql, signUp, untilLive, wsURL } = require('./support');

function post(user, chatId, body) {
  return gql(user.token, 'mutation($c: ID!, $b: String!) { postMessage(input: {chatId: $c, body: $b}) { id body cursor } }', { c: chatId, b: body })
    .then((d) => d.postMessage);
}

function legacyClient(token) {
  return new SubscriptionClient(wsURL, {
    connectionParams: { authorization: `Bearer ${token}` },
    reconnect: false,
  }, WebSocket);
}

// subscribe starts a subscription on client and collects what its field
// (messagePosted unless told) delivers.
function subscribe(client, query, variables, field = 'messagePosted') {
  const events = new Events();
  const sub = client.request({ query, variables }).subscribe({
    next: ({ data, errors }) => (errors ? events.fail(new Error(JSON.stringify(errors))) : events.push(data[field])),
    error: (err) => events.fail(err instanceof Error ? err : new Error(JSON.stringify(err))),
  });
  return { events, unsubscribe: () => sub.unsubscribe() };
}

describe('subscriptions-transport-ws (legacy graphql-ws protocol)', () => {
  let alice;
  let bob;
  let chatId;
  let client;

  before(async () => {
    alice = await signUp('alice');
    bob = await signUp('bob');
    await befriend(alice, bob);
    const chat = await gql(alice.token, 'mutation($f: ID!) { openPrivateChat(input: {friendId: $f}) { id } }', { f: bob.id });
    chatId = chat.openPrivateChat.id;
    client = legacyClient(bob.token);
  });

  after(() => client.close());

  it("receives a message posted by another user, live", async () => {
    const { events, unsubscribe } = subscribe(client, 'subscription { messagePosted { id body sender { id } chat { id } } }');
    try {
      await untilLive(events, (body) => post(alice, chatId, body));
      const sent = await post(alice, chatId, 'Hi Bob, over the legacy protocol');
      const got = await events.next((m) => m.id === sent.id);
      assert.equal(got.body, 'Hi Bob, over the legacy protocol');
      assert.equal(got.sender.id, alice.id);
      assert.equal(got.chat.id, chatId);
    } finally {
      unsubscribe();
    }
  });

  it('resumes after a cursor: replays what was missed, then goes on live', async () => {
    const seen = await post(alice, chatId, 'seen');
    const missed = [await post(alice, chatId, 'missed 1'), await post(bob, chatId, 'missed 2')];
    const { events, unsubscribe } = subscribe(
      client,
      'subscription($c: ID!, $after: String) { messagePosted(chatId: $c, after: $after) { id body } }',
      { c: chatId, after: seen.cursor },
    );
    try {
      for (const m of missed) assert.equal((await events.next()).id, m.id);
      const live = await post(alice, chatId, 'live');
      assert.equal((await events.next()).id, live.id);
    } finally {
      unsubscribe();
    }
  });

  it('follows chatEvents: a post, its edit and its deletion, after the last cursor seen', async () => {
    const seen = await post(alice, chatId, 'before the subscription');
    const { events, unsubscribe } = subscribe(client, `subscription($c: ID!, $after: String) {
      chatEvents(chatId: $c, after: $after) {
        __typename cursor
        ... on MessagePostedEvent { message { id body } }
        ... on MessageEditedEvent { message { id body editedAt } }
        ... on MessageDeletedEvent { message { id body deleted } }
      }
    }`, { c: chatId, after: seen.cursor }, 'chatEvents');
    try {
      const m = await post(alice, chatId, 'typo');
      await chatOps.edit(alice, m.id, 'no typo');
      await chatOps.remove(alice, m.id);
      const got = [await events.next(), await events.next(), await events.next()];
      assert.deepEqual(got.map((e) => [e.__typename, e.message.id]),
        [['MessagePostedEvent', m.id], ['MessageEditedEvent', m.id], ['MessageDeletedEvent', m.id]]);
      assert.equal(got[2].message.deleted, true);
    } finally {
      unsubscribe();
    }
  });
});
