#!/usr/bin/env node
// Bundle the browser assets in webapp/assets/ into webapp/static/dist/.
//
//   npm run build         minified bundles + external source maps
//   npm run build:dev     same, not minified
//
// Outputs (all in webapp/static/dist/, which is git-ignored):
//   modeler.js  modeler.css       bpmn-js Modeler page       (#bpmn-canvas)
//   viewer.js   viewer.css        bpmn-js NavigatedViewer    (.bpmn-viewer)
//   dmn-modeler.js dmn-modeler.css  dmn-js Modeler            (#dmn-canvas)
//   fonts/*                       icon fonts referenced (relatively) by the CSS
//
// Everything third-party comes from node_modules (npm ci); nothing is copied
// into the repository.

import { rm, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcDir = path.join(root, 'webapp', 'assets');
const outdir = path.join(root, 'webapp', 'static', 'dist');

const dev = process.argv.includes('--dev');
const started = performance.now();

const common = {
  absWorkingDir: root,
  outdir,
  bundle: true,
  minify: !dev,
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
};

const jsEntries = {
  modeler: path.join(srcDir, 'modeler.js'),
  viewer: path.join(srcDir, 'viewer.js'),
  'dmn-modeler': path.join(srcDir, 'dmn-modeler.js'),
};

const cssEntries = {
  modeler: path.join(srcDir, 'modeler.css'),
  viewer: path.join(srcDir, 'viewer.css'),
  'dmn-modeler': path.join(srcDir, 'dmn-modeler.css'),
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const results = await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: jsEntries,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    define: {
      'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production'),
    },
  }),
  esbuild.build({
    ...common,
    entryPoints: cssEntries,
    // url(...) targets in the CSS (the bpmn/dmn icon fonts) are copied next
    // to the bundles; esbuild rewrites the URLs relative to the output file.
    loader: {
      '.eot': 'file',
      '.woff': 'file',
      '.woff2': 'file',
      '.ttf': 'file',
      '.svg': 'file',
    },
    assetNames: 'fonts/[name]-[hash]',
  }),
]);

const outputs = {};
for (const result of results) {
  Object.assign(outputs, result.metafile.outputs);
}

const rows = Object.entries(outputs)
  .map(([file, info]) => [path.relative(root, path.resolve(root, file)), info.bytes])
  .sort((a, b) => a[0].localeCompare(b[0]));
const width = Math.max(...rows.map(([file]) => file.length));
for (const [file, bytes] of rows) {
  console.log(`${file.padEnd(width)}  ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
}
console.log(
  `built ${rows.length} files in ${((performance.now() - started) / 1000).toFixed(2)}s` +
    (dev ? ' (dev, not minified)' : '')
);
