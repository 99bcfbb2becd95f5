import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatUsd, summarizeCost } from '../../core/cost/meter';
import { isTerminal } from '../../core/jobs/stateMachine';
import type { JobRecord } from '../../core/jobs/types';
import type { Offer } from '../../core/offers/types';
import type { LoadedSpec } from '../../core/spec/types';
import type { Target } from '../../core/targets/target';
import { CancelledError, UserError } from '../../core/util/errors';
import type { CommandContext } from '../commands/commandContext';
import { Commands } from '../ids';
import { showJobLogTerminal } from '../jobs/logTerminal';
import { budgetLeftText, choiceForOffer, estimateCost, pinSpecToOffer, targetChoices, type TargetChoice } from './targetChoices';

export type RunMode = 'cloud' | 'local';

const RUNNABLE = /\.(py|sh)$|(^|[\\/])ferry\.ya?ml$/i;
const PHASES: Readonly<Record<string, string>> = {
  PENDING: 'queued',
  PROVISIONING: 'getting the machine',
  SYNCING: 'copying the code and data',
  SETUP: 'running setup',
  RUNNING: 'running',
};

/** The file or folder to run: the clicked one, the active editor's, or one picked from the workspace. */
async function resolveRunPath(arg: unknown): Promise<vscode.Uri> {
  if (arg instanceof vscode.Uri) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && RUNNABLE.test(active.fsPath)) return active;
  const files = await vscode.workspace.findFiles('**/{ferry.yaml,ferry.yml,*.py,*.sh}', '**/{node_modules,.git,.venv,venv,__pycache__}/**', 300);
  if (files.length === 0) throw new UserError('nothing to run: open a .py or .sh script or a ferry.yaml', { hint: 'or right-click one in the Explorer' });
  const items = files
    .map((f) => ({ label: path.basename(f.fsPath), description: vscode.workspace.asRelativePath(f, true), uri: f, spec: /ferry\.ya?ml$/i.test(f.fsPath) }))
    .sort((a, b) => Number(b.spec) - Number(a.spec) || a.description.localeCompare(b.description));
  const picked = await vscode.window.showQuickPick(items, { placeHolder: 'What should Ferry run? (a ferry.yaml, or a script with default settings)', matchOnDescription: true });
  if (!picked) throw new CancelledError();
  return picked.uri;
}

/** Untrusted workspaces may not run anything: a ferry.yaml's `run:` and `setup:` are commands. */
async function requireTrust(): Promise<void> {
  if (vscode.workspace.isTrusted) return;
  const choice = await vscode.window.showWarningMessage(
    'Ferry does not run jobs from an untrusted workspace: a ferry.yaml (or a script) runs commands on your machines and cloud accounts.',
    'Manage Workspace Trust',
  );
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  throw new CancelledError();
}

async function loadWithDiagnostics(ctx: CommandContext, uri: vscode.Uri): Promise<LoadedSpec> {
  const { loadSpec, SpecError } = await import('../../core/spec/parse');
  try {
    const loaded = await loadSpec(uri.fsPath);
    if (loaded.file) ctx.services.diagnostics.clear(vscode.Uri.file(loaded.file));
    return loaded;
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    const file = await ctx.services.diagnostics.showSpecError(err);
    const first = err.diagnostics[0];
    const msg = first ? `${path.basename(first.file)}:${first.line}:${first.col}: ${first.path ? `${first.path}: ` : ''}${first.message}` : err.message;
    const more = err.diagnostics.length > 1 ? ` (and ${err.diagnostics.length - 1} more)` : '';
    ctx.services.logger.warn(err.message);
    void vscode.window.showErrorMessage(`Ferry: ${msg}${more}`, 'Show Problems', 'Open ferry.yaml').then(async (c) => {
      if (c === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
      if (c === 'Open ferry.yaml' && file && first) {
        const doc = await vscode.workspace.openTextDocument(file);
        const pos = new vscode.Position(first.line - 1, first.col - 1);
        await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
      }
    });
    throw new CancelledError();
  }
}

/** Offers for the picker: the model's (loading them now, with progress, when it has none). */
async function offersForPicker(ctx: CommandContext): Promise<Offer[]> {
  const model = ctx.services.offers;
  if (model.loadedAt === undefined) {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Ferry: looking for offers...', cancellable: true }, (_p, token) => {
      const done = model.refresh();
      return Promise.race([done, new Promise<void>((r) => token.onCancellationRequested(() => r()))]);
    });
  }
  return model.offers;
}

async function pickTarget(ctx: CommandContext, loaded: LoadedSpec, preset?: Offer): Promise<TargetChoice> {
  const s = ctx.services.settings();
  if (preset) return choiceForOffer(loaded.spec, preset);
  const offers = await offersForPicker(ctx);
  const config = await ctx.services.config().catch(() => undefined);
  const choices = targetChoices(loaded.spec, offers, { localPricePerHour: s.localPricePerHour, slurmPrices: config?.slurmPrices ?? {} });
  type Item = vscode.QuickPickItem & { choice?: TargetChoice };
  const isOwn = (c: TargetChoice) => c.ref === 'local' || c.ref.startsWith('ssh:') || c.ref.startsWith('slurm:');
  const own = choices.filter(isOwn);
  const cloud = choices.filter((c) => !isOwn(c));
  const item = (c: TargetChoice): Item => ({ label: c.label, description: `${c.description}${c.fromSpec ? (loaded.file ? ' · from ferry.yaml' : ' · default') : ''}`, detail: c.detail, choice: c });
  const items: Item[] = [
    { label: 'Your machines', kind: vscode.QuickPickItemKind.Separator },
    ...own.map(item),
    { label: cloud.length ? `Cloud offers that fit${loaded.spec.resources.gpu ? ` ${loaded.spec.resources.gpu.raw}` : ''}` : 'Cloud', kind: vscode.QuickPickItemKind.Separator },
    ...cloud.map(item),
  ];
  if (cloud.length === 0) {
    items.push({
      label: '$(key) Add a cloud provider...',
      description: ctx.services.offers.cloudConfigured.length ? 'no configured provider has an offer that fits' : 'Vast.ai, RunPod or Lambda',
    });
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder: `Run ${loaded.spec.name} where? ($ per hour)`, matchOnDescription: true, matchOnDetail: true });
  if (!picked) throw new CancelledError();
  if (!picked.choice) {
    await vscode.commands.executeCommand(Commands.configureProvider);
    throw new CancelledError();
  }
  return picked.choice;
}

async function confirmCost(ctx: CommandContext, loaded: LoadedSpec, choice: TargetChoice, price: number): Promise<void> {
  if (price <= 0) return; // free: nothing to confirm
  const est = estimateCost(loaded.spec, price);
  const s = ctx.services.settings();
  const month = summarizeCost(ctx.services.jobs.jobs, { now: new Date() }).month;
  const left = budgetLeftText(s.monthlyBudget, month);
  const where = choice.ref === 'local' ? 'this machine' : choice.label.replace(/^\$\([^)]*\)\s*/, '');
  const detail = [`Estimated cost: ${est.text}.`, left ? `${left}.` : '', `Spent this month: ${formatUsd(month)}.`].filter(Boolean).join('\n');
  const ok = await vscode.window.showInformationMessage(`Run ${loaded.spec.name} on ${where} at $${price.toFixed(2)}/h?`, { modal: true, detail }, 'Run');
  if (ok !== 'Run') throw new CancelledError();
}

/**
 * Right-click "Run on Cloud GPU" / "Run Locally", the editor-title button and the palette:
 * spec -> target -> cost confirmation -> a job in the store (in the tree at once) -> a
 * cancellable progress notification through the phases, while this window is its controller.
 */
export async function runFlow(ctx: CommandContext, arg: unknown, mode: RunMode, preset?: Offer): Promise<void> {
  const uri = await resolveRunPath(arg);
  await requireTrust();
  const loaded = await loadWithDiagnostics(ctx, uri);
  const choice: TargetChoice =
    mode === 'local'
      ? { ref: 'local', label: 'This machine', description: '', pricePerHour: ctx.services.settings().localPricePerHour, fromSpec: loaded.spec.target === 'local' }
      : await pickTarget(ctx, loaded, preset);
  const target = await ctx.services.targetFor(choice.ref);
  const price = choice.ref === 'local' || choice.ref.startsWith('ssh:') ? target.pricePerHour() : choice.pricePerHour;
  await confirmCost(ctx, loaded, choice, price);
  // A cloud offer the user picked (here or in the view): the target launches that kind of machine at that price.
  const spec = choice.offer ? pinSpecToOffer(loaded.spec, choice.offer, choice.pricePerHour) : loaded.spec;

  const { gitInfo } = await import('../../core/jobs/git');
  const git = await gitInfo(loaded.spec.workdir);
  const job = await ctx.services.store.create({
    name: loaded.spec.name,
    target: choice.ref,
    spec,
    ...(loaded.file ? { specFile: loaded.file } : {}),
    workdir: loaded.spec.workdir,
    ...(git ? { git } : {}),
  });
  ctx.services.logger.info(`job ${job.id} (${job.name}) from ${loaded.file ?? uri.fsPath} on ${choice.ref}`);
  ctx.services.jobs.upsert(job);
  void ctx.jobsView.reveal({ kind: 'job', jobId: job.id }, { select: true, focus: false }).then(undefined, () => undefined);
  await followWithProgress(ctx, job, target);
}

/** Starts the job under this window and shows its phases until it runs (or ends). */
export async function followWithProgress(ctx: CommandContext, job: JobRecord, target: Target, resumeFrom?: string): Promise<void> {
  const { controllers } = ctx.services;
  let reached: (j: JobRecord) => void = () => undefined;
  const started = new Promise<JobRecord>((r) => (reached = r));
  let last = job;
  const finished = controllers.start(job.id, target, {
    ...(resumeFrom ? { resumeFrom } : {}),
    onUpdate: (j) => {
      last = j;
      if (j.state === 'RUNNING' || isTerminal(j.state)) reached(j);
    },
  });
  finished.then(
    (j) => reached(j ?? last),
    () => reached(last),
  );
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Ferry: ${job.name}`, cancellable: true },
    async (progress, token) => {
      progress.report({ message: `starting on ${job.target}` });
      const sub = token.onCancellationRequested(() => controllers.cancel(job.id));
      let shown = '';
      const tick = setInterval(() => {
        if (last.state !== shown) {
          shown = last.state;
          progress.report({ message: `${last.state.toLowerCase()}: ${PHASES[last.state] ?? ''}` });
        }
      }, 100);
      try {
        return await started;
      } finally {
        clearInterval(tick);
        sub.dispose();
      }
    },
  );
  const fresh = (await ctx.services.store.get(job.id).catch(() => undefined)) ?? outcome;
  const showLogs = 'Show Logs';
  const after = (choice: string | undefined) => {
    if (choice === showLogs) showJobLogTerminal(ctx.services, fresh);
  };
  if (fresh.state === 'CANCELLED') return;
  if (fresh.state === 'SUCCEEDED') void vscode.window.showInformationMessage(`Ferry: ${fresh.name} succeeded.`, showLogs).then(after);
  else if (isTerminal(fresh.state)) void vscode.window.showErrorMessage(`Ferry: ${fresh.name} ${fresh.state}${fresh.error ? `: ${fresh.error}` : ''}`, showLogs).then(after);
  else void vscode.window.showInformationMessage(`Ferry: ${fresh.name} is running on ${fresh.target}.`, showLogs).then(after);
  // Tell the user how it ended when that happens later.
  if (!isTerminal(fresh.state)) {
    void finished.then((j) => {
      if (!j || j.state === 'CANCELLED') return;
      if (j.state === 'SUCCEEDED') void vscode.window.showInformationMessage(`Ferry: ${j.name} succeeded (${formatUsd(j.cost)}).`, showLogs).then(after);
      else void vscode.window.showErrorMessage(`Ferry: ${j.name} ${j.state}${j.error ? `: ${j.error}` : ''}`, showLogs).then(after);
    }, () => undefined);
  }
}
