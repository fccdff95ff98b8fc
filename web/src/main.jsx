// The entry point: the login screen, or the chat app of the logged-in
// user, whose token is kept in sessionStorage (per tab, gone when it
// closes).
import React, { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApolloProvider } from '@apollo/client';

import { createApolloClient, resetLocalState } from './apollo';
import { Auth } from './Auth';
import { Chat } from './Chat';
import { showChat } from './route';
import './style.css';

const TOKEN_KEY = 'gqlchat:token';

function App() {
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY));
  const [client, setClient] = useState(null);
  const [notice, setNotice] = useState(null);
  const logOut = useCallback(() => {
    sessionStorage.removeItem(TOKEN_KEY);
    showChat(null); // the open chat was the user's, not the next one's
    setToken(null);
  }, []);
  // expired: the server no longer takes the token (revoked by a log-out
  // or a password change elsewhere, or expired).
  const expired = useCallback(() => {
    setNotice('Your session has ended. Please log in again.');
    logOut();
  }, [logOut]);
  useEffect(() => {
    if (!token) return undefined;
    const c = createApolloClient(token, expired);
    setClient(c);
    return () => {
      c.stop();
      c.ws.dispose();
      resetLocalState();
      setClient(null);
    };
  }, [token, expired]);

  if (!token) {
    return <Auth notice={notice} onToken={(t) => { sessionStorage.setItem(TOKEN_KEY, t); setNotice(null); setToken(t); }} />;
  }
  if (!client) return null;
  return (
    <ApolloProvider client={client}>
      <Chat onLogOut={logOut} onExpired={expired} />
    </ApolloProvider>
  );
}

createRoot(document.getElementById('root')).render(<App />);
