import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseEndpointArg } from '../../../src/cli/commands/sync';
import { startSshd, type Sshd } from '../../helpers/sshd';
import { treeDigest, writeTree } from '../../helpers/trees';

let s: Sshd;
let tmp: string;

before(async () => {
  s = await startSshd();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-cli-sync-'));
});

after(async () => {
  await s?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

// Runs `ferry sync ...` in a child process, through the sync command's own registration (the
// same commander wiring main.ts uses).
function ferrySync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `
    const { Command } = require('commander');
    const { registerSync } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/cli/commands/sync.ts'))});
    const { exitState } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/cli/action.ts'))});
    const { reportError } = require(${JSON.stringify(path.resolve(__dirname, '../../../src/cli/io.ts'))});
    // As main.ts does: --accept-new-host-key is a global option the context carries.
    const p = new Command('ferry').option('--accept-new-host-key').exitOverride();
    registerSync(p, () => ({ acceptNewHostKeys: Boolean(p.opts().acceptNewHostKey) }));
    p.parseAsync(process.argv.slice(1), { from: 'user' }).then(() => { process.exitCode = exitState.code; }, (e) => { process.exitCode = reportError(e); });
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script, 'sync', ...args], {
      env: { ...process.env, FERRY_SSH_CONFIG: s.configPath, FERRY_KNOWN_HOSTS: s.knownHostsPath, SSH_AUTH_SOCK: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('endpoint arguments: ALIAS:path is remote, anything with a slash first is local', () => {
  assert.deepEqual(parseEndpointArg('gpu:data/x'), { alias: 'gpu', path: 'data/x' });
  assert.deepEqual(parseEndpointArg('gpu:'), { alias: 'gpu', path: '.' });
  assert.deepEqual(parseEndpointArg('./a:b'), { local: './a:b' });
  assert.deepEqual(parseEndpointArg('/abs/path'), { local: '/abs/path' });
});

test('ferry sync up and down with a --json summary; exit codes for bad input and unknown hosts', async () => {
  const src = path.join(tmp, 'src');
  const remote = path.join(tmp, 'remote');
  const back = path.join(tmp, 'back');
  await writeTree(src, { 'a.txt': 'a', 'ünï dir/b c.txt': 'b' });
  const up = await ferrySync([src, `${s.alias}:${remote}`, '--json']);
  assert.equal(up.code, 0, up.stderr);
  const summary = JSON.parse(up.stdout) as { direction: string; transferred: { files: number } };
  assert.equal(summary.direction, 'upload');
  assert.equal(summary.transferred.files, 2);
  const down = await ferrySync([`${s.alias}:${remote}`, back]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(down.stdout, '');
  assert.match(down.stderr, /synced testbox:.* -> .*back: 2 files/);
  assert.deepEqual(await treeDigest(back), await treeDigest(src));
  const bad = await ferrySync([src, back]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /one local path and one ALIAS:path/);
  const unknown = await ferrySync([src, `${s.alias}:${remote}`], { FERRY_KNOWN_HOSTS: path.join(tmp, 'empty_known_hosts') });
  assert.equal(unknown.code, 3);
  assert.match(unknown.stderr, /host key of testbox .* is unknown/);
  assert.match(unknown.stderr, /hint: accept it with --accept-new-host-key/);
  const accepted = await ferrySync([src, `${s.alias}:${remote}`, '--accept-new-host-key'], { FERRY_KNOWN_HOSTS: path.join(tmp, 'empty_known_hosts') });
  assert.equal(accepted.code, 0, accepted.stderr);
  assert.match(accepted.stderr, /up to date/);
});
