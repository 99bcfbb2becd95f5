/**
 * The offline real-VS-Code harness: code-server 4.100.3 (VS Code 1.100) from the npm registry,
 * installed once per machine by scripts/e2e-setup.mjs, with this extension installed from a
 * freshly packaged .vsix, driven by Debian's Chromium through playwright-core. Everything
 * listens on 127.0.0.1. A missing prerequisite FAILS with what to install, never skips.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CHROMIUM = process.env.FERRY_CHROMIUM || '/usr/bin/chromium';
/** Flags for Chromium as root on a closed network (node.md). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
/** Gitignored (.ferry-test/): screenshots, logs, the packaged .vsix, temp homes. */
export const OUTPUT = path.join(ROOT, '.ferry-test', 'e2e');

function fail(message: string): never {
  throw new Error(`e2e prerequisite missing: ${message}`);
}

/** Chromium and the built extension must be there; code-server is installed if it is not. */
export function checkPrerequisites(): { codeServer: string } {
  if (!existsSync(CHROMIUM)) fail(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set FERRY_CHROMIUM)`);
  if (!existsSync(path.join(ROOT, 'dist', 'extension.js')) || !existsSync(path.join(ROOT, 'dist', 'cli.js'))) {
    fail('dist/extension.js or dist/cli.js is missing: run `npm run build` first (npm test does)');
  }
  if (!process.versions.node.startsWith('20.')) fail(`code-server 4.100.3 needs Node 20, this is ${process.version}`);
  // Installs code-server into ~/.cache/ferry-e2e on first use (about a minute), then reuses it.
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'e2e-setup.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  if (r.status !== 0) fail('code-server could not be installed: see the [e2e-setup] lines above (needs the npm registry, libkrb5-dev and ripgrep: apt-get install -y libkrb5-dev ripgrep)');
  const codeServer = r.stdout.trim().split('\n').pop() ?? '';
  if (!existsSync(path.join(codeServer, 'out', 'node', 'entry.js'))) fail(`code-server is not complete at ${codeServer}; delete it and run node scripts/e2e-setup.mjs`);
  return { codeServer };
}

/** `vsce package` into the output folder: the .vsix a user would install. */
export function packageVsix(outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const vsix = path.join(outDir, 'ferry.vsix');
  rmSync(vsix, { force: true });
  const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '-o', vsix], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || !existsSync(vsix)) throw new Error(`vsce package failed:\n${r.stdout}\n${r.stderr}`);
  return vsix;
}

export function installVsix(codeServer: string, extensionsDir: string, userDataDir: string, vsix: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync(process.execPath, [path.join(codeServer, 'out', 'node', 'entry.js'), '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) throw new Error(`installing ${vsix} into code-server failed:\n${r.stdout}\n${r.stderr}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface CodeServer {
  url: string;
  child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export async function startCodeServer(o: { codeServer: string; port: number; userDataDir: string; extensionsDir: string; workspace: string; env: NodeJS.ProcessEnv }): Promise<CodeServer> {
  const args = [
    path.join(o.codeServer, 'out', 'node', 'entry.js'),
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--bind-addr',
    `127.0.0.1:${o.port}`,
    '--user-data-dir',
    o.userDataDir,
    '--extensions-dir',
    o.extensionsDir,
    o.workspace,
  ];
  // Its own process group: stop() ends code-server and its extension host together.
  const child = spawn(process.execPath, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${o.port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${out}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const pid = child.pid;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      return;
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
    try {
      process.kill(-pid, 'SIGKILL'); // the extension host lingers after its parent otherwise
    } catch {
      /* already gone */
    }
  };
  return { url, child, log: () => out, stop };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** User settings for the test profile: quiet workbench, DOM terminal (so its text is readable). */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const dir = path.join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.welcomePage.walkthroughs.openOnInstall': false,
        'security.workspace.trust.enabled': false,
        'extensions.ignoreRecommendations': true,
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'terminal.integrated.gpuAcceleration': 'off',
        'editor.accessibilitySupport': 'off',
        'workbench.colorTheme': 'Default Light Modern',
        ...settings,
      },
      null,
      2,
    ),
  );
}

/** Waits until the workbench is up (activity bar drawn). */
export async function openWorkbench(page: Page, url: string, folder: string): Promise<void> {
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
  // The extension's menus and views are known once its container shows in the activity bar.
  await activityTab(page, /^Ferry/).waitFor({ timeout: 60_000 });
}

export async function shot(page: Page, dir: string, name: string): Promise<string> {
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The activity bar entry of a view container (Ferry, Explorer). */
export function activityTab(page: Page, name: RegExp): Locator {
  return page.locator('.part.activitybar').getByRole('tab', { name });
}

/** Shows a view container (Ferry, Explorer) in the sidebar; clicking an active one would hide it. */
export async function showContainer(page: Page, name: RegExp): Promise<void> {
  const tab = activityTab(page, name);
  await tab.waitFor({ timeout: 20_000 });
  const cls = (await tab.getAttribute('class')) ?? '';
  const selected = /\bchecked\b/.test(cls) || (await tab.getAttribute('aria-expanded')) === 'true';
  const sidebarVisible = await page.locator('.part.sidebar').isVisible();
  if (!selected || !sidebarVisible) await tab.click();
}

/** A tree row whose accessible name matches (treeitems carry aria-labels). */
export function treeRow(scope: Page | Locator, name: RegExp): Locator {
  return scope.getByRole('treeitem', { name });
}

/** The pane (view) of the sidebar with this title. */
export function pane(page: Page, title: string): Locator {
  return page.locator('.part.sidebar .pane').filter({ has: page.locator(`.pane-header[aria-label^="${title}"]`) });
}

/**
 * Clicks a context-menu entry by its label. VS Code's menus ignore a click that lands before the
 * menu has settled, so hover first, click, and fall back to Enter on the focused entry.
 */
export async function clickMenuItem(page: Page, label: RegExp): Promise<void> {
  const item = page.getByRole('menuitem', { name: label }).first();
  await item.waitFor({ timeout: 10_000 });
  await item.hover();
  await page.waitForTimeout(200);
  await item.click();
  const menu = page.locator('.context-view.monaco-menu-container');
  const closed = await menu
    .waitFor({ state: 'hidden', timeout: 1500 })
    .then(() => true)
    .catch(() => false);
  if (!closed) {
    await item.hover();
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden', timeout: 5000 });
  }
}

/** Runs a command through the palette (F1), by its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input[type="text"]');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

export async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
