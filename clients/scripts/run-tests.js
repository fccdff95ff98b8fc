// Runs the client tests against a real server: builds it, gives it a
// throwaway database, starts it on a free port, runs `node --test` on
// test/*.test.js (or the files given as arguments) with GQLCHAT_URL pointing at it, then stops it and drops the
// database, whatever happened.
//
// PGADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres) is the
// PostgreSQL where the database is created; `psql` must be on the PATH.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const clientsDir = path.resolve(__dirname, '..');
const repoDir = path.resolve(clientsDir, '..');
const adminURL = process.env.PGADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function log(msg) {
  console.log(`[clients] ${msg}`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

function psql(sql) {
  run('psql', ['--no-psqlrc', '-q', '-v', 'ON_ERROR_STOP=1', '-d', adminURL, '-c', sql]);
}

function databaseURL(name) {
  const u = new URL(adminURL);
  u.pathname = `/${name}`;
  return u.toString();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, server, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/healthz did not answer 200 within ${timeoutMs} ms`);
}

function stop(server) {
  if (!server || server.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    server.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.kill('SIGTERM');
  });
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gqlchat-clients-'));
  const dbName = `gqlchat_clients_${process.pid}_${Date.now()}`;
  const logFile = path.join(tmp, 'server.log');
  let server;
  let dbCreated = false;
  let status = 1;
  try {
    log('building the server');
    run('go', ['build', '-o', path.join(tmp, 'server'), '.'], { cwd: repoDir });

    log(`creating database ${dbName}`);
    psql(`CREATE DATABASE "${dbName}"`);
    dbCreated = true;

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const out = fs.openSync(logFile, 'w');
    server = spawn(path.join(tmp, 'server'), [], {
      cwd: tmp,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: databaseURL(dbName),
        EVENT_BUS: 'memory',
        RATE_LIMITS: 'off',
        LOG_LEVEL: 'warn',
      },
    });
    await waitHealthy(url, server, 60_000);
    log(`server up at ${url}`);

    // `npm test -- test/relay.test.js` runs only the files named.
    const tests = process.argv.length > 2 ? process.argv.slice(2) : fs.readdirSync(path.join(clientsDir, 'test'))
      .filter((f) => f.endsWith('.test.js'))
      .map((f) => path.join('test', f));
    const r = spawnSync(process.execPath, ['--test', ...tests], {
      cwd: clientsDir,
      stdio: 'inherit',
      env: { ...process.env, GQLCHAT_URL: url },
    });
    status = r.status ?? 1;
  } catch (err) {
    console.error(`[clients] ${err.message}`);
  } finally {
    await stop(server);
    const serverLog = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    if (status !== 0 && serverLog) console.error(`[clients] server log:\n${serverLog}`);
    if (dbCreated) {
      try {
        psql(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      } catch (err) {
        console.error(`[clients] could not drop ${dbName}: ${err.message}`);
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exitCode = status;
}

main();
