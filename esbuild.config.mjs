// Bundles the extension host entry, the CLI and the dashboard webview. `--production` minifies; `--watch` rebuilds.
import * as esbuild from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: { FERRY_VERSION: JSON.stringify(pkg.version) },
  // ssh2 optionally loads native crypto bindings; they are not needed (pure JS fallback).
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
};

const builds = [
  // The extension bundle is always minified (names kept for stack traces): it is what VS Code
  // loads at activation, and the size budget (1.5 MB) holds for every build, not only releases.
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: [...common.external, 'vscode'], minify: true, keepNames: true },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The AWS SDK, on its own: src/core/s3/load.ts requires it from beside the bundle on first S3 use,
  // so dist/extension.js and dist/cli.js stay lean (DESIGN.md performance targets).
  { ...common, entryPoints: ['src/core/s3/impl.ts'], outfile: 'dist/s3.js' },
  // The Cost & Checkpoints dashboard's browser code: its own bundle, no Node, no vscode
  // (STYLE.md habit 17). CSS imported by the entry lands beside it as dashboard.css.
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome120'],
    // Inline in development: media/** is packaged whole, so a stray .map file would ship.
    sourcemap: production ? false : 'inline',
    minify: production,
    logLevel: 'warning',
    entryPoints: ['src/webview/main.ts'],
    outfile: 'media/dist/dashboard.js',
  },
];

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
