// The open chat lives in the URL's hash (#/chat/<id>), so that a reload
// or the browser's back button keeps or restores it.
import { makeVar } from '@apollo/client';

function parse() {
  const m = /^#\/chat\/([^/]+)$/.exec(location.hash);
  try {
    return { chatId: m ? decodeURIComponent(m[1]) : null };
  } catch { // a malformed escape: no chat
    return { chatId: null };
  }
}

export const route = makeVar(parse());
addEventListener('hashchange', () => route(parse()));

// showChat opens a chat (or with null, the list alone).
export function showChat(chatId) {
  location.hash = chatId ? `#/chat/${encodeURIComponent(chatId)}` : '#/';
}
