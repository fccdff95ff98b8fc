// Signing up and logging in, over plain fetch: there is no token yet for
// an Apollo Client to carry.
import React, { useState } from 'react';
import { print } from 'graphql';

import { LOG_IN, SIGN_UP } from './graphql';

async function request(doc, input) {
  const res = await fetch('/query', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ query: print(doc), variables: { input } }),
  });
  const body = await res.json();
  if (body.errors?.length) throw body.errors[0];
  return Object.values(body.data)[0].token;
}

export function Auth({ onToken, notice }) {
  const [mode, setMode] = useState(notice ? 'login' : 'signup');
  const [form, setForm] = useState({ username: '', displayName: '', password: '' });
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const signUp = mode === 'signup';
  const set = (field) => (e) => setForm({ ...form, [field]: e.target.value });

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { username, displayName, password } = form;
      onToken(signUp
        ? await request(SIGN_UP, { username, displayName, password })
        : await request(LOG_IN, { username, password }));
    } catch (err) {
      setError(err.message ? err : { message: 'The server cannot be reached.' });
      setBusy(false);
    }
  }

  const fieldError = (f) => error?.extensions?.field === f && <span className="field-error">{error.message}</span>;
  return (
    <main className="auth">
      <form id="auth" onSubmit={submit} aria-labelledby="auth-title">
        <h1 id="auth-title">gqlchat</h1>
        {notice && <p className="notice" role="status">{notice}</p>}
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={signUp} onClick={() => setMode('signup')}>Sign up</button>
          <button type="button" role="tab" aria-selected={!signUp} onClick={() => setMode('login')}>Log in</button>
        </div>
        <label>Username
          <input id="username" autoComplete="username" required value={form.username} onChange={set('username')} />
          {fieldError('username')}
        </label>
        {signUp && (
          <label>Display name
            <input id="display-name" autoComplete="name" required value={form.displayName} onChange={set('displayName')} />
            {fieldError('displayName')}
          </label>
        )}
        <label>Password
          <input id="password" type="password" autoComplete={signUp ? 'new-password' : 'current-password'} required
            value={form.password} onChange={set('password')} />
          {signUp && <span className="hint">At least 15 characters; a few unrelated words work well.</span>}
          {fieldError('password')}
        </label>
        {error && !error.extensions?.field && <p className="error" role="alert">{error.message}</p>}
        <button id="submit" className="primary" disabled={busy}>{signUp ? 'Create account' : 'Log in'}</button>
      </form>
    </main>
  );
}
