// The whole chat workflow through Apollo Client, step by step: each test
// builds on the previous one, as a user of a real app would.
'use strict';

const assert = require('node:assert/strict');
const { after, before, describe, it } = require('node:test');
const { gql } = require('@apollo/client/core');

const { apolloClient } = require('./apollo');
const { Events, password, uniqueName, untilLive } = require('./support');

const USER = gql`
  fragment UserParts on User { id username displayName friendship }
`;
const MESSAGE = gql`
  fragment MessageParts on Message { id body cursor createdAt sender { id displayName } chat { id } }
`;

const SIGN_UP = gql`
  mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { ...UserParts } } }
  ${USER}
`;
const USER_BY_NAME = gql`
  query UserByName($username: String!) { user(username: $username) { ...UserParts } }
  ${USER}
`;
const SEND_REQUEST = gql`
  mutation SendFriendRequest($userId: ID!) {
    sendFriendRequest(input: { userId: $userId }) { id status from { id } to { id } }
  }
`;
const INCOMING_REQUESTS = gql`
  query IncomingRequests {
    friendRequests(direction: INCOMING, status: [UNREAD, READ], first: 20) {
      totalCount
      edges { cursor node { id status from { ...UserParts } } }
    }
  }
  ${USER}
`;
const MARK_READ = gql`
  mutation MarkRead($id: ID!) { markFriendRequestRead(input: { requestId: $id }) { id status } }
`;
const ACCEPT = gql`
  mutation Accept($id: ID!) { acceptFriendRequest(input: { requestId: $id }) { id status respondedAt } }
`;
const REJECT = gql`
  mutation Reject($id: ID!) { rejectFriendRequest(input: { requestId: $id }) { id status respondedAt } }
`;
const MY_FRIENDS = gql`
  query MyFriends($first: Int, $after: String) {
    viewer {
      id
      friends(first: $first, after: $after) {
        totalCount
        edges { cursor node { ...UserParts } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
  ${USER}
`;
const OPEN_PRIVATE_CHAT = gql`
  mutation OpenPrivateChat($friendId: ID!) {
    openPrivateChat(input: { friendId: $friendId }) { id otherUser { ...UserParts } }
  }
  ${USER}
`;
const CREATE_GROUP = gql`
  mutation CreateGroup($name: String!, $memberIds: [ID!]!) {
    createGroupChat(input: { name: $name, memberIds: $memberIds }) {
      id name owner { id } members(first: 10) { totalCount edges { node { id } } }
    }
  }
`;
const INBOX = gql`
  query Inbox($first: Int, $after: String) {
    chats(first: $first, after: $after) {
      edges {
        cursor
        node {
          id unreadCount lastMessage { ...MessageParts }
          ... on GroupChat { name }
          ... on PrivateChat { otherUser { id username } }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${MESSAGE}
`;
// Selecting the chat's lastMessage and unreadCount in the result lets the
// normalized cache update the chat without a refetch.
const POST = gql`
  mutation Post($chatId: ID!, $body: String!) {
    postMessage(input: { chatId: $chatId, body: $body }) {
      ...MessageParts
      chat { id unreadCount lastMessage { id body } }
    }
  }
  ${MESSAGE}
`;
const MESSAGE_POSTED = gql`
  subscription MessagePosted {
    messagePosted { ...MessageParts chat { id lastMessage { id body } } }
  }
  ${MESSAGE}
`;
const HISTORY = gql`
  query History($chatId: ID!, $last: Int, $before: String) {
    node(id: $chatId) {
      id
      ... on Chat {
        messages(last: $last, before: $before) {
          edges { cursor node { ...MessageParts } }
          pageInfo { hasPreviousPage startCursor }
        }
      }
    }
  }
  ${MESSAGE}
`;
const CHAT_SUMMARY = gql`
  fragment ChatSummary on Chat { id unreadCount lastMessage { id body } }
`;

describe('Apollo Client (HttpLink + GraphQLWsLink) runs the whole chat workflow', () => {
  const users = {}; // name -> { id, token, client }
  const chats = {};
  const clients = [];

  before(async () => {
    clients.push(apolloClient());
  });

  after(async () => {
    for (const c of clients) await c.close();
  });

  async function mutate(user, mutation, variables) {
    const { data } = await users[user].client.mutate({ mutation, variables });
    return data;
  }

  it('signs up three users, each with their own client and token', async () => {
    const anonymous = clients[0];
    for (const name of ['alice', 'bob', 'carol']) {
      const username = uniqueName(name);
      const { data } = await anonymous.mutate({
        mutation: SIGN_UP,
        variables: { input: { username, displayName: name[0].toUpperCase() + name.slice(1), password } },
      });
      assert.equal(data.signUp.user.username, username);
      const client = apolloClient(data.signUp.token);
      clients.push(client);
      users[name] = { id: data.signUp.user.id, username, client };
    }
    const { data } = await users.alice.client.query({ query: USER_BY_NAME, variables: { username: users.bob.username } });
    assert.equal(data.user.id, users.bob.id);
    assert.equal(data.user.friendship, 'NONE');
  });

  it('sends friend requests; the recipient reads them and the cache follows', async () => {
    users.alice.toBob = (await mutate('alice', SEND_REQUEST, { userId: users.bob.id })).sendFriendRequest;
    users.alice.toCarol = (await mutate('alice', SEND_REQUEST, { userId: users.carol.id })).sendFriendRequest;
    users.carol.toBob = (await mutate('carol', SEND_REQUEST, { userId: users.bob.id })).sendFriendRequest;
    assert.equal(users.alice.toBob.status, 'UNREAD');

    const bob = users.bob.client;
    const { data } = await bob.query({ query: INCOMING_REQUESTS });
    assert.equal(data.friendRequests.totalCount, 2);
    assert.deepEqual(
      data.friendRequests.edges.map((e) => e.node.status),
      ['UNREAD', 'UNREAD'],
    );

    await mutate('bob', MARK_READ, { id: users.alice.toBob.id });
    // The mutation returned the request with its id, so the list already in
    // the cache shows it READ without asking the server again.
    const cached = bob.readQuery({ query: INCOMING_REQUESTS });
    const fromAlice = cached.friendRequests.edges.find((e) => e.node.id === users.alice.toBob.id);
    assert.equal(fromAlice.node.status, 'READ');
    assert.equal(fromAlice.node.from.username, users.alice.username);
  });

  it('accepts two requests and rejects one', async () => {
    assert.equal((await mutate('bob', ACCEPT, { id: users.alice.toBob.id })).acceptFriendRequest.status, 'ACCEPTED');
    assert.equal((await mutate('carol', ACCEPT, { id: users.alice.toCarol.id })).acceptFriendRequest.status, 'ACCEPTED');
    const rejected = (await mutate('bob', REJECT, { id: users.carol.toBob.id })).rejectFriendRequest;
    assert.equal(rejected.status, 'REJECTED');
    assert.ok(rejected.respondedAt);

    const bob = users.bob.client;
    const carol = await bob.query({ query: USER_BY_NAME, variables: { username: users.carol.username }, fetchPolicy: 'network-only' });
    assert.equal(carol.data.user.friendship, 'NONE');
    const friend = bob.cache.identify({ __typename: 'FriendRequest', id: users.alice.toBob.id });
    assert.equal(bob.cache.readFragment({ id: friend, fragment: gql`fragment R on FriendRequest { status }` }).status, 'ACCEPTED');
  });

  it("pages through Alice's friends with fetchMore", async () => {
    const q = users.alice.client.watchQuery({ query: MY_FRIENDS, variables: { first: 1 } });
    const sub = q.subscribe(() => {});
    try {
      const first = await q.result();
      assert.equal(first.data.viewer.friends.totalCount, 2);
      assert.equal(first.data.viewer.friends.edges.length, 1);
      assert.equal(first.data.viewer.friends.pageInfo.hasNextPage, true);
      await q.fetchMore({ variables: { after: first.data.viewer.friends.pageInfo.endCursor } });
      const merged = q.getCurrentResult().data.viewer.friends;
      assert.deepEqual(merged.edges.map((e) => e.node.id).sort(), [users.bob.id, users.carol.id].sort());
      assert.ok(merged.edges.every((e) => e.node.friendship === 'FRIEND'));
    } finally {
      sub.unsubscribe();
    }
  });

  it('opens a private chat and creates a group chat', async () => {
    const dm = (await mutate('alice', OPEN_PRIVATE_CHAT, { friendId: users.bob.id })).openPrivateChat;
    assert.equal(dm.otherUser.id, users.bob.id);
    chats.dm = dm.id;
    const group = (await mutate('alice', CREATE_GROUP, { name: 'Weekend', memberIds: [users.bob.id, users.carol.id] })).createGroupChat;
    assert.equal(group.owner.id, users.alice.id);
    assert.equal(group.members.totalCount, 3);
    chats.group = group.id;

    // Bob's inbox, one chat per page, merged by relayStylePagination.
    const q = users.bob.client.watchQuery({ query: INBOX, variables: { first: 1 } });
    const sub = q.subscribe(() => {});
    try {
      const first = await q.result();
      assert.equal(first.data.chats.pageInfo.hasNextPage, true);
      await q.fetchMore({ variables: { after: first.data.chats.pageInfo.endCursor } });
      const edges = q.getCurrentResult().data.chats.edges;
      assert.deepEqual(edges.map((e) => e.node.id).sort(), [chats.dm, chats.group].sort());
      const groupNode = edges.find((e) => e.node.id === chats.group).node;
      assert.equal(groupNode.__typename, 'GroupChat');
      assert.equal(groupNode.name, 'Weekend');
      assert.equal(groupNode.lastMessage, null);
    } finally {
      sub.unsubscribe();
    }
  });

  it('delivers messages live on messagePosted and keeps the caches consistent', async () => {
    const bob = users.bob.client;
    const received = new Events();
    const sub = bob.subscribe({ query: MESSAGE_POSTED }).subscribe({
      next: ({ data }) => received.push(data.messagePosted),
      error: (err) => received.fail(err),
    });
    try {
      await untilLive(received, (body) => mutate('alice', POST, { chatId: chats.dm, body }));

      const posted = (await mutate('alice', POST, { chatId: chats.dm, body: 'Hi Bob!' })).postMessage;
      await mutate('carol', POST, { chatId: chats.group, body: 'Hello both' });

      const hi = await received.next((m) => m.body === 'Hi Bob!');
      assert.equal(hi.id, posted.id);
      assert.equal(hi.sender.displayName, 'Alice');
      assert.equal(hi.chat.id, chats.dm);
      const hello = await received.next((m) => m.body === 'Hello both');
      assert.equal(hello.sender.displayName, 'Carol');
      assert.equal(hello.chat.id, chats.group);
    } finally {
      sub.unsubscribe();
    }

    // Alice's cache: her post updated the chat stored under its Node id.
    const alice = users.alice.client;
    const dmKey = alice.cache.identify({ __typename: 'PrivateChat', id: chats.dm });
    assert.equal(dmKey, `PrivateChat:${chats.dm}`);
    const dm = alice.cache.readFragment({ id: dmKey, fragment: CHAT_SUMMARY });
    assert.equal(dm.lastMessage.body, 'Hi Bob!');
    assert.equal(dm.unreadCount, 0);

    // Bob's cache: the subscription events updated the group he had listed
    // in his inbox, so the cached inbox shows the new last message.
    const groupKey = bob.cache.identify({ __typename: 'GroupChat', id: chats.group });
    assert.equal(bob.cache.readFragment({ id: groupKey, fragment: CHAT_SUMMARY }).lastMessage.body, 'Hello both');
    const inbox = bob.readQuery({ query: INBOX, variables: { first: 1 } });
    const group = inbox.chats.edges.find((e) => e.node.id === chats.group).node;
    assert.equal(group.lastMessage.body, 'Hello both');

    // And the server agrees: Bob has unread messages in both chats.
    const fresh = await bob.query({ query: INBOX, variables: { first: 20 }, fetchPolicy: 'network-only' });
    for (const { node } of fresh.data.chats.edges) assert.ok(node.unreadCount > 0, `${node.id} has no unread message`);
  });

  it('pages the history back with fetchMore(messages(last:, before:))', async () => {
    const bodies = ['Hello both'];
    for (let i = 1; i <= 25; i++) {
      bodies.push(`message ${i}`);
      await mutate('alice', POST, { chatId: chats.group, body: `message ${i}` });
    }

    const q = users.carol.client.watchQuery({ query: HISTORY, variables: { chatId: chats.group, last: 10 } });
    const sub = q.subscribe(() => {});
    try {
      let page = (await q.result()).data.node.messages;
      assert.deepEqual(page.edges.map((e) => e.node.body), bodies.slice(-10));
      let pages = 1;
      while (page.pageInfo.hasPreviousPage) {
        const more = await q.fetchMore({ variables: { before: page.pageInfo.startCursor } });
        page = more.data.node.messages;
        pages++;
      }
      assert.equal(pages, 3);
      // relayStylePagination put the older pages in front: the whole history, in order.
      const all = q.getCurrentResult().data.node.messages;
      assert.deepEqual(all.edges.map((e) => e.node.body), bodies);
      assert.equal(all.pageInfo.hasPreviousPage, false);
    } finally {
      sub.unsubscribe();
    }
  });
});
