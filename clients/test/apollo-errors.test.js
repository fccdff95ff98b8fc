// Request errors reach Apollo Client as graphQLErrors, with their code and
// reason, rather than as a network error: the server answers them 200 under
// application/json, as the GraphQL over HTTP spec says (it used to answer 422).
'use strict';

const assert = require('node:assert/strict');
const { after, describe, it } = require('node:test');
const { gql } = require('@apollo/client/core');

const { apolloClient } = require('./apollo');
const { password, uniqueName } = require('./support');

describe('Apollo Client gets request errors as graphQLErrors', () => {
  const client = apolloClient();
  after(() => client.close());

  async function refused(operation) {
    const err = await (operation.mutation ? client.mutate(operation) : client.query(operation)).then(
      (r) => assert.fail(`not refused: ${JSON.stringify(r)}`),
      (e) => e,
    );
    assert.equal(err.networkError, null, `network error: ${err.networkError}`);
    assert.equal(err.graphQLErrors.length, 1, JSON.stringify(err.graphQLErrors));
    return err.graphQLErrors[0];
  }

  it('a document that does not validate', async () => {
    const e = await refused({ query: gql`query Nope { nope }` });
    assert.equal(e.extensions.code, 'BAD_USER_INPUT');
    assert.equal(e.extensions.reason, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('a variable that does not fit its type', async () => {
    const e = await refused({ query: gql`query Node($id: ID!) { node(id: $id) { id } }`, variables: { id: null } });
    assert.equal(e.extensions.reason, 'GRAPHQL_VALIDATION_FAILED');
  });

  it('a string cut in the middle of a surrogate pair, which JSON.stringify escapes as \\ud83d', async () => {
    const cut = 'smile 😀'.slice(0, -1);
    const e = await refused({
      mutation: gql`mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token } }`,
      variables: { input: { username: uniqueName('cut'), displayName: cut, password } },
    });
    assert.equal(e.extensions.code, 'BAD_USER_INPUT');
    assert.equal(e.extensions.reason, 'INVALID_UTF8');
    assert.match(e.message, /variables\.input\.displayName/);
  });
});
