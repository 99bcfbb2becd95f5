/**
 * Ferry inside real VS Code, as a user drives it: code-server 4.100.3 (VS Code 1.100) with the
 * packaged .vsix installed, in headless Chromium. Screenshots of each step land in
 * .ferry-test/e2e/screenshots/ (gitignored); look at them when something changes in the UI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_FAKE_KEY, startFakeLambda, startFakeVast, type FakeServer } from '../fakes/providers';
import { startSshd, type Sshd } from '../helpers/sshd';
import {
  OUTPUT,
  ROOT,
  checkPrerequisites,
  clickMenuItem,
  freePort,
  installVsix,
  launchBrowser,
  openWorkbench,
  packageVsix,
  runCommand,
  shot,
  showContainer,
  startCodeServer,
  treeRow,
  waitUntil,
  writeUserSettings,
  type CodeServer,
} from './harness';

const SHOTS = path.join(OUTPUT, 'screenshots');
let tmp = '';
let home = '';
let sshConfig = '';
let knownHosts = '';
let sshd: Sshd | undefined;
let workspace = '';
let server: CodeServer | undefined;
let browser: Browser | undefined;
const fakes: FakeServer<unknown>[] = [];
let page: Page;
const t0 = Date.now();

function jobsOnDisk(): { name: string; state: string; checkpoints: unknown[]; target: string }[] {
  const dir = path.join(home, 'jobs');
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      return [JSON.parse(readFileSync(path.join(dir, n, 'job.json'), 'utf8')) as { name: string; state: string; checkpoints: unknown[]; target: string }];
    } catch {
      return [];
    }
  });
}

async function showFerry(): Promise<void> {
  await showContainer(page, /^Ferry/);
  await page.locator('.part.sidebar .pane-header[aria-label^="Jobs"]').waitFor({ timeout: 20_000 });
}

async function showExplorerFile(file: string): Promise<void> {
  await showContainer(page, /^Explorer/);
  const explorer = page.locator('.part.sidebar .explorer-folders-view');
  await explorer.waitFor({ timeout: 20_000 });
  const folder = treeRow(explorer, /^quickstart$/);
  await folder.waitFor({ timeout: 20_000 });
  if ((await folder.getAttribute('aria-expanded')) !== 'true') await folder.click();
  const row = treeRow(explorer, new RegExp(`^${file.replace('.', '\\.')}$`));
  await row.waitFor({ timeout: 10_000 });
  // Select it first: the Explorer's resource context keys follow the selection.
  await row.click();
  await page.waitForTimeout(300);
}

before(async () => {
  const { codeServer } = checkPrerequisites();
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  tmp = mkdtempSync(path.join(tmpdir(), 'ferry-e2e-'));
  home = path.join(tmp, 'ferry-home');
  workspace = path.join(tmp, 'ws');
  cpSync(path.join(ROOT, 'examples', 'quickstart'), path.join(workspace, 'quickstart'), { recursive: true });
  const vast = await startFakeVast();
  const lambda = await startFakeLambda();
  fakes.push(vast, lambda);
  const userDataDir = path.join(tmp, 'user-data');
  const extensionsDir = path.join(tmp, 'extensions');
  sshConfig = path.join(tmp, 'ssh_config');
  writeFileSync(sshConfig, '');
  // An empty known_hosts: the SSH run below has to ask about the host key.
  knownHosts = path.join(tmp, 'known_hosts');
  writeFileSync(knownHosts, '');
  writeUserSettings(userDataDir, {
    'ferry.home': home,
    'ferry.local.pricePerHour': 1.2,
    'ferry.ssh.configFile': sshConfig,
    'ferry.jobs.refreshIntervalSeconds': 2,
    // The fake provider APIs on loopback; their keys are entered through the UI below.
    'ferry.providers.vast.baseUrl': vast.url,
    'ferry.providers.lambda.baseUrl': lambda.url,
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FERRY_HOME: home,
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
    FERRY_SSH_CONFIG: sshConfig,
    FERRY_KNOWN_HOSTS: knownHosts,
    // Run folders of SSH jobs stay in the temp folder, not in this machine's ~/.ferry.
    FERRY_SSH_REMOTE_BASE: path.join(tmp, 'remote-base'),
  };
  for (const k of ['FERRY_VAST_API_KEY', 'FERRY_RUNPOD_API_KEY', 'FERRY_LAMBDA_API_KEY', 'FERRY_VAST_API_URL', 'FERRY_RUNPOD_API_URL', 'FERRY_LAMBDA_API_URL', 'FERRY_LOCAL_PRICE_PER_HOUR']) delete env[k];
  const vsix = packageVsix(OUTPUT);
  installVsix(codeServer, extensionsDir, userDataDir, vsix, env);
  server = await startCodeServer({ codeServer, port: await freePort(), userDataDir, extensionsDir, workspace, env });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await openWorkbench(page, server.url, workspace);
});

let step = 0;
afterEach(async () => {
  // The state after every test, kept when it fails and looked at when it passes.
  step++;
  if (page) await shot(page, SHOTS, `after-${step}`).catch(() => undefined);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  if (server) writeFileSync(path.join(OUTPUT, 'code-server.log'), server.log());
  // The extension's own log channel, for when a step fails in CI.
  const logs = path.join(tmp, 'user-data', 'logs');
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const f of tmp ? walk(logs) : []) if (/(Ferry\.log|remoteexthost\.log)$/.test(f)) cpSync(f, path.join(OUTPUT, path.basename(f)));
  await server?.stop();
  await sshd?.stop();
  for (const f of fakes) await f.close().catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`e2e: ${Math.round((Date.now() - t0) / 1000)} s, screenshots in ${path.relative(ROOT, SHOTS)}\n`);
});

test('the Ferry icon opens the sidebar with the GPU Offers and Jobs views', async () => {
  await shot(page, SHOTS, '01-workbench');
  await showFerry();
  const sidebar = page.locator('.part.sidebar');
  await sidebar.locator('.pane-header[aria-label^="GPU Offers"]').waitFor({ timeout: 10_000 });
  // Nothing configured: both views explain what to do, with buttons.
  await sidebar.getByText('No jobs yet').waitFor({ timeout: 20_000 });
  await sidebar.getByText('No cloud GPU provider and no SSH host is set up yet').waitFor({ timeout: 20_000 });
  await shot(page, SHOTS, '02-sidebar');
});

/** Ferry: Configure Provider API Key... from the palette: pick the provider, type the key. */
async function enterProviderKey(provider: string, key: string): Promise<void> {
  await runCommand(page, 'Ferry: Configure Provider API Key...');
  const input = page.locator('.quick-input-widget input[type="text"], .quick-input-widget input[type="password"]').first();
  const row = page.locator('.quick-input-widget .monaco-list-row').filter({ hasText: provider }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
  await page.locator('.quick-input-widget input[type="password"]').waitFor({ timeout: 10_000 });
  await page.locator('.quick-input-widget input[type="password"]').fill(key);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
}

test('GPU Offers: keys entered in the palette bring offers, cheapest first; a failing provider shows one error node', async () => {
  await enterProviderKey('Vast.ai', DEFAULT_FAKE_KEY);
  await enterProviderKey('Lambda', 'wrong-key-0000');
  await showFerry();
  const offers = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header[aria-label^="GPU Offers"]') });
  await offers.getByRole('treeitem', { name: /^Vast\.ai/ }).waitFor({ timeout: 30_000 });
  await offers.getByRole('treeitem', { name: /^Could not list offers/ }).waitFor({ timeout: 30_000 });
  await offers.getByRole('treeitem', { name: /^This machine/ }).first().waitFor({ timeout: 10_000 });
  // GPU groups under Vast.ai, in the order shown: each "from $X/h" no higher than the next.
  const rows = await offers.getByRole('treeitem').allInnerTexts();
  const vastAt = rows.findIndex((r) => r.startsWith('Vast.ai'));
  const lambdaAt = rows.findIndex((r) => r.startsWith('Lambda'));
  const froms = rows
    .slice(vastAt + 1, lambdaAt > vastAt ? lambdaAt : undefined)
    .map((r) => /from \$([\d.]+)\/h/.exec(r)?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
  assert.ok(froms.length >= 3, `GPU groups under Vast.ai: ${JSON.stringify(rows)}`);
  assert.deepEqual(froms, [...froms].sort((a, b) => a - b), 'cheapest GPU first');
  assert.match(rows.join('\n'), /RTX 3090/);
  await shot(page, SHOTS, '02b-offers');
});

test('right-click ferry.yaml > Run Locally: the cost is confirmed and the job reaches SUCCEEDED', async () => {
  await showExplorerFile('ferry.yaml');
  const explorer = page.locator('.part.sidebar .explorer-folders-view');
  await treeRow(explorer, /^ferry\.yaml$/).click({ button: 'right' });
  await page.getByRole('menuitem', { name: /Run on Cloud GPU/ }).waitFor({ timeout: 10_000 });
  await shot(page, SHOTS, '03-explorer-menu');
  await clickMenuItem(page, /^Run Locally/);
  // ferry.local.pricePerHour is 1.20: the modal shows the estimate (max_duration 10m -> $0.20).
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 20_000 });
  assert.match(await dialog.innerText(), /\$0\.20/);
  await shot(page, SHOTS, '04-confirm-cost');
  await dialog.getByRole('button', { name: 'Run', exact: true }).click();

  // The new job is revealed in the Jobs view by the extension itself.
  await page.locator('.part.sidebar .pane-header[aria-label^="Jobs"]').waitFor({ timeout: 20_000 });
  const jobs = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header[aria-label^="Jobs"]') });
  await treeRow(jobs, /^quickstart, /).waitFor({ timeout: 30_000 });
  await shot(page, SHOTS, '05-job-running');
  await treeRow(jobs, /^quickstart, SUCCEEDED, on local/).waitFor({ timeout: 90_000 });
  const onDisk = jobsOnDisk().find((j) => j.name === 'quickstart');
  assert.equal(onDisk?.state, 'SUCCEEDED');
  assert.ok((onDisk?.checkpoints.length ?? 0) >= 5, 'the job brought its checkpoints home');
  // Its children: the attempt and the checkpoints.
  await treeRow(jobs, /^quickstart, SUCCEEDED/).click();
  await treeRow(jobs, /^Checkpoints/).waitFor({ timeout: 10_000 });
  await treeRow(jobs, /^Checkpoints/).click();
  await treeRow(jobs, /^ckpt-000060\.json/).waitFor({ timeout: 10_000 });
  const status = page.locator('.part.statusbar').getByText(/\d running · <?\$/);
  await status.first().waitFor({ timeout: 10_000 });
  await shot(page, SHOTS, '06-job-succeeded');
});

test('Show Job Logs prints the loss lines in a terminal', async () => {
  const jobs = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header[aria-label^="Jobs"]') });
  await treeRow(jobs, /^quickstart, SUCCEEDED/).click({ button: 'right' });
  await clickMenuItem(page, /^Show Job Logs/);
  const terminal = page.locator('.terminal-wrapper.active .xterm-rows, .xterm .xterm-rows').first();
  await waitUntil(async () => /final loss/.test(await terminal.innerText()), 20_000, 'the log terminal to show "final loss"');
  const text = await terminal.innerText();
  assert.match(text, /step 60 loss \d/);
  assert.match(text, /checkpoint saved: ckpt-000060\.json/);
  await shot(page, SHOTS, '07-logs');
});

test('a job started with `ferry run` in a terminal shows up in the Jobs view', async () => {
  const cli = spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'run', path.join(workspace, 'quickstart', 'train.py'), '--target', 'local', '--yes'], {
    env: { ...process.env, FERRY_HOME: home, STEP_SECONDS: '0.1' },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((r) => cli.on('close', (code) => r(code)));
  const jobs = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header[aria-label^="Jobs"]') });
  await treeRow(jobs, /^train, /).waitFor({ timeout: 30_000 });
  await shot(page, SHOTS, '08-cli-job-appears');
  assert.equal(await exited, 0);
  await treeRow(jobs, /^train, SUCCEEDED, on local/).waitFor({ timeout: 30_000 });
  await shot(page, SHOTS, '09-cli-job-succeeded');
});

test('right-click train.py > Run on Cloud GPU > this machine runs it', async () => {
  await showExplorerFile('train.py');
  const explorer = page.locator('.part.sidebar .explorer-folders-view');
  await treeRow(explorer, /^train\.py$/).click({ button: 'right' });
  await clickMenuItem(page, /^Run on Cloud GPU/);
  const picker = page.locator('.quick-input-widget');
  await picker.waitFor({ timeout: 20_000 });
  const thisMachine = picker.locator('.monaco-list-row').filter({ hasText: 'This machine' }).first();
  await thisMachine.waitFor({ timeout: 20_000 });
  assert.match(await thisMachine.innerText(), /\$1\.20\/h/);
  await shot(page, SHOTS, '10-target-picker');
  await thisMachine.click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 20_000 });
  await dialog.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('.part.sidebar .pane-header[aria-label^="Jobs"]').waitFor({ timeout: 20_000 });
  await waitUntil(async () => jobsOnDisk().filter((j) => j.name === 'train' && j.state === 'SUCCEEDED').length === 2, 60_000, 'a second train job to succeed');
  const jobs = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header[aria-label^="Jobs"]') });
  await waitUntil(async () => (await treeRow(jobs, /^train, SUCCEEDED/).count()) === 2, 15_000, 'two train jobs SUCCEEDED in the tree');
  await shot(page, SHOTS, '11-run-on-cloud-this-machine');
});

/** The dashboard's document: the webview's outer iframe, then its active frame. */
function dashboardFrame() {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

test('Open Cost & Checkpoints Dashboard from the palette, and again from the status bar: the jobs table and the checkpoint timeline', async () => {
  await runCommand(page, 'Ferry: Open Cost & Checkpoints Dashboard');
  const d = dashboardFrame();
  await d.locator('h1', { hasText: 'Cost & Checkpoints' }).waitFor({ timeout: 30_000 });
  const row = d.locator('tr.job-row', { hasText: 'quickstart' }).first();
  await row.waitFor({ timeout: 20_000 });
  assert.match(await row.innerText(), /SUCCEEDED/);
  await row.click();
  await waitUntil(async () => (await d.locator('#timeline-title').innerText()) === 'Checkpoints: quickstart', 10_000, 'the timeline of quickstart');
  const latest = d.locator('li.ckpt.latest');
  await latest.waitFor({ timeout: 10_000 });
  assert.equal(await latest.getAttribute('data-checkpoint'), 'ckpt-000060.json');
  assert.ok((await d.locator('li.ckpt').count()) >= 5, 'every checkpoint in the timeline');
  await shot(page, SHOTS, '12-dashboard');

  // Close the panel, then the Ferry status bar item opens it again (its command is the dashboard's).
  const tab = page.locator('.part.editor .tabs-container .tab').filter({ hasText: 'Ferry: Cost & Checkpoints' });
  await tab.hover();
  await tab.locator('.tab-actions .action-label').first().click();
  await tab.waitFor({ state: 'detached', timeout: 10_000 });
  await page.locator('iframe.webview').waitFor({ state: 'detached', timeout: 10_000 });
  const item = page.locator('.part.statusbar .statusbar-item').filter({ hasText: /\d running · <?\$/ });
  await item.first().click();
  await tab.waitFor({ timeout: 20_000 });
  assert.match((await tab.getAttribute('class')) ?? '', /\bactive\b/, 'the dashboard is the active editor');
  await d.locator('h1', { hasText: 'Cost & Checkpoints' }).waitFor({ timeout: 30_000 });
  await d.locator('tr.job-row', { hasText: 'quickstart' }).first().waitFor({ timeout: 20_000 });
  assert.ok(await d.locator('tr.job-row').first().isVisible(), 'the jobs table shows in the reopened panel');
  await shot(page, SHOTS, '12b-dashboard-from-status-bar');
  // Back to the Explorer for the next steps; the panel stays open in its tab.
  await page.keyboard.press('Escape');
});

test('right-click train.py > Run on Cloud GPU > an SSH host: the host key is confirmed in a modal and the job reaches SUCCEEDED', async () => {
  sshd = await startSshd({ alias: 'testbox' });
  writeFileSync(sshConfig, sshd.configBlock('testbox'));
  await runCommand(page, 'Ferry: Refresh GPU Offers');
  const explorer = page.locator('.part.sidebar .explorer-folders-view');
  const picker = page.locator('.quick-input-widget');
  const hostRow = picker.locator('.monaco-list-row').filter({ hasText: 'testbox' }).first();
  // The offers refresh reads the new ssh config; open the picker until it lists the host.
  await waitUntil(
    async () => {
      await showExplorerFile('train.py');
      await treeRow(explorer, /^train\.py$/).click({ button: 'right' });
      await clickMenuItem(page, /^Run on Cloud GPU/);
      await picker.locator('.monaco-list-row').filter({ hasText: 'This machine' }).first().waitFor({ timeout: 20_000 });
      if ((await hostRow.count()) > 0) return true;
      await page.keyboard.press('Escape');
      return false;
    },
    30_000,
    'the SSH host in the target picker',
  );
  await shot(page, SHOTS, '13-ssh-target-picker');
  await hostRow.click();
  // An own box costs $0/h: no cost confirmation, the first modal is the host key's.
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 30_000 });
  const text = await dialog.innerText();
  assert.match(text, /authenticity of host testbox \(\[127\.0\.0\.1\]:\d+\)/);
  assert.match(text, /ssh-ed25519 key fingerprint is SHA256:[A-Za-z0-9+/]+/);
  await shot(page, SHOTS, '14-host-key-modal');
  await dialog.getByRole('button', { name: 'Trust and Connect' }).click();
  await waitUntil(async () => jobsOnDisk().some((j) => j.target === 'ssh:testbox' && j.state === 'SUCCEEDED'), 90_000, 'the SSH job to succeed');
  const onDisk = jobsOnDisk().find((j) => j.target === 'ssh:testbox');
  assert.ok((onDisk?.checkpoints.length ?? 0) >= 5, 'the SSH job brought its checkpoints home');
  assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${sshd.port} ssh-ed25519 `, 'm'), 'the trusted key went into known_hosts');
  const jobs = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header[aria-label^="Jobs"]') });
  await showFerry();
  await treeRow(jobs, /^train, SUCCEEDED, on ssh:testbox/).waitFor({ timeout: 20_000 });
  await shot(page, SHOTS, '15-ssh-job-succeeded');
});

test('Sync Data: the workspace to a folder on the SSH host, with a summary', async () => {
  assert.ok(sshd, 'the SSH test above started sshd');
  const dest = path.join(tmp, 'synced-data');
  await runCommand(page, 'Ferry: Sync Data...');
  const picker = page.locator('.quick-input-widget');
  const rows = picker.locator('.monaco-list-row');
  await rows.filter({ hasText: workspace }).first().waitFor({ timeout: 10_000 });
  await shot(page, SHOTS, '16-sync-from');
  await rows.filter({ hasText: workspace }).first().click();
  await rows.filter({ hasText: 'testbox' }).first().waitFor({ timeout: 10_000 });
  await rows.filter({ hasText: 'testbox' }).first().click();
  const input = picker.locator('input[type="text"]');
  await waitUntil(async () => /path on testbox/.test(await picker.innerText()), 10_000, 'the path box for testbox');
  await input.fill(dest);
  await page.keyboard.press('Enter');
  const done = page.locator('.notifications-toasts').getByText(/Ferry: Synced .* -> testbox:/);
  await done.first().waitFor({ timeout: 30_000 });
  assert.match(await done.first().innerText(), /\d+ files \([\d.]+ [KM]?B\) in [\d.]+ s/);
  assert.equal(readFileSync(path.join(dest, 'quickstart', 'train.py'), 'utf8'), readFileSync(path.join(workspace, 'quickstart', 'train.py'), 'utf8'));
  await page.locator('.notifications-toasts').getByText(/Ferry: syncing /).waitFor({ state: 'hidden', timeout: 10_000 });
  await shot(page, SHOTS, '17-sync-summary');
});
