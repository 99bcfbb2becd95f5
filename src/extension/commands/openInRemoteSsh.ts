import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { UserError } from '../../core/util/errors';
import { REMOTE_SSH_EXTENSION } from '../ids';
import { jobsFromArgs } from '../pickers';
import { configIncludes, defaultManagedConfigPath, hostEntryForJob, includeLine, remoteFolder, writeManagedEntry } from '../ssh/managedSshConfig';
import type { CommandContext } from './commandContext';

/**
 * Open in Remote-SSH: writes a `Host ferry-...` entry into the Ferry-managed ssh config (never
 * into the user's own), says how to include it when it is not, then opens the job's remote
 * folder with the Remote-SSH extension, or says how to get that extension.
 */
export async function openInRemoteSsh(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const [job] = await jobsFromArgs(ctx, node, nodes, { filter: (j) => j.target !== 'local', placeHolder: 'Open the machine of which job in Remote-SSH?', none: 'Ferry: no job runs on an SSH host or cloud instance.' });
  if (!job) return;
  const s = ctx.services.settings();
  const { resolveHost } = await import('../../core/remote/sshConfig');
  const env = ctx.services.env();
  const entry = hostEntryForJob(job, (a) => resolveHost(a, { env }));
  if (!entry) throw new UserError(`${job.name} has no machine to connect to (yet)`);
  const managed = s.managedSshConfigFile || defaultManagedConfigPath();
  await writeManagedEntry(managed, entry);
  ctx.services.logger.info(`wrote Host ${entry.name} into ${managed}`);

  const userConfig = env.FERRY_SSH_CONFIG || path.join(os.homedir(), '.ssh', 'config');
  const text = await fs.readFile(userConfig, 'utf8').catch(() => '');
  if (!configIncludes(text, managed)) {
    const line = includeLine(managed);
    const choice = await vscode.window.showWarningMessage(
      `Ferry wrote "Host ${entry.name}" into ${managed}. For Remote-SSH and ssh to find it, ${userConfig} needs the line "${line}" at its top.`,
      'Add the Line',
      'Copy the Line',
      'Continue',
    );
    if (choice === undefined) return;
    if (choice === 'Add the Line') {
      await fs.mkdir(path.dirname(userConfig), { recursive: true, mode: 0o700 });
      await fs.writeFile(userConfig, `${line}\n\n${text}`, { mode: 0o600 });
    }
    if (choice === 'Copy the Line') await vscode.env.clipboard.writeText(line);
  }

  if (!vscode.extensions.getExtension(REMOTE_SSH_EXTENSION)) {
    const choice = await vscode.window.showInformationMessage(
      `Opening ${job.name}'s machine needs the Remote - SSH extension (${REMOTE_SSH_EXTENSION}). Meanwhile: ssh ${entry.name}`,
      'Show the Extension',
    );
    if (choice) await vscode.commands.executeCommand('workbench.extensions.search', REMOTE_SSH_EXTENSION);
    return;
  }
  const folder = remoteFolder(job.attempts[job.attempts.length - 1]) ?? '~';
  const remotePath = folder.startsWith('/') ? folder : '/root';
  const uri = vscode.Uri.parse(`vscode-remote://ssh-remote+${entry.name}${remotePath}`);
  await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
}
