import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { shQuote } from '../../core/util/quote';
import { UserError } from '../../core/util/errors';
import { jobsFromArgs } from '../pickers';
import { defaultManagedConfigPath, remoteFolder, sshReachForJob, writeManagedEntry } from '../ssh/managedSshConfig';
import type { CommandContext } from './commandContext';

/**
 * Open SSH Terminal: `ssh` to the machine the job runs on, in its run folder. An SSH host goes
 * by its alias (through the configured ssh config); a cloud instance by the config file the
 * cloud target wrote for it, or a Host entry in the Ferry-managed config built from its handle.
 */
export async function openSshTerminal(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const [job] = await jobsFromArgs(ctx, node, nodes, { filter: (j) => j.target !== 'local', placeHolder: 'Open a terminal on the machine of which job?', none: 'Ferry: no job runs on an SSH host or cloud instance.' });
  if (!job) return;
  const reach = sshReachForJob(job, existsSync);
  if (!reach) throw new UserError(`${job.name} has no machine to connect to (yet)`, { hint: 'the instance may not be up, or it was released when the job ended' });
  let args: string[];
  if (reach.kind === 'alias') {
    const cfg = ctx.services.env().FERRY_SSH_CONFIG;
    args = [...(cfg ? ['-F', cfg] : []), reach.alias];
  } else if (reach.kind === 'config') {
    args = ['-F', reach.configFile, reach.alias];
  } else {
    const file = ctx.services.settings().managedSshConfigFile || defaultManagedConfigPath();
    await writeManagedEntry(file, reach.entry);
    args = ['-F', file, reach.entry.name];
  }
  const known = ctx.services.env().FERRY_KNOWN_HOSTS;
  if (known) args.unshift('-o', `UserKnownHostsFile=${known}`);
  const folder = remoteFolder(job.attempts[job.attempts.length - 1]);
  if (folder) args.push('-t', `cd ${shQuote(folder)} && exec "$SHELL" -l`);
  const terminal = vscode.window.createTerminal({ name: `Ferry SSH: ${job.name}`, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('remote') });
  terminal.show();
}
