// The viewer's chats, most recent activity first, with unread badges and
// the last message; and the form that makes a group.
import React, { useState } from 'react';
import { useMutation, useQuery } from '@apollo/client';

import { CHATS, CREATE_GROUP, FRIENDS } from './graphql';
import { addChat } from './cache';
import { showChat } from './route';
import { OnlineDot, chatTitle, errorText, shortTime } from './text';

const activity = (c) => c.lastMessage?.createdAt ?? c.createdAt;
// The server writes RFC3339Nano, which drops trailing zeros of the
// fraction: the strings do not sort as the times do, so compare instants.
const activityMs = (c) => Date.parse(activity(c));

function preview(chat, viewer) {
  const m = chat.lastMessage;
  if (!m) return 'No messages yet';
  const who = m.sender.id === viewer.id ? 'You' : m.sender.displayName;
  return `${who}: ${m.deleted ? 'message deleted' : m.body}`;
}

export function ChatList({ viewer, openId }) {
  const { data, fetchMore, error } = useQuery(CHATS);
  const [creating, setCreating] = useState(false);
  const conn = data?.chats;
  const chats = [...(conn?.edges ?? [])].map((e) => e.node).filter(Boolean)
    .sort((a, b) => activityMs(b) - activityMs(a));
  return (
    <section aria-labelledby="chats-title">
      <div className="row">
        <h2 id="chats-title">Chats</h2>
        <button type="button" id="new-group" aria-expanded={creating} onClick={() => setCreating(!creating)}>New group</button>
      </div>
      {creating && <NewGroup onDone={() => setCreating(false)} />}
      {error && <p className="error" role="alert">{errorText(error)}</p>}
      <ul id="chats" className="list">
        {chats.map((c) => (
          <li key={c.id} className={c.id === openId ? 'open' : ''}>
            <a href={`#/chat/${encodeURIComponent(c.id)}`} className="chat-item" aria-current={c.id === openId ? 'page' : undefined}>
              <span className="chat-line">
                {c.__typename === 'PrivateChat' && <OnlineDot user={c.otherUser} />}
                <span className="chat-name">{chatTitle(c)}</span>
                <span className="when">{shortTime(activity(c))}</span>
              </span>
              <span className="chat-line">
                <span className="preview">{preview(c, viewer)}</span>
                {c.unreadCount > 0 && <span className="badge" aria-label={`${c.unreadCount} unread`}>{c.unreadCount}</span>}
              </span>
            </a>
          </li>
        ))}
        {conn && chats.length === 0 && <li className="none">No chats yet: find a friend in Friends, or make a group.</li>}
      </ul>
      {conn?.pageInfo.hasNextPage && (
        <button type="button" onClick={() => fetchMore({ variables: { after: conn.pageInfo.endCursor } })}>More chats</button>
      )}
    </section>
  );
}

function NewGroup({ onDone }) {
  const { data } = useQuery(FRIENDS);
  const [name, setName] = useState('');
  const [picked, setPicked] = useState([]);
  const [create, { loading, error }] = useMutation(CREATE_GROUP, {
    update: (cache, { data: d }) => addChat(cache, d.createGroupChat),
  });
  const friends = data?.viewer?.friends.edges.map((e) => e.node) ?? [];
  const toggle = (id) => setPicked(picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id]);
  async function submit(e) {
    e.preventDefault();
    try {
      const { data: d } = await create({ variables: { input: { name, memberIds: picked } } });
      onDone();
      showChat(d.createGroupChat.id);
    } catch { /* shown below */ }
  }
  return (
    <form id="group-form" className="card" onSubmit={submit}>
      <label>Group name <input id="group-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} /></label>
      <fieldset>
        <legend>Members</legend>
        {friends.length === 0 && <p className="none">Add friends first to invite them.</p>}
        {friends.map((f) => (
          <label key={f.id} className="check">
            <input type="checkbox" checked={picked.includes(f.id)} onChange={() => toggle(f.id)} /> {f.displayName}
          </label>
        ))}
      </fieldset>
      {error && <p className="error" role="alert">{errorText(error)}</p>}
      <button className="primary" disabled={loading}>Create group</button>
    </form>
  );
}
