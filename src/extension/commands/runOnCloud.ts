import { runFlow } from '../run/runFlow';
import type { CommandContext } from './commandContext';

/** Run on Cloud GPU...: pick a target (offers, SSH hosts, this machine), confirm the cost, run. */
export async function runOnCloud(ctx: CommandContext, node?: unknown): Promise<void> {
  await runFlow(ctx, node, 'cloud');
}
