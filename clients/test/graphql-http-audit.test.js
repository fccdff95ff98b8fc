// The GraphQL over HTTP spec's own audit (graphql-http's serverAudits):
// every MUST and every SHOULD it checks passes, the SHOULDs included, as
// the answers Apollo and Relay rely on (200 for request errors under
// application/json, no data under application/graphql-response+json).
'use strict';

const assert = require('node:assert/strict');
const { describe, it } = require('node:test');
const { serverAudits } = require('graphql-http');

const { queryURL } = require('./support');

describe('graphql-http audit', () => {
  for (const audit of serverAudits({ url: queryURL })) {
    it(audit.name, async () => {
      const result = await audit.fn();
      assert.equal(result.status, 'ok', `${result.status}: ${result.reason}`);
    });
  }
});
