// Writing and sending messages. A message shows at once as "Sending…"
// (from the sending list, see apollo.js); the server's answer replaces it;
// if sending fails it stays, marked, with a retry that reuses its
// clientMessageId, so that a retry of a message that did arrive is not
// posted twice.
import React, { useEffect, useRef, useState } from 'react';
import { useMutation } from '@apollo/client';

import { POST, SET_TYPING } from './graphql';
import { appendMessage, setFailed, setSending } from './cache';

const newId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;

// useSend returns send(body, replyTo, clientMessageId?) for the chat.
export function useSend(chat) {
  const [post] = useMutation(POST);
  return (body, replyTo, clientMessageId = newId()) => {
    const pending = { clientMessageId, body, replyTo };
    setFailed(chat.id, pending, true);
    setSending(chat.id, pending, false);
    post({
      variables: { input: { chatId: chat.id, body, clientMessageId, replyToId: replyTo?.id ?? null } },
      update: (cache, { data }) => appendMessage(cache, chat, data.postMessage),
    }).then(
      () => setSending(chat.id, pending, true),
      () => {
        setSending(chat.id, pending, true);
        setFailed(chat.id, pending, false);
      },
    );
  };
}

// sendingMessage is a message on its way as the history shows it.
export function sendingMessage({ clientMessageId, body, replyTo }, viewer) {
  return {
    __typename: 'Message',
    id: `temp:${clientMessageId}`,
    body,
    cursor: '',
    createdAt: new Date().toISOString(),
    editedAt: null,
    deleted: false,
    clientMessageId,
    sender: { __typename: 'User', id: viewer.id, displayName: viewer.displayName, viewerBlocked: false },
    replyTo: replyTo ? {
      __typename: 'Message', id: replyTo.id, body: replyTo.body, deleted: replyTo.deleted,
      sender: { __typename: 'User', id: replyTo.sender.id, displayName: replyTo.sender.displayName },
    } : null,
    reactions: [],
    seenBy: { __typename: 'UserConnection', totalCount: 0, edges: [] },
  };
}

// Composer is the box at the bottom of a chat. Enter sends, Shift+Enter
// starts a new line; the text is cleared when it is sent, so what is typed
// next is never lost to the answer.
export function Composer({ chat, replyTo, onReplyDone }) {
  const [text, setText] = useState('');
  const send = useSend(chat);
  const [setTyping] = useMutation(SET_TYPING);
  const lastTyping = useRef(0);
  const box = useRef(null);
  // On a wide screen the box takes the focus when the chat opens; on a
  // phone that would pop the keyboard up over the messages.
  useEffect(() => {
    if (matchMedia('(min-width: 720px)').matches) box.current?.focus();
  }, [chat.id]);
  // Replying to a message: the answer is typed next.
  useEffect(() => {
    if (replyTo) box.current?.focus();
  }, [replyTo]);
  const canPost = chat.__typename === 'GroupChat' || chat.otherUser.friendship === 'FRIEND';

  function typingNow(on) {
    const now = Date.now();
    if (on && now - lastTyping.current < 2000) return;
    if (!on && !lastTyping.current) return;
    lastTyping.current = on ? now : 0;
    setTyping({ variables: { input: { chatId: chat.id, typing: on } } }).catch(() => {});
  }
  function submit(e) {
    e?.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText('');
    lastTyping.current = 0; // posting ends the indicator on the server
    send(body, replyTo);
    onReplyDone();
  }
  function onChange(e) {
    setText(e.target.value);
    typingNow(e.target.value.trim() !== '');
  }
  function onKeyDown(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
    if (e.key === 'Escape' && replyTo) onReplyDone();
  }

  if (!canPost) {
    return <p className="cannot-post">You can read this chat, but only friends can post in it.</p>;
  }
  return (
    <form id="post" className="composer" onSubmit={submit}>
      {replyTo && (
        <div className="replying">
          <span>Replying to {replyTo.sender.displayName}: {replyTo.body}</span>
          <button type="button" className="link" onClick={onReplyDone} aria-label="Cancel reply">✕</button>
        </div>
      )}
      <label htmlFor="body" className="sr-only">Message</label>
      <textarea id="body" ref={box} rows={1} maxLength={4000} placeholder="Write a message" value={text}
        onChange={onChange} onKeyDown={onKeyDown} onBlur={() => typingNow(false)} />
      <button className="primary" aria-label="Send">Send</button>
    </form>
  );
}
