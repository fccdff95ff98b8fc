// Builds the client into ../demo/static (or the directory given as the
// first argument): index.html, app.js and app.css. The output depends on
// the sources and the locked packages alone (no timestamps, no hashes in
// names, esbuild is deterministic), so CI rebuilds it and compares.
import { build } from 'esbuild';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? join(here, '../demo/static'));

await mkdir(out, { recursive: true });
for (const f of await readdir(out)) await rm(join(out, f), { recursive: true });

await build({
  entryPoints: { app: join(here, 'src/main.jsx') }, // app.css: the CSS main.jsx imports
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  charset: 'utf8',
  legalComments: 'eof',
  define: { 'process.env.NODE_ENV': '"production"', 'globalThis.__DEV__': 'false' },
  logLevel: 'warning',
  absWorkingDir: here,
});
await copyFile(join(here, 'index.html'), join(out, 'index.html'));
