import type { CommandContext } from './commandContext';

/** Refresh (and Retry on an error node): asks every provider again, cached lists or not. */
export async function refreshOffers(ctx: CommandContext): Promise<void> {
  await ctx.offersView.refresh(true);
}
