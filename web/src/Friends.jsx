// Friends: finding people, friend requests both ways (live), the friends
// list with online dots, and unfriending and blocking.
import React, { useState } from 'react';
import { useLazyQuery, useMutation, useQuery } from '@apollo/client';

import {
  ACCEPT, BLOCK, BLOCKED, CANCEL, FRIENDS, OPEN_PRIVATE, REJECT, SEARCH_USERS, SEND_REQUEST, UNBLOCK, UNFRIEND, VIEWER,
} from './graphql';
import { addChat, addRequest, setBlocked } from './cache';
import { showChat } from './route';
import { OnlineDot, errorText } from './text';

// blocked records a block or unblock in the viewer's list of blocks.
function blocked(cache, user, on) {
  const viewer = cache.readQuery({ query: VIEWER })?.viewer;
  if (viewer) setBlocked(cache, viewer.id, user, on);
}

const pending = (r) => r.status === 'UNREAD' || r.status === 'READ';

export function Friends({ viewer, onOpened }) {
  const { data, error } = useQuery(FRIENDS);
  const incoming = data?.incoming.edges.map((e) => e.node).filter(pending) ?? [];
  const outgoing = data?.outgoing.edges.map((e) => e.node).filter(pending) ?? [];
  const friends = [...(data?.viewer?.friends.edges.map((e) => e.node) ?? [])]
    .filter((u) => u.friendship === 'FRIEND')
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
  return (
    <div className="friends">
      <FindPeople />
      {error && <p className="error" role="alert">{errorText(error)}</p>}
      <section aria-labelledby="requests-title">
        <h2 id="requests-title">Friend requests</h2>
        <ul id="requests" className="list">
          {incoming.map((r) => <Request key={r.id} r={r} user={r.from} incoming />)}
          {outgoing.map((r) => <Request key={r.id} r={r} user={r.to} />)}
          {incoming.length + outgoing.length === 0 && <li className="none">None</li>}
        </ul>
      </section>
      <section aria-labelledby="friends-title">
        <h2 id="friends-title">Friends</h2>
        <ul id="friends" className="list">
          {friends.map((u) => (
            <li key={u.id} className="friend row">
              <span className="grow name"><OnlineDot user={u} /> {u.displayName} <span className="muted">@{u.username}</span></span>
              <span className="actions-inline">
                <OpenChat user={u} onOpened={onOpened} />
                <FriendActions user={u} inList />
              </span>
            </li>
          ))}
          {data && friends.length === 0 && <li className="none">No friends yet: find people above.</li>}
        </ul>
      </section>
      <Blocked />
    </div>
  );
}

function FindPeople() {
  const [q, setQ] = useState('');
  const [search, { data, error }] = useLazyQuery(SEARCH_USERS, { fetchPolicy: 'network-only' });
  const results = data?.searchUsers.edges.map((e) => e.node).filter((u) => u.friendship !== 'SELF') ?? [];
  return (
    <section aria-labelledby="find-title">
      <h2 id="find-title">Find people</h2>
      <form id="search" className="row" role="search" onSubmit={(e) => { e.preventDefault(); if (q.trim()) search({ variables: { q: q.trim() } }); }}>
        <label htmlFor="search-q" className="sr-only">Username or name</label>
        <input id="search-q" className="grow" placeholder="Username or name" value={q} onChange={(e) => setQ(e.target.value)} />
        <button>Search</button>
      </form>
      {error && <p className="error" role="alert">{errorText(error)}</p>}
      {data && (
        <ul id="results" className="list">
          {results.map((u) => (
            <li key={u.id} className="row">
              <span className="grow name">{u.displayName} <span className="muted">@{u.username}</span></span>
              <FriendActions user={u} />
            </li>
          ))}
          {results.length === 0 && <li className="none">Nobody found</li>}
        </ul>
      )}
    </section>
  );
}

function Request({ r, user, incoming }) {
  const [accept] = useMutation(ACCEPT);
  const [reject] = useMutation(REJECT);
  const [cancel] = useMutation(CANCEL);
  const input = { variables: { input: { requestId: r.id } } };
  return (
    <li className={`row request ${incoming ? 'incoming' : 'outgoing'}`}>
      <span className="grow name">{user.displayName} <span className="muted">{incoming ? 'wants to be friends' : 'request sent'}</span></span>
      {incoming && <button type="button" className="accept primary" onClick={() => accept(input).catch(() => {})}>Accept</button>}
      {incoming && <button type="button" className="reject" onClick={() => reject(input).catch(() => {})}>Reject</button>}
      {!incoming && <button type="button" className="cancel" onClick={() => cancel(input).catch(() => {})}>Cancel</button>}
    </li>
  );
}

function OpenChat({ user, onOpened }) {
  const [open, { loading }] = useMutation(OPEN_PRIVATE, { update: (cache, { data }) => addChat(cache, data.openPrivateChat) });
  const go = async () => {
    const { data } = await open({ variables: { input: { friendId: user.id } } });
    onOpened?.();
    showChat(data.openPrivateChat.id);
  };
  return <button type="button" className="message" disabled={loading} onClick={() => go().catch(() => {})}>Message</button>;
}

// FriendActions are what the viewer can do about a user, by how the two
// stand: ask, see a request is pending, unfriend, block or unblock.
export function FriendActions({ user, inList }) {
  const [send] = useMutation(SEND_REQUEST, { update: (cache, { data }) => addRequest(cache, data.sendFriendRequest, 'OUTGOING') });
  const [unfriend] = useMutation(UNFRIEND);
  const [block] = useMutation(BLOCK, { update: (cache, { data }) => blocked(cache, data.blockUser, true) });
  const [unblock] = useMutation(UNBLOCK, { update: (cache, { data }) => blocked(cache, data.unblockUser, false) });
  const [error, setError] = useState(null);
  const [sure, setSure] = useState(null);
  const input = { variables: { input: { userId: user.id } } };
  const run = (m, opts = input) => m(opts).then(() => { setError(null); setSure(null); }, setError);
  const confirm = (what, m, label) => (sure === what
    ? <><button type="button" className="danger" onClick={() => run(m)}>{label}?</button><button type="button" onClick={() => setSure(null)}>No</button></>
    : <button type="button" className={what} onClick={() => setSure(what)}>{label}</button>);
  return (
    <span className="actions-inline">
      {user.viewerBlocked && <button type="button" className="unblock" onClick={() => run(unblock)}>Unblock</button>}
      {!user.viewerBlocked && user.friendship === 'NONE' && <button type="button" className="add primary" onClick={() => run(send)}>Add friend</button>}
      {user.friendship === 'REQUEST_SENT' && <span className="muted state">Request sent</span>}
      {user.friendship === 'REQUEST_RECEIVED' && <span className="muted state">Wants to be friends</span>}
      {user.friendship === 'FRIEND' && !inList && <span className="muted state">Friend</span>}
      {user.friendship === 'FRIEND' && confirm('unfriend', unfriend, 'Unfriend')}
      {!user.viewerBlocked && confirm('block', block, 'Block')}
      {error && <span className="error" role="alert">{errorText(error)}</span>}
    </span>
  );
}

function Blocked() {
  const { data } = useQuery(BLOCKED);
  const users = data?.viewer?.blockedUsers.edges.map((e) => e.node) ?? [];
  if (users.length === 0) return null;
  return (
    <section aria-labelledby="blocked-title">
      <h2 id="blocked-title">Blocked</h2>
      <ul id="blocked" className="list">
        {users.map((u) => (
          <li key={u.id} className="row"><span className="grow name">{u.displayName}</span><FriendActions user={u} /></li>
        ))}
      </ul>
    </section>
  );
}

