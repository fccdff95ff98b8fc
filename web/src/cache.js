// Changes to the cache's lists that the server's answers cannot make by
// themselves: everything else (edits, deletions, reactions, renames,
// unread counts, presence) updates by id when a result is written.
import { gql } from '@apollo/client';

import { failed, sending, typing } from './apollo';

const SHOWN = gql`fragment Shown on Chat { messages { edges { node { id sender { id } } } } }`;

const idOf = (readField, edge) => readField('id', readField('node', edge));

// appendMessage adds a message to its chat's history in the cache, if the
// history is there and lacks it (an event and a mutation's answer bring
// the same message; a replay after reconnecting may bring it again).
export function appendMessage(cache, chat, message) {
  cache.modify({
    id: cache.identify(chat),
    fields: {
      messages(existing, { readField, toReference }) {
        if (!existing?.edges || existing.edges.some((e) => idOf(readField, e) === message.id)) return existing;
        const edge = { __typename: 'MessageEdge', cursor: message.cursor, node: toReference(message) };
        return { ...existing, edges: [...existing.edges, edge] };
      },
    },
  });
}

// addChat puts a chat at the top of the chat list unless it is there.
export function addChat(cache, chat) {
  cache.modify({
    fields: {
      chats(existing, { readField, toReference }) {
        if (!existing?.edges || existing.edges.some((e) => idOf(readField, e) === chat.id)) return existing;
        return { ...existing, edges: [{ __typename: 'ChatEdge', cursor: '', node: toReference(chat) }, ...existing.edges] };
      },
    },
  });
}

// dropChat removes a chat the viewer left or was removed from.
export function dropChat(cache, chat) {
  cache.evict({ id: cache.identify(chat) });
  cache.gc();
}

// setMember adds a user to (or with joined false, removes them from) the
// chat's member list. Only the first page of members is loaded, so the
// count moves by one rather than being the length of the list: a member
// who leaves may be beyond it, and an event seen twice changes nothing.
export function setMember(cache, chat, user, joined) {
  cache.modify({
    id: cache.identify(chat),
    fields: {
      members(existing, { readField, toReference }) {
        if (!existing?.edges) return existing;
        const edges = existing.edges.filter((e) => idOf(readField, e) !== user.id);
        const listed = edges.length < existing.edges.length;
        const partial = existing.edges.length < existing.totalCount;
        let { totalCount } = existing;
        if (joined) {
          edges.push({ __typename: 'UserEdge', node: toReference(user) });
          if (!listed) totalCount += 1;
        } else if (listed || partial) {
          totalCount -= 1;
        }
        return { ...existing, edges, totalCount };
      },
    },
  });
}

// setFriend adds a user to (or removes them from) the viewer's friends.
export function setFriend(cache, viewerId, user, friends) {
  setInUserList(cache, viewerId, 'friends', user, friends);
}

// setBlocked adds a user to (or removes them from) the viewer's blocked
// users: no event says so, as a block is the viewer's own doing.
export function setBlocked(cache, viewerId, user, blocked) {
  setInUserList(cache, viewerId, 'blockedUsers', user, blocked);
}

function setInUserList(cache, viewerId, field, user, present) {
  cache.modify({
    id: cache.identify({ __typename: 'User', id: viewerId }),
    fields: {
      [field](existing, { readField, toReference }) {
        if (!existing?.edges) return existing;
        const edges = existing.edges.filter((e) => idOf(readField, e) !== user.id);
        if (present) edges.unshift({ __typename: 'UserEdge', node: toReference(user) });
        return { ...existing, edges };
      },
    },
  });
}

// addRequest lists a new friend request in the direction's list.
export function addRequest(cache, request, direction) {
  cache.modify({
    fields: {
      friendRequests(existing, { readField, toReference, storeFieldName }) {
        if (!storeFieldName.includes(direction) || !existing?.edges) return existing;
        if (existing.edges.some((e) => idOf(readField, e) === request.id)) return existing;
        return { ...existing, edges: [{ __typename: 'FriendRequestEdge', node: toReference(request) }, ...existing.edges] };
      },
    },
  });
}

// addSeenBy records that reader has seen the chat's messages up to
// message: a ReadMarkerMovedEvent of another member. seenBy lists only
// the first 3 names, so once they are taken a reader missing from them
// may be counted already: read (per chat, per reader) remembers where
// each reader's marker was at their last event, and messages up to it
// are left alone (they counted the reader, which also makes a replayed
// event change nothing); a message after it whose names are taken and
// lack the reader is refetched, as only the server knows whether that
// reader was counted before the first event this page saw.
export function addSeenBy(cache, chat, reader, message, read, refetch) {
  const key = `${chat.id} ${reader.id}`;
  const shown = cache.readFragment({ id: cache.identify(chat), fragment: SHOWN })?.messages?.edges.map((e) => e.node) ?? [];
  const end = shown.findIndex((m) => m.id === message.id) + 1;
  const start = shown.findIndex((m) => m.id === read.get(key)) + 1; // 0: none shown is known counted
  if (end > start) read.set(key, message.id);
  const unsure = [];
  for (const m of shown.slice(start, end)) {
    if (m.sender.id === reader.id) continue;
    cache.modify({
      id: cache.identify(m),
      fields: {
        seenBy(seen, { readField, toReference }) {
          if (!seen?.edges || seen.edges.some((e) => idOf(readField, e) === reader.id)) return seen;
          if (seen.edges.length >= 3) {
            unsure.push(m.id);
            return seen;
          }
          return { ...seen, totalCount: seen.edges.length + 1, edges: [...seen.edges, { __typename: 'UserEdge', node: toReference(reader) }] };
        },
      },
    });
  }
  if (unsure.length) refetch(unsure);
}

// setTyping records a TypingEvent: who is typing where.
export function setTyping(event) {
  const chatId = event.chat.id;
  const others = (typing()[chatId] ?? []).filter((u) => u.id !== event.user.id);
  typing({ ...typing(), [chatId]: event.typing ? [...others, event.user] : others });
}

// setFailed adds (or with ok, removes) a message whose sending failed.
export function setFailed(chatId, message, ok) {
  setListed(failed, chatId, message, !ok);
}

// setSending adds (or with done, removes) a message on its way.
export function setSending(chatId, message, done) {
  setListed(sending, chatId, message, !done);
}

function setListed(v, chatId, message, present) {
  const rest = (v()[chatId] ?? []).filter((m) => m.clientMessageId !== message.clientMessageId);
  v({ ...v(), [chatId]: present ? [...rest, message] : rest });
}
