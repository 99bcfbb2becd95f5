import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SshConnection, type HostKeyPrompt } from '../../../src/core/remote/connection';
import { fingerprint } from '../../../src/core/remote/knownHosts';
import { SshPool } from '../../../src/core/remote/pool';
import { RemoteFs } from '../../../src/core/remote/sftp';
import { resolveHost } from '../../../src/core/remote/sshConfig';
import { CancelledError, InfraError } from '../../../src/core/util/errors';
import { shJoin } from '../../../src/core/util/quote';
import { freePort, hashKnownHosts, processes, startAgent, startSshd, type Sshd } from '../../helpers/sshd';

let a: Sshd;
let b: Sshd;
let tmp: string;

before(async () => {
  [a, b] = await Promise.all([startSshd(), startSshd({ alias: 'inner' })]);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-conn-'));
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  rmSync(tmp, { recursive: true, force: true });
});

function connect(s: Sshd, extra: Partial<ConstructorParameters<typeof SshConnection>[1]> = {}, alias = s.alias, configPath = s.configPath): SshConnection {
  return new SshConnection(resolveHost(alias, { configPath }), { knownHostsPath: s.knownHostsPath, agentSocket: null, ...extra });
}

function pubOf(s: Sshd): Buffer {
  return Buffer.from(s.hostKeyPub.split(' ')[1] ?? '', 'base64');
}

test('connects through an ssh config alias and runs commands', async () => {
  const c = connect(a);
  try {
    const r = await c.exec('echo out; echo err >&2; exit 7');
    assert.equal(r.code, 7);
    assert.equal(r.stdout.toString(), 'out\n');
    assert.equal(r.stderr.toString(), 'err\n');
    const r2 = await c.exec('cat', { stdin: 'piped\n' });
    assert.equal(r2.stdout.toString(), 'piped\n');
    assert.equal(await c.run('echo $((6*7))'), '42\n');
    await assert.rejects(c.run('echo nope >&2; exit 3', { what: 'the probe' }), (e: unknown) => e instanceof InfraError && /the probe failed on testbox \(exit 3\): nope/.test(e.message));
  } finally {
    c.close();
  }
});

test('quoted words reach the remote program unchanged over a real ssh exec', async () => {
  const c = connect(a);
  try {
    const words = ["it's", '$(id)', '`id`', 'a\nb', 'tab\there', 'ünï 日本 🚀', '"dq"', '\\', '*', '', '-n', '%s'];
    const r = await c.exec(`printf '%s\\0' ${shJoin(words)}`);
    const got = r.stdout.toString('utf8').split('\0');
    got.pop();
    assert.deepEqual(got, words);
  } finally {
    c.close();
  }
});

test('one pooled connection is shared; channels run concurrently', async () => {
  const pool = new SshPool({ configPath: a.configPath, knownHostsPath: a.knownHostsPath, agentSocket: null });
  try {
    const c1 = pool.get('testbox');
    const c2 = pool.get('testbox');
    assert.equal(c1, c2);
    const outs = await Promise.all(Array.from({ length: 12 }, (_v, i) => c1.run(`echo ${i}`)));
    assert.deepEqual(
      outs.map((o) => o.trim()),
      Array.from({ length: 12 }, (_v, i) => String(i)),
    );
    assert.equal(c1.generation, 1);
  } finally {
    pool.closeAll();
  }
});

test('reconnects after the link drops; sftp works again', async () => {
  const c = connect(a);
  try {
    const fs = new RemoteFs(c);
    assert.ok(await fs.lstat('/'));
    assert.ok((await a.killConnections()) >= 1);
    await new Promise((r) => setTimeout(r, 200));
    const st = await c.retrying(() => fs.lstat('/'));
    assert.equal(st?.type, 'dir');
    assert.equal(c.generation, 2);
    assert.equal(await c.run('echo back'), 'back\n');
  } finally {
    c.close();
  }
});

test('every operation takes an AbortSignal', async () => {
  const c = connect(a);
  try {
    const ac = new AbortController();
    const p = c.exec('sleep 30', { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    const t = Date.now();
    await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
    assert.ok(Date.now() - t < 5000);
    await assert.rejects(c.exec('true', { signal: AbortSignal.abort() }), (e: unknown) => e instanceof CancelledError);
  } finally {
    c.close();
  }
});

test('ProxyJump: reaches a host through a jump host', async () => {
  const cfg = path.join(tmp, 'jump_config');
  writeFileSync(cfg, `${a.configBlock('jumpbox')}\n${b.configBlock('inner', ['ProxyJump jumpbox'])}`);
  const h = resolveHost('inner', { configPath: cfg });
  assert.equal(h.jump?.alias, 'jumpbox');
  assert.equal(h.jump?.port, a.port);
  const kh = path.join(tmp, 'kh_jump');
  writeFileSync(kh, readFileSync(a.knownHostsPath, 'utf8') + readFileSync(b.knownHostsPath, 'utf8'));
  const c = new SshConnection(h, { knownHostsPath: kh, agentSocket: null });
  try {
    // The inner sshd sees the connection coming from the jump host (loopback either way),
    // so check that a session exists on both servers while it is up.
    assert.equal(await c.run('echo via-jump'), 'via-jump\n');
    assert.ok(processes().some((p) => p.ppid === a.pid()), 'the jump host carries a session');
  } finally {
    c.close();
  }
});

test('encrypted key: the passphrase callback is asked once and the key works', async () => {
  const cfg = path.join(tmp, 'enc_config');
  writeFileSync(cfg, a.configBlock('enc').replace(a.keyPath, a.encryptedKeyPath));
  const asked: string[] = [];
  const c = connect(a, { passphrase: async (f) => (asked.push(f), a.passphrase) }, 'enc', cfg);
  try {
    assert.equal(await c.run('echo ok'), 'ok\n');
    assert.deepEqual(asked, [a.encryptedKeyPath]);
  } finally {
    c.close();
  }
  // Wrong passphrase: a clear InfraError, not a hang. (A copy: parsed keys are cached per path.)
  const copy = `${a.encryptedKeyPath}-copy`;
  writeFileSync(copy, readFileSync(a.encryptedKeyPath));
  const c2 = new SshConnection({ ...resolveHost('testbox', { configPath: a.configPath }), identityFiles: [copy] }, { knownHostsPath: a.knownHostsPath, agentSocket: null, passphrase: async () => 'wrong' });
  try {
    await assert.rejects(c2.connect(), (e: unknown) => e instanceof InfraError && /cannot decrypt .*-copy: wrong passphrase/.test(e.message));
  } finally {
    c2.close();
  }
});

test('ssh-agent: authenticates with a key held by the agent', async (t) => {
  const agent = await startAgent();
  if (!agent) {
    t.skip('no ssh-agent binary on this machine (install openssh-client)');
    return;
  }
  try {
    agent.add(a.keyPath);
    // No identity file at all: only the agent can get us in.
    const h = { ...resolveHost('testbox', { configPath: a.configPath }), identityFiles: [], identitiesOnly: false };
    const c = new SshConnection(h, { knownHostsPath: a.knownHostsPath, agentSocket: agent.sock });
    try {
      assert.equal(await c.run('echo agent'), 'agent\n');
    } finally {
      c.close();
    }
  } finally {
    agent.stop();
  }
});

test('auth failure is an InfraError with a hint', async () => {
  // b's key is not in a's authorized_keys.
  const h = { ...resolveHost('testbox', { configPath: a.configPath }), identityFiles: [b.keyPath] };
  const c = new SshConnection(h, { knownHostsPath: a.knownHostsPath, agentSocket: null });
  try {
    await assert.rejects(c.connect(), (e: unknown) => e instanceof InfraError && /authentication to root@127\.0\.0\.1:\d+ failed/.test(e.message) && e.exitCode === 3 && /ssh-add|IdentityFile/.test(e.hint ?? ''));
  } finally {
    c.close();
  }
});

test('unreachable host is an InfraError with a hint', async () => {
  const port = await freePort();
  const c = new SshConnection({ alias: 'nowhere', hostname: '127.0.0.1', port, user: 'root', identityFiles: [a.keyPath], identityFilesExplicit: true, identitiesOnly: true }, { knownHostsPath: a.knownHostsPath, agentSocket: null });
  try {
    await assert.rejects(c.connect(), (e: unknown) => e instanceof InfraError && /cannot reach root@127\.0\.0\.1:\d+: ECONNREFUSED/.test(e.message) && /sshd listening/.test(e.hint ?? ''));
  } finally {
    c.close();
  }
});

test('unknown host key: refused without a callback, refused when declined, appended when confirmed', async () => {
  const kh = path.join(tmp, 'kh_unknown');
  writeFileSync(kh, '');
  const noCb = connect(a, { knownHostsPath: kh });
  await assert.rejects(noCb.connect(), (e: unknown) => e instanceof InfraError && /host key of testbox .* is unknown/.test(e.message) && /--accept-new-host-key/.test(e.hint ?? ''));
  noCb.close();

  const prompts: HostKeyPrompt[] = [];
  const declined = connect(a, { knownHostsPath: kh, confirmHostKey: async (p) => (prompts.push(p), false) });
  await assert.rejects(declined.connect(), (e: unknown) => e instanceof InfraError && /was not accepted/.test(e.message));
  declined.close();
  assert.equal(readFileSync(kh, 'utf8'), '');
  assert.equal(prompts[0]?.fingerprint, fingerprint(pubOf(a)));
  assert.equal(prompts[0]?.host, `[127.0.0.1]:${a.port}`);

  const accepted = connect(a, { knownHostsPath: kh, confirmHostKey: async () => true });
  assert.equal(await accepted.run('echo in'), 'in\n');
  accepted.close();
  assert.equal(readFileSync(kh, 'utf8'), `[127.0.0.1]:${a.port} ${a.hostKeyPub.split(' ').slice(0, 2).join(' ')}\n`);
  // Now known: no prompt, and the system ssh agrees with what we wrote.
  let asked = false;
  const again = connect(a, { knownHostsPath: kh, confirmHostKey: async () => (asked = true) });
  await again.connect();
  again.close();
  assert.equal(asked, false);
  const sys = spawnSync('ssh', ['-F', a.configPath, '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'testbox', 'true']);
  assert.equal(sys.status, 0, sys.stderr.toString());
});

test('hashed known_hosts entries (ssh-keygen -H) are matched', async () => {
  const kh = path.join(tmp, 'kh_hashed');
  writeFileSync(kh, readFileSync(a.knownHostsPath));
  hashKnownHosts(kh);
  assert.match(readFileSync(kh, 'utf8'), /^\|1\|/);
  const c = connect(a, { knownHostsPath: kh });
  try {
    assert.equal(await c.run('echo hashed'), 'hashed\n');
  } finally {
    c.close();
  }
});

test('changed host key: refused, naming the host, both fingerprints and the line to fix', async () => {
  const s = await startSshd({ alias: 'rotating' });
  try {
    const kh = path.join(tmp, 'kh_changed');
    writeFileSync(kh, `# a comment\nother.example ssh-ed25519 ${pubOf(a).toString('base64')}\n${readFileSync(s.knownHostsPath, 'utf8')}`);
    const oldFp = fingerprint(pubOf(s));
    await s.rotateHostKey();
    const newFp = fingerprint(pubOf(s));
    assert.notEqual(oldFp, newFp);
    let asked = false;
    const c = connect(s, { knownHostsPath: kh, confirmHostKey: async () => (asked = true) });
    try {
      await assert.rejects(c.connect(), (e: unknown) => {
        assert.ok(e instanceof InfraError);
        assert.equal(
          e.message,
          `host key for rotating ([127.0.0.1]:${s.port}) has changed: the server offered ssh-ed25519 ${newFp}, but ${kh}:3 has ssh-ed25519 ${oldFp}. ` +
            'Someone could be intercepting the connection, or the host was reinstalled; refusing to connect.',
        );
        assert.equal(e.hint, `if the change is expected, remove line 3 of ${kh} (ssh-keygen -R '[127.0.0.1]:${s.port}' -f '${kh}') and connect again`);
        assert.equal(e.exitCode, 3);
        return true;
      });
      assert.equal(asked, false, 'a changed key is never offered for confirmation');
    } finally {
      c.close();
    }
  } finally {
    await s.stop();
  }
});
