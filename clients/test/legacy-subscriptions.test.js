// The legacy `graphql-ws` protocol of Apollo's subscriptions-transport-ws,
// with that package's own SubscriptionClient: older Apollo apps use it.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { SubscriptionClient } = require('subscriptions-transport-ws');
const WebSocket = require('ws');

const { Events, password, queryURL, uniqueName, untilLive, wsURL } = require('./support');

// gql sends one GraphQL request over HTTP and returns its data.
async function gql(token, query, variables) {
  const res = await fetch(queryURL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

async function signUp(name) {
  const username = uniqueName(name);
  const data = await gql(null, 'mutation($in: SignUpInput!) { signUp(input: $in) { token user { id } } }', {
    in: { username, displayName: name, password },
  });
  return { id: data.signUp.user.id, token: data.signUp.token };
}

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

// subscribe starts a subscription on client and collects its messagePosted events.
function subscribe(client, query, variables) {
  const events = new Events();
  const sub = client.request({ query, variables }).subscribe({
    next: ({ data, errors }) => (errors ? events.fail(new Error(JSON.stringify(errors))) : events.push(data.messagePosted)),
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
    const req = await gql(alice.token, 'mutation($u: ID!) { sendFriendRequest(input: {userId: $u}) { id } }', { u: bob.id });
    await gql(bob.token, 'mutation($r: ID!) { acceptFriendRequest(input: {requestId: $r}) { status } }', { r: req.sendFriendRequest.id });
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
});
