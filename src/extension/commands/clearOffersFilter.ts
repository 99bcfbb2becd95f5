import type { CommandContext } from './commandContext';

export async function clearOffersFilter(ctx: CommandContext): Promise<void> {
  await ctx.offersView.setFilter('');
}
