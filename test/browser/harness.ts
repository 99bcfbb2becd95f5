import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import type { DashboardViewModel } from '../../src/core/cost/dashboardTypes';
import { dashboardHtml } from '../../src/extension/dashboard/html';
import type { HostToWebview } from '../../src/shared/dashboardProtocol';
import { THEMES, type ThemeName } from './themes';

/**
 * Loads the built dashboard bundle (media/dist/dashboard.js) in Debian's Chromium, in the page
 * the extension host makes (html.ts, same CSP), served from 127.0.0.1 the way VS Code serves
 * webview resources. A stand-in `acquireVsCodeApi` records what the page posts, and every
 * console error, page error and CSP violation is kept so a test can fail on it.
 */

export const REPO = resolve(__dirname, '..', '..');
export const BUNDLE = join(REPO, 'media', 'dist', 'dashboard.js');
export const SCREENS = join(REPO, 'test', 'browser', '.screens');
export const CHROMIUM = process.env.FERRY_CHROMIUM || '/usr/bin/chromium';

/** The flags node.md lists for this machine: no sandbox as root, and no background traffic. */
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

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** Fails loudly (never skips) when what the tests need is missing. */
export function checkPrerequisites(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}. The dashboard's browser tests need it: apt-get install -y chromium ` +
        '(or set FERRY_CHROMIUM to a Chromium binary). .ci/run installs it.',
    );
  }
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first (the browser tests load the built bundle).`);
  const bundleAt = statSync(BUNDLE).mtimeMs;
  const srcAt = Math.max(newestMtime(join(REPO, 'src', 'webview')), newestMtime(join(REPO, 'src', 'shared')));
  if (srcAt > bundleAt + 1000) throw new Error(`${BUNDLE} is older than src/webview or src/shared: run \`npm run build\` again.`);
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export interface Served {
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves the host's HTML at /<theme> and media/dist/* beside it, on loopback only.
 * `distDir` serves another build of the bundle (the benchmark's minified one) at the same URLs.
 */
export async function serve(opts: { distDir?: string } = {}): Promise<Served> {
  const dist = resolve(opts.distDir ?? join(REPO, 'media', 'dist'));
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/media/dist/')) {
      const file = join(dist, url.pathname.slice('/media/dist/'.length));
      if (!file.startsWith(dist) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
      return;
    }
    const theme = /^\/theme-(dark|light)\.css$/.exec(url.pathname)?.[1] as ThemeName | undefined;
    if (theme) {
      const vars = Object.entries(THEMES[theme].vars).map(([k, v]) => `  ${k}: ${v};`);
      res.writeHead(200, { 'content-type': 'text/css' }).end(`:root {\n${vars.join('\n')}\n}\n`);
      return;
    }
    const page = /^\/(dark|light)$/.exec(url.pathname)?.[1] as ThemeName | undefined;
    if (page) {
      // What VS Code does around the page: theme variables on the root, the theme class on body.
      const html = dashboardHtml({ cspSource: origin, scriptUri: `${origin}/media/dist/dashboard.js`, styleUri: `${origin}/media/dist/dashboard.css` })
        .replace('</head>', `<link rel="stylesheet" href="${origin}/theme-${page}.css">\n</head>`)
        .replace('<body>', `<body class="${THEMES[page].bodyClass}" data-vscode-theme-kind="${THEMES[page].bodyClass}">`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    // Chromium asks for a favicon; a webview never does. No content, no console error.
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface DashboardPage {
  page: Page;
  /** Everything the page posted to the host, in order. */
  posted(): Promise<Record<string, unknown>[]>;
  /** The last UI state the page saved with setState. */
  savedState(): Promise<unknown>;
  /** Delivers a host message the way VS Code does (a window message event), synchronously. */
  send(msg: HostToWebview): Promise<void>;
  state(vm: DashboardViewModel): Promise<void>;
  /** Console errors, page errors and CSP violations so far. */
  problems: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openDashboard(browser: Browser, served: Served, theme: ThemeName, savedState?: unknown): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: theme });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  // tsx compiles the functions below with esbuild's keepNames, which wraps them in __name(...);
  // the page has no such helper, so give it one (an identity) before they run there.
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.addInitScript((saved: unknown) => {
    const w = window as unknown as Record<string, unknown>;
    const posted: unknown[] = [];
    const violations: string[] = [];
    w.__posted = posted;
    w.__violations = violations;
    w.__state = saved;
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => w.__state,
      setState: (s: unknown) => {
        w.__state = JSON.parse(JSON.stringify(s));
      },
    });
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
  }, savedState ?? null);
  await page.goto(`${served.origin}/${theme}`);
  await page.waitForFunction(() => ((window as unknown as { __posted: unknown[] }).__posted ?? []).length > 0, null, { timeout: 10_000 });
  const dp: DashboardPage = {
    page,
    problems,
    posted: () => page.evaluate(() => (window as unknown as { __posted: Record<string, unknown>[] }).__posted),
    savedState: () => page.evaluate(() => (window as unknown as { __state: unknown }).__state),
    send: async (msg) => {
      await page.evaluate((m) => {
        window.dispatchEvent(new MessageEvent('message', { data: m }));
      }, msg);
    },
    state: (vm) => dp.send({ type: 'state', state: vm }),
    screenshot: async (name) => {
      mkdirSync(SCREENS, { recursive: true });
      // The folder ignores itself: screenshots are for looking at, never for committing.
      writeFileSync(join(SCREENS, '.gitignore'), '*\n');
      const file = join(SCREENS, `${name}.png`);
      // Let the chart's ResizeObserver and the web components settle first.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    close: async () => {
      const v = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations).catch(() => [] as string[]);
      problems.push(...v.map((x) => `CSP violation: ${x}`));
      await context.close();
    },
  };
  return dp;
}
