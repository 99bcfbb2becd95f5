import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostKeyPrompt } from '../../../src/core/remote/connection';
import type { ResolvedHost } from '../../../src/core/remote/sshConfig';
import { hostKeyConfirmer, hostKeyPromptText } from '../../../src/extension/ssh/hostKeyPrompt';
import { hostEntryForJob, remoteFolder, sshReachForJob } from '../../../src/extension/ssh/managedSshConfig';
import { attempt, job } from './fixtures/records';

const PROMPT: HostKeyPrompt = { alias: 'gpu-box', host: '[10.0.0.5]:2222', keyType: 'ssh-ed25519', fingerprint: 'SHA256:abcDEF123+/x', knownHostsPath: '/home/u/.ssh/known_hosts' };

test('the host-key modal names the host, the key type and the SHA256 fingerprint, and where the key goes', () => {
  const { message, detail } = hostKeyPromptText(PROMPT);
  assert.match(message, /gpu-box \(\[10\.0\.0\.5\]:2222\)/);
  assert.match(detail, /ssh-ed25519 key fingerprint is SHA256:abcDEF123\+\/x\./);
  assert.match(detail, /\/home\/u\/\.ssh\/known_hosts/);
  assert.equal(hostKeyPromptText({ ...PROMPT, alias: '10.0.0.5', host: '10.0.0.5' }).message, "Ferry: the authenticity of host 10.0.0.5 can't be established.");
});

test('one modal per host at a time; a dismissed modal is a refusal, and the next connection asks again', async () => {
  let shown = 0;
  let answer: (v: boolean) => void = () => undefined;
  const confirm = hostKeyConfirmer(
    () =>
      new Promise<boolean>((r) => {
        shown++;
        answer = r;
      }),
  );
  const a = confirm(PROMPT);
  const b = confirm(PROMPT);
  assert.equal(shown, 1, 'two connections to the same new host share one modal');
  answer(false);
  assert.deepEqual(await Promise.all([a, b]), [false, false]);
  const c = confirm(PROMPT);
  assert.equal(shown, 2, 'asked again after the first answer');
  answer(true);
  assert.equal(await c, true);
  const other = confirm({ ...PROMPT, fingerprint: 'SHA256:other' });
  assert.equal(shown, 3, 'a different key is its own question');
  answer(false);
  assert.equal(await other, false);
});

const SSH_HANDLE = { kind: 'ssh', alias: 'gpu-box', run: '.ferry/runs/j1-1', runAbs: '/home/me/.ferry/runs/j1-1', pid: 4242, group: true };
const CLOUD_HANDLE = {
  kind: 'cloud',
  provider: 'vast',
  instanceId: 'i-77',
  host: '203.0.113.9',
  port: 40022,
  user: 'root',
  identityFile: '/home/u/.ferry/ssh/id_ed25519',
  sshAlias: 'ferry-vast-i-77',
  sshConfig: '/home/u/.ferry/ssh/ferry-vast-i-77.config',
  alias: 'ferry-vast-i-77',
  runAbs: '/root/.ferry/runs/j2-1',
  pid: 99,
  group: true,
};

test('an ssh job is reached by the alias its handle recorded, in its run folder', () => {
  const j = job({ target: 'ssh:gpu-box', attempts: [attempt({ target: 'ssh:gpu-box', handle: SSH_HANDLE })] });
  assert.deepEqual(sshReachForJob(j, () => false), { kind: 'alias', alias: 'gpu-box' });
  assert.equal(remoteFolder(j.attempts[0]), '/home/me/.ferry/runs/j1-1/work');
  const resolved = hostEntryForJob(j, (alias) => ({ alias, hostname: '10.0.0.5', port: 22, user: 'me', identityFiles: [], identityFilesExplicit: false, identitiesOnly: false }) as ResolvedHost);
  assert.deepEqual(resolved, { name: 'ferry-gpu-box', hostName: '10.0.0.5', port: 22, user: 'me' });
});

test('a cloud job is reached through the config the cloud target wrote, else an entry from host/port/user/identityFile', () => {
  const j = job({ target: 'vast', attempts: [attempt({ target: 'vast', handle: CLOUD_HANDLE })] });
  assert.deepEqual(sshReachForJob(j, (f) => f === CLOUD_HANDLE.sshConfig), { kind: 'config', configFile: CLOUD_HANDLE.sshConfig, alias: 'ferry-vast-i-77' });
  const gone = sshReachForJob(j, () => false);
  assert.equal(gone?.kind, 'entry');
  assert.deepEqual(gone?.kind === 'entry' ? { ...gone.entry, name: 'x' } : undefined, { name: 'x', hostName: '203.0.113.9', port: 40022, user: 'root', identityFile: '/home/u/.ferry/ssh/id_ed25519' });
  assert.equal(remoteFolder(j.attempts[0]), '/root/.ferry/runs/j2-1/work');
  assert.equal(sshReachForJob(job({ target: 'vast', attempts: [attempt({ target: 'vast' })] }), () => true), undefined, 'no instance yet');
  assert.equal(sshReachForJob(job(), () => true), undefined, 'a local job has no machine to ssh to');
});
