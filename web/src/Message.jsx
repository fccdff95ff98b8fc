// One message in the history: who and when, its text (links made safely),
// what it answers, its reactions and what the viewer can do with it.
import React, { useState } from 'react';
import { useMutation } from '@apollo/client';

import { ADD_REACTION, DELETE, EDIT, REMOVE_REACTION } from './graphql';
import { Linkified, Time, errorText } from './text';

const QUICK = ['👍', '❤️', '😂', '🎉'];

export function MessageItem({ m, chat, viewer, status, onReply }) {
  const mine = m.sender.id === viewer.id;
  const temp = m.id.startsWith('temp:');
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [add] = useMutation(ADD_REACTION);
  const [remove] = useMutation(REMOVE_REACTION);
  const [del] = useMutation(DELETE);
  const owner = chat.__typename === 'GroupChat' && chat.owner.id === viewer.id;
  const react = (emoji, on) => (on ? remove : add)({ variables: { input: { messageId: m.id, emoji } } }).catch(() => {});
  const hidden = m.sender.viewerBlocked && !m.deleted;

  return (
    <li className={`msg${mine ? ' mine' : ''}${m.deleted ? ' deleted' : ''}${temp ? ' sending' : ''}`} data-id={m.id}>
      <div className="bubble" tabIndex={0}>
        {!mine && <span className="sender">{m.sender.displayName}</span>}
        {m.replyTo && (
          <p className="quote">
            <span className="quote-who">{m.replyTo.sender.displayName}</span>
            {m.replyTo.deleted ? <em>message deleted</em> : m.replyTo.body}
          </p>
        )}
        {editing
          ? <EditForm m={m} onDone={() => setEditing(false)} />
          : (
            <p className="body">
              {m.deleted && <em>Message deleted</em>}
              {hidden && <em>Message from a user you blocked</em>}
              {!m.deleted && !hidden && <Linkified text={m.body} />}
            </p>
          )}
        <span className="meta">
          <Time iso={m.createdAt} />
          {m.editedAt && !m.deleted && <span> · edited</span>}
        </span>
      </div>
      {m.reactions.length > 0 && (
        <div className="reactions">
          {m.reactions.map((r) => (
            <button key={r.emoji} type="button" className="reaction" aria-pressed={r.viewerReacted}
              aria-label={`${r.emoji} ${r.count}${r.viewerReacted ? ', including you' : ''}`}
              onClick={() => react(r.emoji, r.viewerReacted)}>{r.emoji} {r.count}</button>
          ))}
        </div>
      )}
      {!temp && !m.deleted && !editing && (
        <div className="actions">
          <button type="button" onClick={() => onReply(m)}>Reply</button>
          {QUICK.map((e) => {
            const on = m.reactions.some((r) => r.emoji === e && r.viewerReacted);
            return <button key={e} type="button" aria-label={`React ${e}`} aria-pressed={on} onClick={() => react(e, on)}>{e}</button>;
          })}
          {mine && <button type="button" onClick={() => setEditing(true)}>Edit</button>}
          {(mine || owner) && !confirmDelete && <button type="button" onClick={() => setConfirmDelete(true)}>Delete</button>}
          {confirmDelete && (
            <span className="confirm">Delete?
              <button type="button" className="danger" onClick={() => del({ variables: { input: { messageId: m.id } } }).catch(() => {})}>Yes</button>
              <button type="button" onClick={() => setConfirmDelete(false)}>No</button>
            </span>
          )}
        </div>
      )}
      {status && <span className="status">{status}</span>}
    </li>
  );
}

function EditForm({ m, onDone }) {
  const [body, setBody] = useState(m.body);
  const [edit, { error, loading }] = useMutation(EDIT);
  async function submit(e) {
    e.preventDefault();
    try {
      await edit({ variables: { input: { messageId: m.id, body } } });
      onDone();
    } catch { /* shown below */ }
  }
  return (
    <form className="edit" onSubmit={submit}>
      <label className="sr-only" htmlFor={`edit-${m.id}`}>Edit message</label>
      <textarea id={`edit-${m.id}`} value={body} maxLength={4000} onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => e.key === 'Escape' && onDone()} />
      {error && <span className="error" role="alert">{errorText(error)}</span>}
      <button className="primary" disabled={loading}>Save</button>
      <button type="button" onClick={onDone}>Cancel</button>
    </form>
  );
}

// FailedItem is a message of the viewer's that could not be sent.
export function FailedItem({ m, onRetry }) {
  return (
    <li className="msg mine failed">
      <div className="bubble"><p className="body"><Linkified text={m.body} /></p></div>
      <span className="status" role="alert">Not sent. <button type="button" className="retry" onClick={onRetry}>Retry</button></span>
    </li>
  );
}
