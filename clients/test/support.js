// Shared by the client tests: where the server is, unique users, and a way
// to wait for subscription events.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const httpURL = process.env.GQLCHAT_URL;
if (!httpURL) {
  throw new Error('GQLCHAT_URL is not set: run the tests with `npm test`, which starts a server');
}
const queryURL = `${httpURL}/query`;
const wsURL = queryURL.replace(/^http/, 'ws');

const password = 'a long enough passphrase';

// The test files share one database and run in parallel, so every username
// carries a random suffix.
function uniqueName(prefix) {
  return `${prefix}_${crypto.randomBytes(4).toString('hex')}`;
}

// Events collects what a subscription delivers so that a test can wait for
// the item it expects, in order, without missing any that came early.
class Events {
  constructor() {
    this.items = [];
    this.waiters = [];
    this.error = null;
  }

  push(item) {
    this.items.push(item);
    this.wake();
  }

  fail(err) {
    this.error = err;
    this.wake();
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  // next resolves with the first collected item matching predicate (and
  // removes it), waiting up to timeoutMs for it to arrive.
  async next(predicate = () => true, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.error) throw this.error;
      const i = this.items.findIndex(predicate);
      if (i >= 0) return this.items.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no matching subscription event within ${timeoutMs} ms; got ${JSON.stringify(this.items)}`);
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

// untilLive returns once a subscription is delivering: the protocols do not
// acknowledge a subscribe, so it posts probe messages (post(body)) until one
// of them arrives in events. Later tests then only look for their own bodies.
async function untilLive(events, post, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (let n = 1; Date.now() < deadline; n++) {
    const body = `probe ${n}`;
    await post(body);
    try {
      await events.next((m) => m.body === body, 300);
      return;
    } catch {
      // posted before the subscription was set up: try again
    }
  }
  assert.fail(`the subscription delivered nothing within ${timeoutMs} ms`);
}

module.exports = { httpURL, queryURL, wsURL, password, uniqueName, Events, untilLive };
