// A Relay environment set up the way a web app would: fetch for queries and
// mutations, graphql-ws for subscriptions, and the Relay store. It runs
// the artifacts relay-compiler generated from relay/src.
'use strict';

const path = require('node:path');
const { createClient } = require('graphql-ws');
const { Environment, Network, Observable, RecordSource, Store, getSelector } = require('relay-runtime');
const WebSocket = require('ws');

const { queryURL, wsURL } = require('./support');

const artifacts = path.resolve(__dirname, '..', 'relay', '__generated__');

// artifact is what relay-compiler generated for the operation or fragment name.
function artifact(name) {
  return require(path.join(artifacts, `${name}.graphql.js`));
}

// relayEnvironment returns an environment acting as the user with token;
// requests() counts its HTTP requests, close() ends its WebSocket.
function relayEnvironment(token) {
  const authorization = `Bearer ${token}`;
  let requests = 0;
  const fetchFn = async (params, variables) => {
    requests++;
    const res = await fetch(queryURL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: params.text, variables }),
    });
    return res.json();
  };
  const ws = createClient({ url: wsURL, webSocketImpl: WebSocket, connectionParams: { authorization }, retryAttempts: 0 });
  const subscribeFn = (params, variables) => Observable.create((sink) =>
    ws.subscribe({ operationName: params.name, query: params.text, variables }, sink));
  const environment = new Environment({
    network: Network.create(fetchFn, subscribeFn),
    store: new Store(new RecordSource()),
  });
  return { environment, requests: () => requests, close: () => ws.dispose() };
}

// read returns what a component using the fragment name would render for
// ref (useFragment), failing if the store lacks any of it: Relay would then
// suspend and fetch it.
function read(environment, name, ref) {
  const snapshot = environment.lookup(getSelector(artifact(name), ref));
  if (snapshot.isMissingData) throw new Error(`the store lacks data of ${name}: ${JSON.stringify(snapshot.data)}`);
  return snapshot.data;
}

module.exports = { artifact, read, relayEnvironment };
