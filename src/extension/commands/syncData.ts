import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, UserError } from '../../core/util/errors';
import { abortSignalFrom } from '../cancellation';
import {
  describeEnd,
  progressMessage,
  progressPercent,
  routeSync,
  s3ProgressView,
  s3SummaryText,
  treeProgressView,
  treeSummaryText,
  type SyncEnd,
  type SyncProgressView,
  type SyncRoute,
} from '../sync/syncPlan';
import type { CommandContext } from './commandContext';

type EndItem = vscode.QuickPickItem & { pick?: () => Promise<SyncEnd> };

function sshConfigFile(ctx: CommandContext): string {
  return ctx.services.env().FERRY_SSH_CONFIG || path.join(os.homedir(), '.ssh', 'config');
}

async function sshAliases(ctx: CommandContext): Promise<string[]> {
  const text = await readFile(sshConfigFile(ctx), 'utf8').catch(() => '');
  if (!text.trim()) return [];
  const { sshHostAliases } = await import('../../core/offers/localHosts');
  try {
    return sshHostAliases(text);
  } catch (err) {
    ctx.services.logger.warn(`ssh config ${sshConfigFile(ctx)}: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
}

async function askText(title: string, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string> {
  const v = await vscode.window.showInputBox({ title, prompt, value, ignoreFocusOut: true, validateInput: validate });
  if (v === undefined) throw new CancelledError();
  return v.trim();
}

/** One end of the sync: a local folder, a host from the ssh config and a path on it, or an S3 prefix. */
async function pickEnd(ctx: CommandContext, step: 'from' | 'to', suggested: string | undefined, other?: SyncEnd): Promise<SyncEnd> {
  const title = `Ferry: Sync Data (${step === 'from' ? '1/2' : '2/2'}): ${step === 'from' ? 'copy from' : 'copy to'}`;
  const items: EndItem[] = [];
  const wantLocal = other === undefined || other.kind !== 'local';
  if (wantLocal) {
    items.push({ label: 'This machine', kind: vscode.QuickPickItemKind.Separator });
    if (suggested) items.push({ label: `$(folder) ${path.basename(suggested) || suggested}`, description: suggested, pick: async () => ({ kind: 'local', path: suggested }) });
    items.push({
      label: '$(folder-opened) Choose a local folder...',
      pick: async () => {
        const uris = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, openLabel: step === 'from' ? 'Copy from here' : 'Copy to here', ...(suggested ? { defaultUri: vscode.Uri.file(suggested) } : {}) });
        const dir = uris?.[0]?.fsPath;
        if (!dir) throw new CancelledError();
        return { kind: 'local', path: dir };
      },
    });
  }
  if (other === undefined || other.kind === 'local') {
    const aliases = await sshAliases(ctx);
    items.push({ label: 'SSH hosts', kind: vscode.QuickPickItemKind.Separator });
    const base = other?.kind === 'local' ? path.basename(other.path) : '';
    for (const alias of aliases) {
      items.push({
        label: `$(remote) ${alias}`,
        description: `from ${path.basename(sshConfigFile(ctx))}`,
        pick: async () => {
          const p = await askText(`${title}: path on ${alias}`, `A folder on ${alias} (relative paths are under the login's home)`, base || 'data', (v) => (v.trim() ? undefined : 'Which folder on the host?'));
          return { kind: 'ssh', alias, path: p };
        },
      });
    }
    if (aliases.length === 0) items.push({ label: 'No Host entries in the ssh config', description: sshConfigFile(ctx) });
    items.push({ label: 'S3', kind: vscode.QuickPickItemKind.Separator });
    items.push({
      label: '$(cloud) S3 bucket...',
      description: 's3://bucket/prefix',
      pick: async () => {
        const { parseS3Uri } = await import('../../core/s3/uri');
        const uri = await askText(`${title}: S3 location`, 'An S3 location (credentials: the AWS environment or profile)', 's3://', (v) => {
          try {
            parseS3Uri(v.trim());
            return undefined;
          } catch (err) {
            return err instanceof Error ? err.message : String(err);
          }
        });
        return { kind: 's3', uri };
      },
    });
  }
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder: step === 'from' ? 'Where is the data now?' : `Where should ${other ? describeEnd(other) : 'it'} go?`, ignoreFocusOut: true, matchOnDescription: true });
  if (!picked) throw new CancelledError();
  if (!picked.pick) return pickEnd(ctx, step, suggested, other);
  return picked.pick();
}

/**
 * Sync Data...: pick where the data is and where it goes (a local folder, a host from the ssh
 * config and a path on it, or s3://bucket/prefix), then core's syncTree or S3 sync copies only
 * what changed, in a cancellable notification with files, bytes and rate, and the summary.
 */
export async function syncData(ctx: CommandContext, node?: unknown): Promise<void> {
  if (!vscode.workspace.isTrusted) throw new UserError('Ferry does not sync from an untrusted workspace', { hint: 'trust the workspace first (Manage Workspace Trust)' });
  const suggested = node instanceof vscode.Uri ? node.fsPath : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const from = await pickEnd(ctx, 'from', suggested);
  const to = await pickEnd(ctx, 'to', from.kind === 'local' ? undefined : suggested, from);
  const route = routeSync(from, to);
  if ('error' in route) throw new UserError(route.error);
  const summary = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Ferry: syncing ${describeEnd(from)} -> ${describeEnd(to)}`, cancellable: true },
    async (progress, token) => {
      const { signal, dispose } = abortSignalFrom(token);
      let lastPct = 0;
      const report = (p: SyncProgressView): void => {
        const pct = progressPercent(p);
        const increment = pct === undefined ? undefined : Math.max(0, pct - lastPct);
        if (pct !== undefined) lastPct = Math.max(lastPct, pct);
        progress.report({ message: progressMessage(p), ...(increment ? { increment } : {}) });
      };
      progress.report({ message: 'comparing...' });
      try {
        return await runRoute(ctx, route, from, to, signal, report);
      } finally {
        dispose();
      }
    },
  );
  ctx.services.logger.info(summary);
  void vscode.window.showInformationMessage(`Ferry: ${summary}`);
}

async function runRoute(ctx: CommandContext, route: SyncRoute, from: SyncEnd, to: SyncEnd, signal: AbortSignal, report: (p: SyncProgressView) => void): Promise<string> {
  const { services } = ctx;
  if (route.engine === 's3') {
    const { syncLocalToS3, syncS3ToLocal } = await import('../../core/s3');
    const opts = { signal, logger: services.logger, s3: { env: services.env() }, stateDir: path.join(services.home, 's3'), onProgress: (p: Parameters<typeof s3ProgressView>[0]) => report(s3ProgressView(p)) };
    const s = route.direction === 'upload' ? await syncLocalToS3(route.local, route.uri, opts) : await syncS3ToLocal(route.uri, route.local, opts);
    return s3SummaryText(describeEnd(from), describeEnd(to), s);
  }
  const [{ SshPool }, { syncTree }] = await Promise.all([import('../../core/remote/pool'), import('../../core/sync/sync')]);
  const env = services.env();
  const pool = new SshPool({ confirmHostKey: services.confirmHostKey, passphrase: services.passphrase, logger: services.logger, env, ...(env.FERRY_SSH_CONFIG ? { configPath: env.FERRY_SSH_CONFIG } : {}) });
  try {
    const remote = { conn: pool.get(route.alias), path: route.remotePath };
    const s = await syncTree({
      from: route.direction === 'upload' ? route.local : remote,
      to: route.direction === 'upload' ? remote : route.local,
      signal,
      logger: services.logger,
      onProgress: (p) => report(treeProgressView(p)),
    });
    for (const k of s.skipped) services.logger.warn(`sync skipped ${k.path}: ${k.reason}`);
    return treeSummaryText(s);
  } finally {
    pool.closeAll();
  }
}
