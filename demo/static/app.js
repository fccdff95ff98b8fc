// gqlchat demo: a chat client in plain JavaScript, no framework. Queries
// and mutations go to /query with fetch; subscriptions share one WebSocket
// speaking graphql-transport-ws, a small protocol spoken here directly:
// https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md
"use strict";

const $ = (selector) => document.querySelector(selector);
const tokenKey = "gqlchat-demo:token"; // sessionStorage: each tab can be another user

let token = sessionStorage.getItem(tokenKey) || "";
let me = null; // the viewer: { id, username, displayName }
let openChat = null; // the chat shown on the right: { id, title }
let socket = null; // the current WebSocket
const shown = new Set(); // ids of the messages shown in the open chat

const MESSAGE = "fragment Msg on Message { id body createdAt sender { id displayName } chat { id } }";

// el builds an element: el("li", { className: "x" }, "text", child).
function el(tag, props, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function say(text, isError = false) {
  $("#status").textContent = text;
  $("#status").classList.toggle("error", isError);
}

// act runs an async action and shows its error, if any, in the status line.
function act(fn) {
  return (...args) => fn(...args).catch((err) => say(err.message, true));
}

// gql runs a query or mutation over HTTP and returns its data; GraphQL
// errors are thrown.
async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch("/query", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

// --- Subscriptions over graphql-transport-ws --------------------------------

// subscriptions are started after each connection_ack, by id.
const subscriptions = {
  requests: ["subscription { friendRequestReceived { id from { username displayName } } }",
    (data) => { addRequest(data.friendRequestReceived); say("New friend request from " + data.friendRequestReceived.from.displayName); }],
  updates: ["subscription { friendRequestUpdated { id status } }",
    (data) => { if (data.friendRequestUpdated.status === "ACCEPTED") loadFriends(); }],
  messages: ["subscription { messagePosted { ...Msg } } " + MESSAGE,
    (data) => onMessage(data.messagePosted)],
};

function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/query", "graphql-transport-ws");
  const send = (msg) => ws.send(JSON.stringify(msg));
  socket = ws;
  ws.onopen = () => send({ type: "connection_init", payload: { authorization: "Bearer " + token } });
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    switch (msg.type) {
      case "connection_ack":
        for (const [id, [query]] of Object.entries(subscriptions)) send({ id, type: "subscribe", payload: { query } });
        setLive(true);
        refresh(); // catch up on what happened while disconnected
        break;
      case "ping":
        send({ type: "pong" });
        break;
      case "next":
        if (msg.payload.errors) say(msg.payload.errors[0].message, true);
        else subscriptions[msg.id]?.[1](msg.payload.data);
        break;
      case "error":
        say(msg.payload[0]?.message || "subscription failed", true);
        break;
    }
  };
  ws.onclose = (event) => {
    if (socket !== ws) return; // replaced or logged out
    setLive(false);
    if (event.code === 4403) return logOut(); // the token was refused or revoked
    setTimeout(() => socket === ws && connect(), 2000);
  };
}

function setLive(on) {
  $("#live").textContent = on ? "live" : "offline";
  $("#live").classList.toggle("on", on);
}

// --- Accounts ----------------------------------------------------------------

async function start() {
  // A token that expired or was revoked reads as an error: log in again.
  me = token ? (await gql("{ viewer { id username displayName } }").catch(() => ({ viewer: null }))).viewer : null;
  if (!me) sessionStorage.removeItem(tokenKey), token = "";
  $("#auth").hidden = !!me;
  $("#app").hidden = $("#logout").hidden = !me;
  $("#me").textContent = me ? `${me.displayName} (@${me.username})` : "";
  if (!me) return setLive(false);
  connect(); // refresh() runs on connection_ack
}

$("#auth").addEventListener("submit", act(async (e) => {
  e.preventDefault();
  const op = e.submitter?.value === "logIn" ? "logIn" : "signUp";
  const input = { username: $("#username").value.trim(), password: $("#password").value };
  if (op === "signUp") input.displayName = $("#display-name").value.trim() || input.username;
  const data = await gql(`mutation($input: ${op === "signUp" ? "SignUpInput!" : "LogInInput!"}) { ${op}(input: $input) { token } }`, { input });
  token = data[op].token;
  sessionStorage.setItem(tokenKey, token);
  $("#password").value = "";
  say("");
  await start();
}));

async function logOut() {
  const ws = socket;
  socket = null;
  ws?.close(1000);
  if (token) await gql("mutation { logOut }").catch(() => {}); // an expired token is logged out already
  token = "";
  sessionStorage.removeItem(tokenKey);
  openChat = null;
  await start();
}
$("#logout").addEventListener("click", act(logOut));

// --- Friends -----------------------------------------------------------------

$("#search").addEventListener("submit", act(async (e) => {
  e.preventDefault();
  const data = await gql("query($q: String!) { searchUsers(query: $q, first: 10) { edges { node { id username displayName friendship } } } }", { q: $("#search-q").value.trim() });
  const users = data.searchUsers.edges.map((edge) => edge.node).filter((u) => u.friendship !== "SELF");
  $("#results").replaceChildren(...users.map((u) => {
    const li = el("li", {}, el("span", { textContent: `${u.displayName} (@${u.username})` }));
    if (u.friendship === "NONE") {
      li.append(el("button", { textContent: "Add friend", onclick: act(async () => {
        await gql("mutation($id: ID!) { sendFriendRequest(input: { userId: $id }) { id } }", { id: u.id });
        li.lastChild.replaceWith(el("small", { textContent: "request sent" }));
      }) }));
    } else {
      li.append(el("small", { textContent: u.friendship.toLowerCase().replace("_", " ") }));
    }
    return li;
  }));
  if (!users.length) $("#results").replaceChildren(el("li", { className: "empty", textContent: "nobody found" }));
}));

async function loadRequests() {
  const data = await gql("{ friendRequests(direction: INCOMING, status: [UNREAD, READ], first: 50) { edges { node { id from { username displayName } } } } }");
  $("#requests").replaceChildren();
  data.friendRequests.edges.forEach((edge) => addRequest(edge.node));
  if (!data.friendRequests.edges.length) $("#requests").append(el("li", { className: "empty", textContent: "none" }));
}

function addRequest(req) {
  if (document.getElementById("request-" + req.id)) return;
  $("#requests .empty")?.remove();
  const li = el("li", { id: "request-" + req.id }, el("span", { textContent: `${req.from.displayName} (@${req.from.username})` }));
  const answer = (verb) => act(async () => {
    await gql(`mutation($id: ID!) { ${verb}FriendRequest(input: { requestId: $id }) { status } }`, { id: req.id });
    li.remove();
    if (verb === "accept") await loadFriends();
  });
  li.append(el("button", { textContent: "Accept", className: "accept", onclick: answer("accept") }),
    el("button", { textContent: "Reject", className: "secondary", onclick: answer("reject") }));
  $("#requests").append(li);
}

async function loadFriends() {
  const data = await gql("{ viewer { friends(first: 100) { edges { node { id username displayName } } } } }");
  const friends = data.viewer.friends.edges.map((edge) => edge.node);
  $("#friends").replaceChildren(...friends.map((f) => el("li", { className: "friend" },
    el("input", { type: "checkbox", value: f.id, title: "add to a new group" }),
    el("span", { textContent: f.displayName, title: "@" + f.username }),
    el("button", { textContent: "Chat", onclick: act(async () => {
      const chat = (await gql("mutation($id: ID!) { openPrivateChat(input: { friendId: $id }) { id } }", { id: f.id })).openPrivateChat;
      await showChat(chat.id, f.displayName);
      await loadChats();
    }) }))));
  if (!friends.length) $("#friends").append(el("li", { className: "empty", textContent: "no friends yet" }));
}

$("#group").addEventListener("submit", act(async (e) => {
  e.preventDefault();
  const memberIds = [...document.querySelectorAll("#friends input:checked")].map((box) => box.value);
  if (!memberIds.length) throw new Error("Tick the friends to add to the group");
  const name = $("#group-name").value.trim();
  const chat = (await gql("mutation($name: String!, $ids: [ID!]!) { createGroupChat(input: { name: $name, memberIds: $ids }) { id } }", { name, ids: memberIds })).createGroupChat;
  $("#group-name").value = "";
  document.querySelectorAll("#friends input:checked").forEach((box) => { box.checked = false; });
  await showChat(chat.id, name);
  await loadChats();
}));

// --- Chats and messages --------------------------------------------------------

function chatTitle(chat) {
  return chat.name ?? chat.otherUser?.displayName ?? "Chat";
}

async function loadChats() {
  const data = await gql(`{ chats(first: 50) { edges { node { id unreadCount lastMessage { body sender { displayName } }
    ... on GroupChat { name } ... on PrivateChat { otherUser { displayName } } } } } }`);
  const chats = data.chats.edges.map((edge) => edge.node);
  $("#chats").replaceChildren(...chats.map((chat) => {
    const last = chat.lastMessage ? `${chat.lastMessage.sender.displayName}: ${chat.lastMessage.body}` : "no messages yet";
    const li = el("li", { className: chat.id === openChat?.id ? "chat open" : "chat", onclick: act(() => showChat(chat.id, chatTitle(chat))) },
      el("span", {}, chatTitle(chat), el("small", { textContent: last })));
    if (chat.unreadCount > 0 && chat.id !== openChat?.id) li.append(el("span", { className: "badge", textContent: chat.unreadCount }));
    return li;
  }));
  if (!chats.length) $("#chats").append(el("li", { className: "empty", textContent: "no chats yet" }));
}

async function showChat(id, title) {
  openChat = { id, title };
  shown.clear();
  $("#chat-title").textContent = title;
  $("#messages").replaceChildren();
  $("#post").hidden = false;
  const data = await gql(`query($id: ID!) { node(id: $id) { ... on Chat { messages(last: 50) { edges { node { ...Msg } } } } } } ${MESSAGE}`, { id });
  if (openChat?.id !== id) return; // another chat was opened meanwhile
  data.node.messages.edges.forEach((edge) => showMessage(edge.node));
  await markRead();
  await loadChats();
  $("#body").focus();
}

function showMessage(msg) {
  if (shown.has(msg.id)) return; // our own post comes back on the subscription too
  shown.add(msg.id);
  const li = el("li", { className: msg.sender.id === me.id ? "message mine" : "message", title: new Date(msg.createdAt).toLocaleString() },
    el("b", { textContent: msg.sender.displayName }), msg.body);
  $("#messages").append(li);
  li.scrollIntoView({ block: "end" });
}

async function markRead() {
  const last = [...shown].pop();
  if (openChat && last) await gql("mutation($chat: ID!, $msg: ID!) { markChatRead(input: { chatId: $chat, messageId: $msg }) { id } }", { chat: openChat.id, msg: last });
}

// onMessage handles a message posted in any of the viewer's chats.
const onMessage = act(async (msg) => {
  if (msg.chat.id === openChat?.id) {
    showMessage(msg);
    if (msg.sender.id !== me.id) await markRead();
  }
  await loadChats(); // unread counts and last messages
});

$("#post").addEventListener("submit", act(async (e) => {
  e.preventDefault();
  const body = $("#body").value.trim();
  if (!body || !openChat) return;
  // clientMessageId makes a retried post safe: the server returns the original.
  const input = { chatId: openChat.id, body, clientMessageId: crypto.randomUUID?.() ?? String(Date.now() + Math.random()) };
  const msg = (await gql(`mutation($input: PostMessageInput!) { postMessage(input: $input) { ...Msg } } ${MESSAGE}`, { input })).postMessage;
  $("#body").value = "";
  if (msg.chat.id === openChat?.id) showMessage(msg);
}));

// refresh reloads everything the subscriptions keep up to date.
const refresh = act(async () => {
  await Promise.all([loadRequests(), loadFriends(), loadChats()]);
  if (openChat) await showChat(openChat.id, openChat.title);
});

act(start)();
