import { runFlow } from '../run/runFlow';
import type { CommandContext } from './commandContext';

/** Run Locally...: the same flow on this machine, no target picker. */
export async function runLocally(ctx: CommandContext, node?: unknown): Promise<void> {
  await runFlow(ctx, node, 'local');
}
