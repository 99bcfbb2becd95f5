import * as vscode from 'vscode';
import { isActive } from '../../core/jobs/stateMachine';
import { stopJobRecord } from '../jobs/jobActions';
import { jobsFromArgs } from '../pickers';
import type { CommandContext } from './commandContext';

/**
 * Stop Job...: what `ferry stop` does. A job this window follows is stopped through its
 * runner (so the runner ends it and brings the checkpoints home); any other is marked
 * CANCELLED and signalled here.
 */
export async function stopJob(ctx: CommandContext, node?: unknown, nodes?: unknown): Promise<void> {
  const jobs = await jobsFromArgs(ctx, node, nodes, { filter: (j) => isActive(j.state), placeHolder: 'Stop which job?', canPickMany: true, none: 'Ferry: no job is running.' });
  const { services } = ctx;
  const graceMs = services.settings().stopGraceSeconds * 1000;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Ferry: stopping ${jobs.map((j) => j.name).join(', ')}` }, async () => {
    await Promise.all(
      jobs.map(async (j) => {
        const here = services.controllers.isFollowing(j.id);
        const done = here ? services.controllers.whenDone(j.id) : undefined;
        if (here) {
          services.controllers.cancel(j.id);
          await done?.catch(() => undefined);
        } else {
          await stopJobRecord(services, j.id, graceMs, false);
        }
        services.logger.info(`stopped ${j.name} (${j.id})`);
      }),
    );
  });
  await services.jobs.refresh();
}
