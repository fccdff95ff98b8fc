// Searching the messages of all the viewer's chats.
import React, { useState } from 'react';
import { useLazyQuery } from '@apollo/client';

import { SEARCH_MESSAGES } from './graphql';
import { showChat } from './route';
import { Time, chatTitle, errorText } from './text';

export function MessageSearch() {
  const [q, setQ] = useState('');
  const [search, { data, error, loading }] = useLazyQuery(SEARCH_MESSAGES, { fetchPolicy: 'network-only' });
  const hits = data?.searchMessages.edges.map((e) => e.node) ?? [];
  return (
    <section aria-labelledby="msearch-title">
      <h2 id="msearch-title">Search messages</h2>
      <form id="message-search" className="row" role="search" onSubmit={(e) => { e.preventDefault(); if (q.trim()) search({ variables: { q: q.trim() } }); }}>
        <label htmlFor="message-q" className="sr-only">Words to find</label>
        <input id="message-q" className="grow" placeholder="Words to find" value={q} onChange={(e) => setQ(e.target.value)} />
        <button disabled={loading}>Search</button>
      </form>
      {error && <p className="error" role="alert">{errorText(error)}</p>}
      {data && (
        <ul id="hits" className="list">
          {hits.map((m) => (
            <li key={m.id}>
              <button type="button" className="hit" onClick={() => showChat(m.chat.id)}>
                <span className="chat-line"><span className="chat-name">{chatTitle(m.chat)}</span><Time iso={m.createdAt} /></span>
                <span className="preview">{m.sender.displayName}: {m.body}</span>
              </button>
            </li>
          ))}
          {hits.length === 0 && <li className="none">No messages found</li>}
        </ul>
      )}
    </section>
  );
}
