import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { buildDashboard, type DashboardViewModel } from '../../src/core/cost/dashboard';
import { formatUsd, jobCost, summarizeCost } from '../../src/core/cost/meter';
import { NOW, ORPHAN, finishedCloudJob, manyJobs, preemptedJob, threeJobs } from '../unit/dashboard/fixtures';
import { checkPrerequisites, launch, openDashboard, serve, type DashboardPage, type Served } from './harness';

/**
 * The dashboard in a real browser: the built bundle, the host's page and CSP, Debian's Chromium.
 * What a person would see (numbers, labels, the latest checkpoint marked) and what the page
 * tells the host. Any console error or CSP violation fails the test that caused it.
 * Screenshots land in test/browser/.screens/ (ignored by git) for a human to look at.
 */

const threeJobsVm = (): DashboardViewModel => buildDashboard({ jobs: threeJobs(), now: NOW, monthlyCap: 50, orphans: [ORPHAN] });
const CIFAR = preemptedJob();
const LLAMA = finishedCloudJob();

let browser: Browser;
let served: Served;
const open: DashboardPage[] = [];

async function dashboard(theme: 'dark' | 'light' = 'dark', saved?: unknown): Promise<DashboardPage> {
  const d = await openDashboard(browser, served, theme, saved);
  open.push(d);
  return d;
}

async function texts(d: DashboardPage, selector: string): Promise<string[]> {
  return d.page.locator(selector).allInnerTexts();
}

/** Non-background pixels on the chart's canvas: more than a blank frame would have. */
async function drawnPixels(d: DashboardPage): Promise<number> {
  return d.page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.chart canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || canvas.width === 0) return 0;
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) n++;
    return n;
  });
}

/** Presses Tab until `selector` has focus; returns how many presses it took. */
async function tabTo(d: DashboardPage, selector: string, max = 40): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await d.page.keyboard.press('Tab');
    if (await d.page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i;
  }
  throw new Error(`${selector} not reached with ${max} Tab presses`);
}

describe('dashboard in Chromium', { timeout: 120_000 }, () => {
  before(async () => {
    checkPrerequisites();
    served = await serve();
    browser = await launch();
  });

  afterEach(async () => {
    const pages = open.splice(0);
    const problems: string[] = [];
    for (const d of pages) {
      await d.close();
      problems.push(...d.problems);
    }
    assert.deepEqual(problems, [], 'no console errors, page errors or CSP violations');
  });

  after(async () => {
    await browser?.close();
    await served?.close();
  });

  test('the ready handshake, under the host page and its CSP', async () => {
    const d = await dashboard('dark', { range: '30d', selectedJobId: LLAMA.id, sort: { key: 'cost', dir: 'desc' } });
    const [first, ...rest] = await d.posted();
    assert.equal(first?.type, 'ready');
    assert.equal(typeof first?.requestId, 'string');
    assert.deepEqual(first?.ui, { selectedJobId: LLAMA.id, range: '30d', sort: { key: 'cost', dir: 'desc' } }, 'the saved UI state goes to the host');
    assert.deepEqual(rest, [], 'nothing else before the host answers: the page never polls');
    const csp = await d.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp ?? '', /default-src 'none'; script-src 'nonce-[A-Za-z0-9+/=]{24}'/);
    assert.doesNotMatch(csp ?? '', /unsafe/);
    assert.equal(await d.page.locator('h1').innerText(), 'Cost & Checkpoints');
    // Still nothing after a while: the page waits for the host.
    await d.page.waitForTimeout(300);
    assert.equal((await d.posted()).length, 1);
  });

  for (const theme of ['dark', 'light'] as const) {
    test(`the empty state says what to do first (${theme})`, async () => {
      const d = await dashboard(theme);
      await d.state(buildDashboard({ jobs: [], now: NOW, home: '/home/me/.ferry' }));
      const text = await d.page.locator('.empty').innerText();
      assert.match(text, /No jobs yet/);
      assert.match(text, /ferry run examples\/quickstart/);
      assert.match(text, /Run Locally/);
      assert.match(text, /\/home\/me\/\.ferry/);
      assert.equal(await d.page.locator('.content').isVisible(), false, 'no empty tables or zero cards');
      await tabTo(d, 'vscode-button[data-focus-key="empty-run-locally"]');
      await d.page.keyboard.press('Enter');
      const last = (await d.posted()).at(-1);
      assert.equal(last?.type, 'runLocally');
      await d.screenshot(`empty-${theme}`);
    });
  }

  for (const theme of ['dark', 'light'] as const) {
    test(`three jobs: table, spend as formatUsd prints it, budget bars, chart (${theme})`, async () => {
      const d = await dashboard(theme);
      const vm = threeJobsVm();
      await d.state(vm);
      const jobs = threeJobs();

      const rows = d.page.locator('tr.job-row');
      assert.equal(await rows.count(), 3);
      assert.deepEqual(
        (await texts(d, 'tr.job-row td.name')).map((t) => t.split('\n')[0]),
        ['quickstart', 'cifar-resnet', 'llama-lora'],
        'newest first',
      );
      // Cost per job, summed over every attempt, exactly as formatUsd writes it.
      for (const job of jobs) {
        const cell = d.page.locator(`tr[data-job-id="${job.id}"] td[data-testid="job-cost"]`);
        assert.equal(await cell.innerText(), formatUsd(jobCost(job, NOW)));
      }
      assert.equal(await d.page.locator(`tr[data-job-id="${CIFAR.id}"] td`).nth(8).innerText(), '2', 'two recoveries');

      const s = summarizeCost(jobs, { now: NOW });
      const card = (id: string): Promise<string> => d.page.locator(`[data-testid="${id}"] .card-value`).innerText();
      assert.equal(await card('spend-today'), formatUsd(s.today));
      assert.equal(await card('spend-month'), formatUsd(s.month));
      assert.equal(await card('spend-all'), formatUsd(s.total));
      assert.equal(await card('burn-rate'), `${formatUsd(s.burnRatePerHour)}/h`);
      assert.equal(await card('spend-all'), '$9.31');
      const providers = await d.page.locator('[data-testid="providers"]').innerText();
      for (const [p, v] of Object.entries(s.perProvider)) assert.ok(providers.includes(`${p} ${formatUsd(v)}`), `${p} in ${providers}`);

      const cap = d.page.locator('[data-testid="cap-month"]');
      assert.match(await cap.innerText(), new RegExp(`${formatUsd(s.month).replace('$', '\\$')} of \\$50\\.00`));
      assert.equal(await cap.locator('[role="progressbar"]').getAttribute('aria-valuenow'), String(Math.round((s.month / 50) * 100)));
      const jobBar = d.page.locator(`[data-testid="job-budget"][data-job-id="${CIFAR.id}"]`);
      assert.match(await jobBar.innerText(), /cifar-resnet[\s\S]*\$1\.57 of \$5\.00[\s\S]*\$0\.42\/h · projected \$2\.40 at max_duration/);

      assert.match(await d.page.locator('[data-testid="orphans"]').innerText(), /1 instance costs money with no live job \(\$0\.35\/h\)[\s\S]*vast i-999/);
      assert.match(await d.page.locator('.alerts [data-testid="stale-checkpoint"]').innerText(), /cifar-resnet runs on a preemptible machine and its last checkpoint is 60 min old/);

      assert.ok((await drawnPixels(d)) > 2000, 'the chart canvas has lines on it');
      const legend = await d.page.locator('.chart .u-legend').innerText();
      assert.match(legend, /cifar-resnet \(budget \$5\.00\)/);
      assert.match(legend, /llama-lora \(budget \$20\.00\)/);
      assert.match(legend, /quickstart/);
      await d.screenshot(`three-jobs-${theme}`);
    });
  }

  test('keyboard: Tab to the table, arrow to a job, Enter selects it and shows its checkpoints', async () => {
    const d = await dashboard('dark');
    await d.state(threeJobsVm());
    assert.match(await d.page.locator('#timeline-title').innerText(), /quickstart/, 'the first job is shown until one is chosen');
    await tabTo(d, 'tr.job-row');
    assert.equal(await d.page.evaluate(() => (document.activeElement as HTMLElement).dataset.jobId), threeJobs()[0]?.id);
    await d.page.keyboard.press('ArrowDown');
    assert.equal(await d.page.evaluate(() => (document.activeElement as HTMLElement).dataset.jobId), CIFAR.id);
    await d.page.keyboard.press('Enter');

    assert.equal(await d.page.locator('#timeline-title').innerText(), 'Checkpoints: cifar-resnet');
    assert.equal(await d.page.locator(`tr[data-job-id="${CIFAR.id}"]`).getAttribute('aria-selected'), 'true');
    const items = d.page.locator('li.ckpt');
    assert.equal(await items.count(), 3);
    assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-checkpoint'))), ['ckpt-000300.pt', 'ckpt-000200.pt', 'ckpt-000100.pt']);
    const latest = d.page.locator('li.ckpt.latest');
    assert.equal(await latest.count(), 1);
    assert.equal(await latest.getAttribute('data-checkpoint'), 'ckpt-000300.pt');
    assert.equal(await latest.getAttribute('aria-current'), 'true');
    assert.equal(await latest.locator('[data-testid="latest-badge"]').innerText(), 'latest');
    assert.deepEqual(await latest.locator('.loc').allInnerTexts(), ['remote', 'S3', 'local'], 'copies in three places');
    assert.match(await latest.innerText(), /step 300[\s\S]*48 MiB/);
    assert.equal(await d.page.locator('li.ckpt[data-checkpoint="ckpt-000100.pt"] [data-action="download"]').count(), 1, 'no local copy: Download');
    assert.equal(await latest.locator('[data-action="reveal"]').count(), 1, 'a local copy: Reveal');
    assert.equal(await d.page.locator('li.ckpt [data-action="resume"]').count(), 0, 'a running job is not resumed');
    assert.match(await d.page.locator('.timeline').innerText(), /Resume from a checkpoint once the job has finished/);
    assert.match(await d.page.locator('.timeline [data-testid="stale-checkpoint"]').innerText(), /60 min old/);

    const sel = (await d.posted()).filter((m) => m.type === 'selectJob');
    assert.deepEqual(
      sel.map((m) => m.jobId),
      [CIFAR.id],
    );
    assert.deepEqual((await d.savedState()) as object, { selectedJobId: CIFAR.id, range: '7d', sort: { key: 'started', dir: 'desc' } });

    // A state push (twice a second at most) keeps the keyboard focus where it was.
    await d.page.locator(`tr[data-job-id="${CIFAR.id}"]`).focus();
    await d.state(threeJobsVm());
    assert.equal(await d.page.evaluate(() => (document.activeElement as HTMLElement).dataset.jobId), CIFAR.id);
    await d.screenshot('selected-dark');
  });

  test('"Resume from here" posts resumeFrom with that checkpoint, and shows the outcome', async () => {
    const d = await dashboard('light');
    await d.state(threeJobsVm());
    await d.page.locator(`tr[data-job-id="${LLAMA.id}"]`).click();
    assert.equal(await d.page.locator('#timeline-title').innerText(), 'Checkpoints: llama-lora');
    const older = d.page.locator('li.ckpt[data-checkpoint="epoch-1"]');
    assert.equal(await older.getAttribute('aria-current'), null);
    await older.locator('[data-action="resume"]').click();
    const msg = (await d.posted()).at(-1);
    assert.equal(msg?.type, 'resumeFrom');
    assert.equal(msg?.jobId, LLAMA.id);
    assert.equal(msg?.checkpoint, 'epoch-1');
    assert.match(await d.page.locator('[data-testid="status"]').innerText(), /Resume .* from epoch-1\.\.\./);
    await d.send({ type: 'ack', requestId: String(msg?.requestId), ok: false, message: 'lambda: no capacity' });
    assert.match(await d.page.locator('[data-testid="status"]').innerText(), /failed: lambda: no capacity/);

    // Keyboard too: Tab reaches the latest checkpoint's button, Enter presses it.
    await d.page.locator(`tr[data-job-id="${LLAMA.id}"]`).focus();
    await tabTo(d, 'li.ckpt.latest vscode-button[data-action="resume"]');
    await d.page.keyboard.press('Enter');
    const again = (await d.posted()).at(-1);
    assert.deepEqual([again?.type, again?.jobId, again?.checkpoint], ['resumeFrom', LLAMA.id, 'epoch-2']);
    await d.screenshot('resume-light');
  });

  test('sorting, the range buttons, and a selection from the host', async () => {
    const d = await dashboard('dark');
    await d.state(threeJobsVm());
    await d.page.locator('th button.sort', { hasText: 'Cost' }).click();
    assert.deepEqual(
      (await texts(d, 'tr.job-row td.name')).map((t) => t.split('\n')[0]),
      ['llama-lora', 'cifar-resnet', 'quickstart'],
    );
    assert.equal(await d.page.locator('th[aria-sort="descending"]').innerText(), 'Cost ▼');
    await d.page.locator('vscode-button[data-range="24h"]').click();
    const m = (await d.posted()).at(-1);
    assert.deepEqual([m?.type, m?.range], ['setRange', '24h']);
    assert.deepEqual((await d.savedState()) as object, { selectedJobId: threeJobs()[0]?.id, range: '24h', sort: { key: 'cost', dir: 'desc' } });
    await d.send({ type: 'selected', jobId: LLAMA.id });
    assert.equal(await d.page.locator('#timeline-title').innerText(), 'Checkpoints: llama-lora');
  });

  test('a theme change while open redraws the chart in the new colors', async () => {
    const d = await dashboard('dark');
    await d.state(threeJobsVm());
    await d.page.evaluate(() => document.querySelector('.chart .uplot')?.setAttribute('data-old', ''));
    // What VS Code does: new variables on the root, a new class on body.
    await d.page.evaluate(() => {
      const link = document.querySelector<HTMLLinkElement>('link[href$="theme-dark.css"]');
      if (link) link.href = link.href.replace('theme-dark', 'theme-light');
    });
    await d.page.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim() === '#ffffff');
    await d.page.evaluate(() => {
      document.body.className = 'vscode-light';
    });
    await d.page.waitForFunction(() => document.querySelector('.chart .uplot') !== null && document.querySelector('.chart .uplot[data-old]') === null);
    assert.ok((await drawnPixels(d)) > 2000);
    await d.screenshot('theme-switched-light');
  });

  test('the CSP is enforced and a violation is caught (so the checks above mean something)', async () => {
    const d = await dashboard('dark');
    open.splice(open.indexOf(d), 1); // this page's violations are the point, not a failure
    await d.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.body.appendChild(s);
      document.body.setAttribute('style', 'color: red');
    });
    await d.close();
    assert.equal(d.problems.filter((p) => /CSP violation: script-src/.test(p)).length, 1, d.problems.join('\n'));
    assert.equal(d.problems.filter((p) => /CSP violation: style-src/.test(p)).length, 1, d.problems.join('\n'));
  });

  test('200 jobs and 2,000 checkpoints (render time reported, not asserted)', async (t) => {
    const d = await dashboard('dark');
    const vm = buildDashboard({ jobs: manyJobs(), now: NOW, range: '30d', monthlyCap: 2000 });
    const timing = await d.page.evaluate(
      (state) =>
        new Promise<{ script: number; frame: number }>((resolve) => {
          const t0 = performance.now();
          window.dispatchEvent(new MessageEvent('message', { data: { type: 'state', state } }));
          const script = performance.now() - t0;
          requestAnimationFrame(() => setTimeout(() => resolve({ script, frame: performance.now() - t0 })));
        }),
      vm,
    );
    t.diagnostic(`200 jobs / 2,000 checkpoints: rendered in ${timing.script.toFixed(1)} ms of script, ${timing.frame.toFixed(1)} ms to the next frame`);
    assert.equal(await d.page.locator('tr.job-row').count(), 200);
    assert.equal(await d.page.locator('li.ckpt').count(), 10);
    assert.ok((await drawnPixels(d)) > 2000);
    await d.screenshot('many-jobs-dark');
  });
});
