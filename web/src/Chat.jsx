// The app of a logged-in user: a sidebar (chats, friends, search) and the
// open chat. On a phone only one of the two shows at a time.
import React, { useEffect, useState } from 'react';
import { useApolloClient, useMutation, useQuery, useReactiveVar } from '@apollo/client';

import { connection } from './apollo';
import { CHATS, LOG_OUT, VIEWER } from './graphql';
import { startLive } from './live';
import { errorText } from './text';
import { route } from './route';
import { ChatList } from './ChatList';
import { ChatView } from './ChatView';
import { Friends } from './Friends';
import { MessageSearch } from './MessageSearch';

const TABS = [['chats', 'Chats'], ['friends', 'Friends'], ['search', 'Search']];

export function Chat({ onLogOut, onExpired }) {
  const client = useApolloClient();
  const { data, error, refetch } = useQuery(VIEWER);
  const viewer = data?.viewer;
  const [ready, setReady] = useState(false);
  const [tab, setTab] = useState('chats');
  const { chatId } = useReactiveVar(route);
  const live = useReactiveVar(connection);
  const [logOut] = useMutation(LOG_OUT);
  useUnreadTitle(ready);

  // The live streams start from a sync token taken before the lists are
  // queried (ready), so nothing that commits in between is missed.
  useEffect(() => {
    if (!viewer?.id) return undefined;
    let stop = () => {};
    let cancelled = false;
    startLive(client, viewer.id, onExpired).then((s) => {
      if (cancelled) s(); else { stop = s; setReady(true); }
    }, () => setReady(true));
    return () => { cancelled = true; stop(); };
  }, [client, viewer?.id, onExpired]);

  if (error && !viewer) {
    return (
      <div className="loading" role="alert">
        <p>{errorText(error)}</p>
        <button type="button" onClick={() => refetch().catch(() => {})}>Try again</button>
      </div>
    );
  }
  if (!viewer || !ready) return <p className="loading">Loading…</p>;
  const signOut = async () => {
    try { await logOut(); } catch { /* the token goes either way */ }
    onLogOut();
  };
  return (
    <div className={`app ${chatId ? 'has-chat' : ''}`}>
      <aside className="sidebar" aria-label="Chats and friends">
        <header className="me">
          <span className={`conn ${live}`} id="live" role="status" aria-label={`connection ${live}`}
            title={live === 'live' ? 'Connected' : 'Reconnecting…'} />
          <span className="me-name" title={`@${viewer.username}`}>{viewer.displayName}</span>
          <button type="button" className="link" onClick={signOut}>Log out</button>
        </header>
        {live === 'offline' && <p className="banner" role="status">Reconnecting… what you miss meanwhile will arrive.</p>}
        <nav className="tabs" role="tablist" aria-label="Sidebar">
          {TABS.map(([id, label]) => (
            <button key={id} type="button" role="tab" id={`tab-${id}`} aria-selected={tab === id}
              onClick={() => setTab(id)}>{label}</button>
          ))}
        </nav>
        <div className="panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
          {tab === 'chats' && <ChatList viewer={viewer} openId={chatId} />}
          {tab === 'friends' && <Friends viewer={viewer} onOpened={() => setTab('chats')} />}
          {tab === 'search' && <MessageSearch />}
        </div>
      </aside>
      <main className="main">
        {chatId
          ? <ChatView key={chatId} chatId={chatId} viewer={viewer} />
          : <div className="empty"><p>Pick a chat, or find friends to start one.</p></div>}
      </main>
    </div>
  );
}

// useUnreadTitle shows the number of unread messages in the tab's title.
function useUnreadTitle(ready) {
  const { data } = useQuery(CHATS, { skip: !ready });
  const unread = data?.chats.edges.reduce((n, e) => n + (e.node?.unreadCount ?? 0), 0) ?? 0;
  useEffect(() => {
    document.title = unread ? `(${unread}) gqlchat` : 'gqlchat';
  }, [unread]);
}
