// Installs code-server 4.100.3 (real VS Code 1.100 on Node 20) into a cache folder outside the
// repository, once per machine, for the offline e2e suite (test/e2e). VS Code itself cannot be
// downloaded here, but code-server comes from the npm registry. npm blocks dependency install
// scripts by default, so every step runs with --ignore-scripts and the native modules are
// rebuilt by name afterwards (what code-server's own postinstall.sh would do).
//
//   node scripts/e2e-setup.mjs            install if missing, print the folder
//   FERRY_E2E_CACHE=/some/dir             where to install (default ~/.cache/ferry-e2e)
//
// Needs: Node 20, npm, python3, make, g++ and Debian's libkrb5-dev (kerberos), ripgrep (rg).
import { spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.100.3';

export function e2eCacheDir(env = process.env) {
  return env.FERRY_E2E_CACHE || join(env.HOME || homedir(), '.cache', 'ferry-e2e');
}

/** Where code-server lives once installed. */
export function codeServerDir(env = process.env) {
  return join(e2eCacheDir(env), `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server');
}

function stampFile(env) {
  return join(e2eCacheDir(env), `code-server-${CODE_SERVER_VERSION}`, '.ferry-setup-done');
}

export function codeServerReady(env = process.env) {
  return existsSync(stampFile(env));
}

function run(cmd, args, cwd, extraEnv = {}) {
  process.stderr.write(`[e2e-setup] ${cwd}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...extraEnv } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${r.status ?? r.signal})`);
}

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function setupCodeServer(env = process.env) {
  if (codeServerReady(env)) return codeServerDir(env);
  if (!process.versions.node.startsWith('20.')) throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20, this is ${process.version}`);
  const rg = which('rg');
  if (!rg) throw new Error('ripgrep is missing: apt-get install -y ripgrep (code-server needs rg for search)');
  if (!existsSync('/usr/include/krb5.h') && !existsSync('/usr/include/krb5/krb5.h')) {
    throw new Error('libkrb5-dev is missing: apt-get install -y libkrb5-dev (code-server rebuilds the kerberos module)');
  }
  const root = join(e2eCacheDir(env), `code-server-${CODE_SERVER_VERSION}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'ferry-e2e-code-server', private: true }));
  const quiet = ['--no-audit', '--no-fund', '--ignore-scripts'];
  run('npm', ['install', ...quiet, `code-server@${CODE_SERVER_VERSION}`], root);
  const cs = join(root, 'node_modules', 'code-server');
  const vscode = join(cs, 'lib', 'vscode');
  const yes = { npm_config_yes: 'true' };
  run('npm', ['install', ...quiet, '--omit=dev'], vscode);
  run('npm', ['rebuild', '@parcel/watcher', '@vscode/spdlog', 'kerberos', 'native-watchdog', 'node-pty', '@vscode/deviceid'], vscode, yes);
  const rgDest = join(vscode, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
  mkdirSync(join(rgDest, '..'), { recursive: true });
  copyFileSync(rg, rgDest);
  chmodSync(rgDest, 0o755);
  const asar = join(vscode, 'node_modules.asar');
  try {
    lstatSync(asar);
    rmSync(asar, { recursive: true, force: true });
  } catch {
    /* not there */
  }
  symlinkSync('node_modules', asar);
  run('npm', ['install', ...quiet, '--omit=dev'], cs);
  run('npm', ['rebuild', 'argon2'], cs, yes);
  writeFileSync(stampFile(env), `${new Date().toISOString()}\n`);
  return cs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const t0 = Date.now();
    const dir = setupCodeServer();
    process.stderr.write(`[e2e-setup] code-server ${CODE_SERVER_VERSION} ready in ${Math.round((Date.now() - t0) / 1000)} s\n`);
    process.stdout.write(`${dir}\n`);
  } catch (err) {
    process.stderr.write(`[e2e-setup] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
