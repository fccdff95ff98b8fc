// Showing user text safely: React escapes every string it renders, and
// links are made only of http(s) URLs, as elements, never as HTML.
import React from 'react';

const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

// Linkified renders text with its http(s) URLs as links that open in a
// new tab without giving it access to this one.
export function Linkified({ text }) {
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const url = m[0].replace(TRAILING, '');
    parts.push(text.slice(last, m.index));
    parts.push(
      <a key={m.index} href={url} target="_blank" rel="noopener noreferrer nofollow">{url}</a>,
    );
    last = m.index + url.length;
  }
  parts.push(text.slice(last));
  return <>{parts}</>;
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();

// shortTime is a message's time as shown next to it: the time of day
// today, the date before.
export function shortTime(iso) {
  const d = new Date(iso);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (sameDay(d, new Date())) return time;
  return `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })}, ${time}`;
}

// Time is a <time> element with the full date as its tooltip.
export function Time({ iso }) {
  return <time dateTime={iso} title={new Date(iso).toLocaleString()}>{shortTime(iso)}</time>;
}

// chatTitle is what a chat is called: a group's name, or the other user.
export function chatTitle(chat) {
  if (!chat) return '';
  return chat.__typename === 'GroupChat' ? chat.name : chat.otherUser?.displayName ?? '';
}

// errorText is an error's message for the user, from the server's first
// GraphQL error when there is one.
export function errorText(err) {
  const g = err?.graphQLErrors?.[0];
  if (g) return g.message;
  if (err?.networkError) return 'The server cannot be reached. Try again in a moment.';
  return err?.message ?? String(err);
}

// OnlineDot shows whether a user is online, for sight and for screen readers.
export function OnlineDot({ user }) {
  if (user?.online == null) return null;
  const label = user.online ? 'online' : 'offline';
  return <span className={`dot ${label}`} role="img" aria-label={label} title={label} />;
}
