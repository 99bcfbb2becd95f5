import * as vscode from 'vscode';
import { CancelledError, errorMessage } from '../../core/util/errors';
import { StateKeys } from '../ids';
import { FILTER_EXAMPLE, parseOfferFilter, rememberFilter } from '../offers/offerFilter';
import type { CommandContext } from './commandContext';

/**
 * Filter: the `ferry offers` query grammar in one box, the last filters offered again.
 * An invalid filter is explained in the picker and not applied.
 */
export async function filterOffers(ctx: CommandContext): Promise<void> {
  const state = ctx.services.context.globalState;
  const history = state.get<string[]>(StateKeys.offersFilterHistory, []);
  const qp = vscode.window.createQuickPick();
  qp.title = 'Filter GPU offers';
  qp.placeholder = `e.g. ${FILTER_EXAMPLE}`;
  qp.value = ctx.offersView.filterText();
  const baseItems = (): vscode.QuickPickItem[] => [
    ...history.map((h) => ({ label: h, description: 'recent' })),
    ...(ctx.offersView.filterText() ? [{ label: '$(clear-all) Clear the filter', description: '', alwaysShow: true }] : []),
  ];
  const update = () => {
    const v = qp.value.trim();
    let problem: string | undefined;
    if (v) {
      try {
        parseOfferFilter(v);
      } catch (err) {
        problem = errorMessage(err);
      }
    }
    const typed: vscode.QuickPickItem[] = v
      ? [{ label: problem ? `$(error) ${v}` : `$(filter) ${v}`, description: problem ?? 'apply this filter', alwaysShow: true }]
      : [];
    qp.items = [...typed, ...baseItems().filter((i) => i.label !== v)];
  };
  qp.onDidChangeValue(update);
  update();
  const picked = await new Promise<string | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const sel = qp.selectedItems[0];
      if (!sel) return resolve(qp.value);
      if (sel.label.startsWith('$(clear-all)')) return resolve('');
      resolve(sel.label.replace(/^\$\((filter|error)\) /, ''));
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (picked === undefined) throw new CancelledError();
  const text = picked.trim();
  if (text) parseOfferFilter(text); // a bad filter ends here, shown by the command wrapper
  await state.update(StateKeys.offersFilterHistory, rememberFilter(history, text));
  await ctx.offersView.setFilter(text);
}
