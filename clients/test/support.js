// Shared by the client tests: where the server is, unique users, and a way
// to wait for subscription events.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const httpURL = process.env.GQLCHAT_URL;
if (!httpURL) {
  throw new Error('GQLCHAT_URL is not set: run the tests with `npm test`, which starts a server');
}
const queryURL = `${httpURL}/query`;
const wsURL = queryURL.replace(/^http/, 'ws');

const password = 'a long enough passphrase';

// The test files share one database and run in parallel, so every username
// carries a random suffix.
function uniqueName(prefix) {
  return `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
}

// Events collects what a subscription delivers so that a test can wait for
// the item it expects, in order, without missing any that came early.
class Events {
  constructor() {
    this.items = [];
    this.waiters = [];
    this.error = null;
  }

  push(item) {
    this.items.push(item);
    this.wake();
  }

  fail(err) {
    this.error = err;
    this.wake();
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  // next resolves with the first collected item matching predicate (and
  // removes it), waiting up to timeoutMs for it to arrive.
  async next(predicate = () => true, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.error) throw this.error;
      const i = this.items.findIndex(predicate);
      if (i >= 0) return this.items.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no matching subscription event within ${timeoutMs} ms; got ${JSON.stringify(this.items)}`);
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

// gql sends one GraphQL request over HTTP, as the user with token (none
// for anonymous), and returns its data; any GraphQL error fails the test.
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

// signUp creates a user with a unique username and returns { id, token, username }.
async function signUp(name) {
  const username = uniqueName(name);
  const data = await gql(null, 'mutation($in: SignUpInput!) { signUp(input: $in) { token user { id } } }', {
    in: { username, displayName: name, password },
  });
  return { id: data.signUp.user.id, token: data.signUp.token, username };
}

// befriend makes a and b friends: a asks, b accepts.
async function befriend(a, b) {
  const req = await gql(a.token, 'mutation($u: ID!) { sendFriendRequest(input: {userId: $u}) { id } }', { u: b.id });
  await gql(b.token, 'mutation($r: ID!) { acceptFriendRequest(input: {requestId: $r}) { status } }', { r: req.sendFriendRequest.id });
}

// The changes to chats the event tests make, each as user over HTTP.
const chatOps = {
  createGroup: (user, name, members) => gql(user.token,
    'mutation($n: String!, $m: [ID!]!) { createGroupChat(input: {name: $n, memberIds: $m}) { id } }',
    { n: name, m: members.map((m) => m.id) }).then((d) => d.createGroupChat.id),
  post: (user, chatId, body, replyToId) => gql(user.token,
    'mutation($c: ID!, $b: String!, $r: ID) { postMessage(input: {chatId: $c, body: $b, replyToId: $r}) { id cursor } }',
    { c: chatId, b: body, r: replyToId }).then((d) => d.postMessage),
  edit: (user, messageId, body) => gql(user.token,
    'mutation($m: ID!, $b: String!) { editMessage(input: {messageId: $m, body: $b}) { id } }', { m: messageId, b: body }),
  remove: (user, messageId) => gql(user.token,
    'mutation($m: ID!) { deleteMessage(input: {messageId: $m}) { id } }', { m: messageId }),
  react: (user, messageId, emoji) => gql(user.token,
    'mutation($m: ID!, $e: String!) { addReaction(input: {messageId: $m, emoji: $e}) { id } }', { m: messageId, e: emoji }),
  rename: (user, chatId, name) => gql(user.token,
    'mutation($c: ID!, $n: String!) { renameGroupChat(input: {chatId: $c, name: $n}) { id } }', { c: chatId, n: name }),
  invite: (user, chatId, member) => gql(user.token,
    'mutation($c: ID!, $u: [ID!]!) { inviteToGroupChat(input: {chatId: $c, userIds: $u}) { id } }', { c: chatId, u: [member.id] }),
  removeMember: (user, chatId, member) => gql(user.token,
    'mutation($c: ID!, $u: ID!) { removeFromGroupChat(input: {chatId: $c, userId: $u}) { id } }', { c: chatId, u: member.id }),
};

// untilLive returns once a subscription is delivering: the protocols do not
// acknowledge a subscribe, so it posts probe messages (post(body)) until one
// of them arrives in events. Later tests then only look for their own bodies.
async function untilLive(events, post, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (let n = 1; Date.now() < deadline; n++) {
    const body = `probe ${n}`;
    await post(body);
    try {
      await events.next((m) => m.body === body, 300);
      return;
    } catch {
      // posted before the subscription was set up: try again
    }
  }
  assert.fail(`the subscription delivered nothing within ${timeoutMs} ms`);
}

module.exports = { httpURL, queryURL, wsURL, password, uniqueName, Events, gql, signUp, befriend, chatOps, untilLive };
