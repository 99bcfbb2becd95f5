import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { checkpointsDir, jobDir, outputsDir } from '../../core/jobs/paths';
import { errorMessage } from '../../core/util/errors';
import { jobsFromArgs } from '../pickers';
import type { CommandContext } from './commandContext';

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Download Checkpoints/Outputs: copies home what has no local copy yet (checkpoints a remote
 * target still holds), then shows where they are, with Reveal and Copy into Workspace.
 */
export async function downloadArtifacts(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const [job] = await jobsFromArgs(ctx, node, nodes, { filter: (j) => j.checkpoints.length > 0 || j.outputs.length > 0 || j.attempts.length > 0, placeHolder: 'Download the checkpoints and outputs of which job?', none: 'Ferry: no job has checkpoints or outputs yet.' });
  if (!job) return;
  const { services } = ctx;
  const missing = job.checkpoints.filter((c) => !c.locations.some((l) => l.kind === 'local'));
  if (missing.length > 0) {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Ferry: copying ${missing.length} checkpoint(s) of ${job.name} home`, cancellable: true }, async (progress, token) => {
      const attempt = job.attempts[job.attempts.length - 1];
      if (!attempt?.handle) return;
      const target = await services.targetFor(job.target);
      const running = await target.attach(job, attempt);
      for (const c of missing) {
        if (token.isCancellationRequested) break;
        progress.report({ message: c.name, increment: 100 / missing.length });
        try {
          const local = await running.fetchCheckpoint(c.name, checkpointsDir(services.home, job.id));
          await services.store.update(job.id, (r) => {
            const rec = r.checkpoints.find((x) => x.name === c.name && x.attempt === c.attempt);
            if (rec && !rec.locations.some((l) => l.kind === 'local')) rec.locations.push({ kind: 'local', uri: local });
          });
        } catch (err) {
          services.logger.warn(`checkpoint ${c.name} of ${job.id}: ${errorMessage(err)}`);
        }
      }
    });
  }
  const folders = [checkpointsDir(services.home, job.id), outputsDir(services.home, job.id)];
  const present: string[] = [];
  for (const f of folders) if (await exists(f)) present.push(f);
  if (present.length === 0) {
    void vscode.window.showInformationMessage(`Ferry: ${job.name} has no checkpoints or outputs at home yet.`);
    return;
  }
  const where = jobDir(services.home, job.id);
  const choice = await vscode.window.showInformationMessage(
    `Ferry: the checkpoints and outputs of ${job.name} are in ${where}`,
    'Copy into Workspace',
    'Reveal',
  );
  if (choice === 'Reveal') {
    const first = present[0];
    if (first) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(first));
  }
  if (choice === 'Copy into Workspace') {
    const ws = vscode.workspace.workspaceFolders?.[0];
    if (!ws) {
      void vscode.window.showWarningMessage('Ferry: open a folder to copy the results into.');
      return;
    }
    const dest = path.join(ws.uri.fsPath, 'ferry-results', `${job.name}-${job.id}`);
    for (const f of present) await fs.cp(f, path.join(dest, path.basename(f)), { recursive: true });
    await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(dest));
  }
}
