// The open chat lives in the URL's hash (#/chat/<id>), so that a reload
// or the browser's back button keeps or restores it.
import { makeVar } from '@apollo/client';

function parse() {
  const m = /^#\/chat\/([A-Za-z0-9_=+\-/]+)$/.exec(location.hash);
  return { chatId: m ? decodeURIComponent(m[1]) : null };
}

export const route = makeVar(parse());
addEventListener('hashchange', () => route(parse()));

// showChat opens a chat (or with null, the list alone).
export function showChat(chatId) {
  location.hash = chatId ? `#/chat/${encodeURIComponent(chatId)}` : '#/';
}
