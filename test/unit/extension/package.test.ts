/**
 * Packaging smoke test: the built bundle loads outside VS Code (with a stub `vscode`),
 * activates in under 100 ms, registers exactly the commands and views package.json
 * contributes, stays under 1.5 MB, and the .vsix file list holds no sources, tests or
 * node_modules. Needs `npm run build` first (npm test does it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { createVscodeStub, installVscodeStub, type StubRecord } from './vscodeStub';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE = path.join(ROOT, 'dist', 'extension.js');
const MAX_BYTES = 1.5 * 1024 * 1024;
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
};

interface ExtensionModule {
  activate(ctx: unknown): unknown;
  deactivate?(): unknown;
}

let home = '';
let record: StubRecord;
let context: Record<string, unknown>;
let ext: ExtensionModule;
let loadMs = 0;
let activateMs = 0;
let uninstall: () => void = () => undefined;

before(() => {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run npm run build`);
  home = mkdtempSync(path.join(tmpdir(), 'ferry-pkg-'));
  const stub = createVscodeStub({ 'ferry.home': home });
  record = stub.record;
  context = stub.context;
  uninstall = installVscodeStub(stub.vscode);
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ext = require(BUNDLE) as ExtensionModule;
  loadMs = performance.now() - t0;
  const t1 = performance.now();
  ext.activate(context);
  activateMs = performance.now() - t1;
});

after(async () => {
  await ext?.deactivate?.();
  for (const d of (context?.subscriptions as { dispose(): unknown }[] | undefined) ?? []) d.dispose();
  uninstall();
  rmSync(home, { recursive: true, force: true });
});

test('package.json points at the bundle', () => {
  assert.equal(path.resolve(ROOT, pkg.main), BUNDLE);
});

test('activate() takes under 100 ms (measured around the call, bundle already loaded)', () => {
  process.stderr.write(`extension bundle: require ${loadMs.toFixed(1)} ms, activate ${activateMs.toFixed(1)} ms\n`);
  assert.ok(activateMs < 100, `activate took ${activateMs.toFixed(1)} ms`);
});

test('activation registers exactly the contributed commands, and the views', () => {
  const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
  const registered = new Set(record.commands.keys());
  assert.deepEqual([...contributed].filter((c) => !registered.has(c)), [], 'contributed but not registered');
  assert.deepEqual([...registered].filter((c) => !contributed.has(c)), [], 'registered but not contributed');
  const views = Object.values(pkg.contributes.views).flatMap((vs) => vs.map((v) => v.id));
  assert.deepEqual([...record.treeViews].sort(), [...views].sort());
  assert.deepEqual(record.outputChannels, ['Ferry']);
  assert.equal(record.statusBarItems, 1);
});

test('dist/extension.js is under 1.5 MB, and so is the minified bundle `npm run package` ships', async () => {
  const size = statSync(BUNDLE).size;
  assert.ok(size < MAX_BYTES, `dist/extension.js is ${(size / 1024 / 1024).toFixed(2)} MB`);
  const r = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src', 'extension', 'extension.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    write: false,
    outfile: 'extension.js',
    logLevel: 'silent',
    define: { FERRY_VERSION: '"0.0.0"' },
    external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
  });
  const minified = r.outputFiles[0]?.contents.length ?? Infinity;
  process.stderr.write(`extension bundle: ${(size / 1024).toFixed(0)} KiB as built, ${(minified / 1024).toFixed(0)} KiB minified\n`);
  assert.ok(minified < MAX_BYTES, `minified bundle is ${minified} bytes`);
});

test('the .vsix file list holds the bundle, media and schema, and no sources, tests or node_modules', () => {
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const files = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const must of ['package.json', 'dist/extension.js', 'media/ferry.svg', 'media/icon.png', 'schemas/ferry.schema.json']) assert.ok(files.includes(must), `${must} is not packaged`);
  const bad = files.filter((f) => /^(src|test|scripts|bench|examples|node_modules)\//.test(f) || /(^|\/)node_modules\//.test(f) || (/\.tsx?$/.test(f) && !f.endsWith('.d.ts')) || f.startsWith('.'));
  assert.deepEqual(bad, [], 'files that do not belong in the .vsix');
});
