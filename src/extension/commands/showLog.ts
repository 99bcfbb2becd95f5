import type { CommandContext } from './commandContext';

/** Opens the Ferry log channel (errors point here). */
export async function showLog(ctx: CommandContext): Promise<void> {
  ctx.services.channel.show(true);
}
