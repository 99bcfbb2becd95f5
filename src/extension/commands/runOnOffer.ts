import { UserError } from '../../core/util/errors';
import type { OfferNode } from '../offers/offerView';
import { runFlow } from '../run/runFlow';
import type { CommandContext } from './commandContext';

function isOfferNode(v: unknown): v is Extract<OfferNode, { kind: 'offer' }> {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'offer' && 'offer' in v;
}

/** "Run here..." on an offer: pick what to run (active editor, or a file), then the usual flow. */
export async function runOnOffer(ctx: CommandContext, node?: unknown): Promise<void> {
  if (!isOfferNode(node)) throw new UserError('pick an offer in the GPU Offers view first');
  await runFlow(ctx, undefined, node.offer.provider === 'local' ? 'local' : 'cloud', node.offer);
}
