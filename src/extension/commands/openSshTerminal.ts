import * as vscode from 'vscode';
import { shQuote } from '../../core/util/quote';
import { UserError } from '../../core/util/errors';
import { jobsFromArgs } from '../pickers';
import { defaultManagedConfigPath, hostEntryForJob, remoteFolder, writeManagedEntry } from '../ssh/managedSshConfig';
import type { CommandContext } from './commandContext';

/** Open SSH Terminal: `ssh` to the machine the job runs on, in its run folder. */
export async function openSshTerminal(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const [job] = await jobsFromArgs(ctx, node, nodes, { filter: (j) => j.target !== 'local', placeHolder: 'Open a terminal on the machine of which job?', none: 'Ferry: no job runs on an SSH host or cloud instance.' });
  if (!job) return;
  const s = ctx.services.settings();
  const { resolveHost } = await import('../../core/remote/sshConfig');
  const env = ctx.services.env();
  const folder = remoteFolder(job.attempts[job.attempts.length - 1]);
  let args: string[];
  if (job.target.startsWith('ssh:')) {
    const cfg = env.FERRY_SSH_CONFIG;
    args = [...(cfg ? ['-F', cfg] : []), job.target.slice(4)];
  } else {
    const entry = hostEntryForJob(job, (a) => resolveHost(a, { env }));
    if (!entry) throw new UserError(`${job.name} has no machine to connect to (yet)`, { hint: 'the instance may not be up, or it was released when the job ended' });
    const file = s.managedSshConfigFile || defaultManagedConfigPath();
    await writeManagedEntry(file, entry);
    args = ['-F', file, entry.name];
  }
  if (folder) args.push('-t', `cd ${shQuote(folder)} && exec "$SHELL" -l`);
  const terminal = vscode.window.createTerminal({ name: `Ferry SSH: ${job.name}`, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('remote') });
  terminal.show();
}
