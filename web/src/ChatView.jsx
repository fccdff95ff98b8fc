// One open chat: its header, its history (paging back as the user scrolls
// up), who is typing, and the box to write in.
import React, { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useReactiveVar } from '@apollo/client';

import { failed, sending, typing } from './apollo';
import { HISTORY, MARK_READ } from './graphql';
import { ChatDetails } from './ChatDetails';
import { Composer, sendingMessage, useSend } from './Composer';
import { FailedItem, MessageItem } from './Message';
import { OnlineDot, chatTitle, errorText } from './text';

const isTemp = (m) => m.id.startsWith('temp:');
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function ChatView({ chatId, viewer }) {
  // Fetched once, then kept current by the live events: never refetched
  // because the cache lost part of it (a chat just left is evicted while
  // its screen closes).
  const { data, error, fetchMore } = useQuery(HISTORY, { variables: { id: chatId }, nextFetchPolicy: 'cache-only' });
  const chat = data?.node;
  const [details, setDetails] = useState(false);
  const [replyTo, setReplyTo] = useState(null);
  const typers = useReactiveVar(typing)[chatId] ?? [];
  useMarkRead(chat);

  if (error || (data && !chat)) {
    return (
      <section className="chat">
        <header className="chat-head"><a href="#/" className="back">← Chats</a></header>
        <p className="error" role="alert">{error ? errorText(error) : 'This chat is not yours to see, or no longer exists.'}</p>
      </section>
    );
  }
  if (!chat) return <p className="loading">Loading…</p>;
  const group = chat.__typename === 'GroupChat';
  const members = chat.members.edges.map((e) => e.node);
  const online = members.filter((u) => u.online && u.id !== viewer.id).length;
  return (
    <section className="chat" aria-labelledby="chat-title">
      <header className="chat-head">
        <a href="#/" className="back" aria-label="Back to chats">←</a>
        <div className="title">
          <h2 id="chat-title">{!group && <OnlineDot user={chat.otherUser} />}{chatTitle(chat)}</h2>
          <span className="sub">
            {group ? `${plural(chat.members.totalCount, 'member')}${online ? `, ${online} online` : ''}` : `@${chat.otherUser.username}`}
          </span>
        </div>
        <button type="button" id="details-toggle" aria-expanded={details} onClick={() => setDetails(!details)}>
          {group ? 'Group' : 'Details'}
        </button>
      </header>
      {details && <ChatDetails chat={chat} viewer={viewer} />}
      <History chat={chat} viewer={viewer} fetchMore={fetchMore} onReply={setReplyTo} />
      <p className="typing" aria-live="polite">
        {typers.length > 0 && `${typers.map((u) => u.displayName).join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…`}
      </p>
      <Composer chat={chat} replyTo={replyTo} onReplyDone={() => setReplyTo(null)} />
    </section>
  );
}

// useMarkRead moves the viewer's read marker to the newest message while
// the chat is open and the page visible: the badge clears on every device
// through the ReadMarkerMovedEvent.
function useMarkRead(chat) {
  const [mark] = useMutation(MARK_READ);
  const edges = chat?.messages.edges ?? [];
  const newest = [...edges].reverse().find((e) => !isTemp(e.node))?.node.id;
  const unread = chat?.unreadCount ?? 0;
  const [visible, setVisible] = useState(document.visibilityState === 'visible');
  useEffect(() => {
    const f = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', f);
    return () => document.removeEventListener('visibilitychange', f);
  }, []);
  useEffect(() => {
    if (chat && newest && unread > 0 && visible) {
      mark({ variables: { input: { chatId: chat.id, messageId: newest } } }).catch(() => {});
    }
  }, [chat?.id, newest, unread, visible, mark]);
}

// History is the list of messages. It stays scrolled to the bottom while
// the reader is there, keeps its place when older pages come in above,
// and loads the previous page when the reader nears the top.
function History({ chat, viewer, fetchMore, onReply }) {
  const list = useRef(null);
  const atBottom = useRef(true);
  const prevHeight = useRef(0);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const inFlight = useRef(false); // state updates too late to stop a second scroll event
  const failedHere = useReactiveVar(failed)[chat.id] ?? [];
  const sendingHere = useReactiveVar(sending)[chat.id] ?? [];
  const send = useSend(chat);
  const { edges, pageInfo } = chat.messages;
  const shown = dedupe([...edges.map((e) => e.node), ...sendingHere.map((p) => sendingMessage(p, viewer))]);
  const lastMine = [...shown].reverse().find((m) => m.sender.id === viewer.id);
  const firstId = shown[0]?.id;
  // Where the reader had read up to when the chat opened: a divider
  // after it marks what is new (it stays put while the chat is open).
  const [readAtOpen] = useState(() => (chat.unreadCount > 0 ? chat.viewerLastRead?.id : null));

  async function older() {
    if (inFlight.current || !pageInfo.hasPreviousPage) return;
    inFlight.current = true;
    setLoadingOlder(true);
    prevHeight.current = list.current.scrollHeight;
    try {
      await fetchMore({ variables: { before: pageInfo.startCursor } });
    } catch {
      prevHeight.current = 0; // nothing came; the button stays to try again
    } finally {
      inFlight.current = false;
      setLoadingOlder(false);
    }
  }

  // A page added above: keep the messages the reader saw where they were.
  useLayoutEffect(() => {
    const el = list.current;
    if (prevHeight.current) {
      el.scrollTop += el.scrollHeight - prevHeight.current;
      prevHeight.current = 0;
    }
  }, [firstId]);
  // A message added below: follow it if the reader was at the bottom.
  useLayoutEffect(() => {
    const el = list.current;
    if (atBottom.current) el.scrollTop = el.scrollHeight;
  }, [shown.length, failedHere.length, shown[shown.length - 1]?.id]);
  // A first page that does not fill the pane: fetch more until it does.
  useEffect(() => {
    const el = list.current;
    if (el.scrollHeight <= el.clientHeight && pageInfo.hasPreviousPage) older();
  }, [firstId, pageInfo.hasPreviousPage]);

  function onScroll() {
    const el = list.current;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 120) older();
  }

  return (
    <div className="history" ref={list} onScroll={onScroll}>
      {pageInfo.hasPreviousPage
        ? <button type="button" className="older" onClick={older} disabled={loadingOlder}>{loadingOlder ? 'Loading…' : 'Load older messages'}</button>
        : <p className="start">This is the start of the conversation.</p>}
      <ol id="messages" role="log" aria-live="polite" aria-label="Messages">
        {shown.map((m, i) => (
          <React.Fragment key={m.id}>
            <MessageItem m={m} chat={chat} viewer={viewer} onReply={onReply}
              status={m === lastMine || isTemp(m) ? deliveryState(m, chat) : null} />
            {m.id === readAtOpen && i < shown.length - 1 && <li className="divider" role="separator">New messages</li>}
          </React.Fragment>
        ))}
        {failedHere.map((m) => <FailedItem key={m.clientMessageId} m={m} onRetry={() => send(m.body, m.replyTo, m.clientMessageId)} />)}
      </ol>
    </div>
  );
}

// dedupe drops a message still sending once its sent copy is in the list
// (an event can bring it before the mutation's answer does).
function dedupe(messages) {
  const sent = new Set(messages.filter((m) => !isTemp(m) && m.clientMessageId).map((m) => m.clientMessageId));
  return messages.filter((m) => !isTemp(m) || !sent.has(m.clientMessageId));
}

function deliveryState(m, chat) {
  if (isTemp(m)) return 'Sending…';
  const seen = m.seenBy;
  if (!seen?.totalCount) return 'Sent';
  if (chat.__typename === 'PrivateChat') return 'Seen';
  const names = seen.edges.map((e) => e.node.displayName);
  const more = seen.totalCount - names.length;
  return `Seen by ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}
