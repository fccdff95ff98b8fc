// relay-compiler compiles the operations in relay/src against ../schema.graphql:
// fragments on User, Chat and Message, @connection on Query.chats,
// Chat.messages and User.friends, @refetchable fragments (through Query.node)
// and the messagePosted subscription. The operations it generates are then
// sent to the running server, which must accept them.
'use strict';

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { before, describe, it } = require('node:test');

const { password, queryURL, uniqueName } = require('./support');

const clientsDir = path.resolve(__dirname, '..');
const artifacts = path.join(clientsDir, 'relay', '__generated__');

// gql sends one request and fails on any GraphQL error.
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

function operationText(name) {
  return require(path.join(artifacts, `${name}.graphql.js`)).params.text;
}

describe('relay-compiler', () => {
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
      'AppQuery', 'AppChatScreenQuery', 'AppPostMessageMutation', 'AppMessagePostedSubscription',
      'ChatListPaginationQuery', 'ChatHistoryPaginationQuery', 'FriendListPaginationQuery', 'UserProfileRefetchQuery',
    ]) {
      assert.ok(fs.existsSync(path.join(artifacts, `${name}.graphql.js`)), `${name} was not generated`);
    }
  });

  it("runs Relay's generated queries against the server", async () => {
    const username = uniqueName('relay');
    const { signUp } = await gql(null, 'mutation($in: SignUpInput!) { signUp(input: $in) { token user { id } } }', {
      in: { username, displayName: 'Relay', password },
    });
    const token = signUp.token;

    const app = await gql(token, operationText('AppQuery'));
    assert.equal(app.viewer.username, username);
    assert.equal(app.chats.totalCount, 0);

    const refetched = await gql(token, operationText('UserProfileRefetchQuery'), { id: signUp.user.id });
    assert.equal(refetched.node.username, username);

    const friends = await gql(token, operationText('FriendListPaginationQuery'), { id: signUp.user.id, count: 5 });
    assert.equal(friends.node.friends.totalCount, 0);
    assert.equal(friends.node.friends.pageInfo.hasNextPage, false);
  });
});
