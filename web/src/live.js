// The live part of the client: every subscription it holds, resubscribed
// after a lost connection. chatEvents resumes from the syncToken of the
// last event handled, so what happened while the connection was down
// arrives once, in order; the other streams are not replayable, so their
// lists are refetched once the connection is back.
import { SYNC_TOKEN, SEEN_BY, CHAT_EVENTS, FRIEND_REQUEST_RECEIVED, FRIEND_REQUEST_UPDATED, FRIENDS_CHANGED, PRESENCE } from './graphql';
import { addChat, addRequest, addSeenBy, appendMessage, dropChat, setFailed, setFriend, setMember, setTyping } from './cache';
import { connection, typing } from './apollo';
import { route, showChat } from './route';

// retryDelay is how long to wait before the nth attempt to resubscribe:
// short, as a restarting server is back within seconds, and jittered so
// that the streams of many clients do not return in step.
const retryDelay = (n) => Math.min(250 * 2 ** n, 4000) * (0.75 + Math.random() / 2);

const codeOf = (err) => err?.graphQLErrors?.[0]?.extensions?.code ?? err?.[0]?.extensions?.code;

// refused says whether the server closed the WebSocket for a token it no
// longer takes (4403; Apollo reports a close as "Socket closed with event
// <code> <reason>").
const refused = (err) => /Socket closed with event 4403\b/.test(err?.networkError?.message ?? err?.message ?? '');

// startLive subscribes the viewer's client to everything live and returns
// a function that stops it. syncToken is the position taken before the
// first queries (SYNC_TOKEN), so nothing between them and the
// subscription is missed.
export async function startLive(client, viewerId, onUnauthenticated) {
  let after = await firstSyncToken(client);
  if (after === undefined) {
    onUnauthenticated();
    return () => {};
  }
  let stopped = false;
  let reconnected = false; // a stream was lost and came back: refetch what does not replay
  const subs = [];

  function follow(query, variables, onData) {
    let attempt = 0;
    let sub;
    const go = () => {
      if (stopped) return;
      sub = client.subscribe({ query, variables: variables() }).subscribe({
        next({ data }) {
          attempt = 0;
          if (data) onData(data);
        },
        error(err) {
          const code = codeOf(err);
          if (code === 'UNAUTHENTICATED' || refused(err)) return onUnauthenticated();
          reconnected = true;
          if (code === 'CURSOR_EXPIRED') { // too old to resume: start over from now
            startOver().then(go);
            return;
          }
          typing({}); // every indicator ends with its connection
          setTimeout(go, retryDelay(attempt++));
        },
        complete() { setTimeout(go, retryDelay(attempt++)); },
      });
    };
    go();
    subs.push(() => sub?.unsubscribe());
  }

  // startOver takes a new position, then reads the screens again, so that
  // the stream resumed from that position misses nothing they show.
  async function startOver() {
    after = await firstSyncToken(client);
    await client.refetchQueries({ include: 'active' }).catch(() => {});
  }

  const cache = client.cache;
  const receipts = {
    read: new Map(), // where other members had read to, at their last event (see addSeenBy)
    refetch: (ids) => client.query({ query: SEEN_BY, variables: { ids }, fetchPolicy: 'network-only' }).catch(() => {}),
  };
  follow(CHAT_EVENTS, () => ({ after }), ({ chatEvents: event }) => {
    if (event.__typename !== 'TypingEvent') after = event.syncToken;
    handleChatEvent(cache, event, viewerId, receipts);
  });
  follow(FRIEND_REQUEST_RECEIVED, () => ({}), ({ friendRequestReceived: r }) => addRequest(cache, r, 'INCOMING'));
  follow(FRIEND_REQUEST_UPDATED, () => ({}), () => {}); // updates the request by id; lists show the pending ones
  follow(FRIENDS_CHANGED, () => ({}), ({ friendsChanged: e }) => setFriend(cache, viewerId, e.user, e.friends));
  follow(PRESENCE, () => ({}), () => {}); // updates User.online by id

  // Friend requests, friendships and presence do not replay: once the
  // connection is back, the lists they keep are dropped from the cache,
  // so that the screens showing them (now or later) read them afresh.
  const unwatch = onConnected(() => {
    if (!reconnected) return;
    reconnected = false;
    const viewer = cache.identify({ __typename: 'User', id: viewerId });
    cache.evict({ id: viewer, fieldName: 'friends' });
    cache.evict({ id: viewer, fieldName: 'blockedUsers' });
    cache.evict({ id: 'ROOT_QUERY', fieldName: 'friendRequests' });
    cache.gc();
  });
  return () => {
    stopped = true;
    unwatch();
    subs.forEach((stop) => stop());
  };
}

// firstSyncToken asks for the current sync token until it gets it (the
// server may be restarting); undefined if the token is refused.
async function firstSyncToken(client) {
  for (let n = 0; ; n++) {
    try {
      return (await client.query({ query: SYNC_TOKEN, fetchPolicy: 'network-only' })).data.syncToken;
    } catch (err) {
      if (codeOf(err) === 'UNAUTHENTICATED') return undefined;
      await new Promise((resolve) => { setTimeout(resolve, retryDelay(n)); });
    }
  }
}

// onConnected calls f each time the WebSocket is (again) connected.
function onConnected(f) {
  let last = connection();
  const check = () => {
    const now = connection();
    if (now === 'live' && last !== 'live') f();
    last = now;
    connection.onNextChange(check);
  };
  connection.onNextChange(check);
  return () => { f = () => {}; };
}

function handleChatEvent(cache, event, viewerId, receipts) {
  const { chat } = event;
  switch (event.__typename) {
    case 'MessagePostedEvent':
      addChat(cache, chat);
      appendMessage(cache, chat, event.message);
      if (event.message.clientMessageId) setFailed(chat.id, event.message, true);
      break;
    case 'MemberJoinedEvent':
      if (event.user.id === viewerId) addChat(cache, chat);
      else setMember(cache, chat, event.user, true);
      break;
    case 'MemberLeftEvent':
      if (event.user.id !== viewerId) {
        setMember(cache, chat, event.user, false);
        break;
      }
      if (route().chatId === chat.id) showChat(null);
      dropChat(cache, chat);
      break;
    case 'ReadMarkerMovedEvent':
      if (event.user.id !== viewerId) addSeenBy(cache, chat, event.user, event.message, receipts.read, receipts.refetch);
      break;
    case 'TypingEvent':
      setTyping(event);
      break;
    default: // edits, deletions, reactions, renames: updated by id
  }
}
