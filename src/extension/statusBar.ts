import * as vscode from 'vscode';
import { DashboardIds } from './ids';
import type { Services } from './services';
import { statusBarView } from './statusBarModel';

/** `$(cloud) 2 running · $1.23 · $0.80/h`; warning colors past the budget's warning fraction. */
export function registerStatusBar(services: Services): void {
  const item = vscode.window.createStatusBarItem('ferry.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Ferry';
  item.command = DashboardIds.open;
  const update = () => {
    const s = services.settings();
    const v = statusBarView(services.jobs.jobs, new Date(), { monthlyBudget: s.monthlyBudget, warnFraction: s.budgetWarnFraction });
    if (!v.visible) {
      item.hide();
      return;
    }
    item.text = v.text;
    item.tooltip = v.tooltip;
    item.backgroundColor = v.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.show();
  };
  // Cost moves with the clock while something runs: a slow tick, cheap (no disk reads).
  const ticker = setInterval(update, 30_000);
  services.context.subscriptions.push(item, services.jobs.onDidChange(update), { dispose: () => clearInterval(ticker) });
  update();
}
