// A chat's details: for a group its name, members (the owner can remove
// them), inviting friends and leaving; for a private chat the other user,
// with unfriend and block.
import React, { useState } from 'react';
import { useMutation, useQuery } from '@apollo/client';

import { FRIENDS, INVITE, LEAVE, REMOVE_MEMBER, RENAME } from './graphql';
import { dropChat } from './cache';
import { showChat } from './route';
import { FriendActions } from './Friends';
import { OnlineDot, errorText } from './text';

export function ChatDetails({ chat, viewer }) {
  if (chat.__typename === 'PrivateChat') {
    const u = chat.otherUser;
    return (
      <div className="details card" id="details">
        <p><OnlineDot user={u} /> {u.displayName} <span className="muted">@{u.username}</span></p>
        <FriendActions user={u} />
      </div>
    );
  }
  return <GroupDetails chat={chat} viewer={viewer} />;
}

function GroupDetails({ chat, viewer }) {
  const owner = chat.owner.id === viewer.id;
  const [error, setError] = useState(null);
  const [remove] = useMutation(REMOVE_MEMBER);
  const [leave] = useMutation(LEAVE);
  const run = (p) => p.then(() => setError(null), setError);
  const members = chat.members.edges.map((e) => e.node);

  async function doLeave() {
    try {
      await leave({
        variables: { input: { chatId: chat.id } },
        update: (cache) => { showChat(null); dropChat(cache, chat); },
      });
    } catch (err) { setError(err); }
  }
  return (
    <div className="details card" id="details">
      <Rename chat={chat} onError={setError} />
      <h3>Members</h3>
      <ul className="list members" id="members">
        {members.map((u) => (
          <li key={u.id} className="row">
            <span className="grow"><OnlineDot user={u} /> {u.displayName}{u.id === chat.owner.id && <span className="muted"> · owner</span>}{u.id === viewer.id && <span className="muted"> · you</span>}</span>
            {owner && u.id !== viewer.id && (
              <button type="button" className="danger" aria-label={`Remove ${u.displayName}`}
                onClick={() => run(remove({ variables: { input: { chatId: chat.id, userId: u.id } } }))}>Remove</button>
            )}
          </li>
        ))}
      </ul>
      <Invite chat={chat} members={members} onError={setError} />
      {error && <p className="error" role="alert">{errorText(error)}</p>}
      <button type="button" id="leave" className="danger" onClick={doLeave}>Leave group</button>
    </div>
  );
}

function Rename({ chat, onError }) {
  const [name, setName] = useState(chat.name);
  const [rename, { loading }] = useMutation(RENAME);
  const submit = (e) => {
    e.preventDefault();
    rename({ variables: { input: { chatId: chat.id, name } } }).then(() => onError(null), onError);
  };
  return (
    <form className="row" onSubmit={submit}>
      <label className="grow">Group name <input id="rename" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} /></label>
      <button disabled={loading || name === chat.name}>Rename</button>
    </form>
  );
}

function Invite({ chat, members, onError }) {
  const { data } = useQuery(FRIENDS);
  const [picked, setPicked] = useState([]);
  const [invite, { loading }] = useMutation(INVITE);
  const inGroup = new Set(members.map((u) => u.id));
  const candidates = (data?.viewer?.friends.edges.map((e) => e.node) ?? []).filter((f) => !inGroup.has(f.id));
  if (candidates.length === 0) return null;
  const toggle = (id) => setPicked(picked.includes(id) ? picked.filter((p) => p !== id) : [...picked, id]);
  const submit = (e) => {
    e.preventDefault();
    invite({ variables: { input: { chatId: chat.id, userIds: picked } } }).then(() => { setPicked([]); onError(null); }, onError);
  };
  return (
    <form id="invite" onSubmit={submit}>
      <fieldset>
        <legend>Invite friends</legend>
        {candidates.map((f) => (
          <label key={f.id} className="check">
            <input type="checkbox" checked={picked.includes(f.id)} onChange={() => toggle(f.id)} /> {f.displayName}
          </label>
        ))}
      </fieldset>
      <button disabled={loading || picked.length === 0}>Invite</button>
    </form>
  );
}
