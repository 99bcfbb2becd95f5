/// <reference lib="dom" />
import uPlot from 'uplot';
import type { CostChart } from '../core/cost/dashboardTypes';

/**
 * The "cost over time" chart: cumulative spend per job (uPlot), each job's budget.max_cost as a
 * dashed line in the job's color. Colors come from the theme's --vscode-charts-* variables and
 * the chart is rebuilt when the theme changes (VS Code swaps the body class and the variables).
 */

const PALETTE_VARS = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'].map((c) => `--vscode-charts-${c}`);
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim() || getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

function palette(): string[] {
  return PALETTE_VARS.map((v, i) => cssVar(v, FALLBACK[i] ?? '#888'));
}

const tickUsd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });

export class CostChartView {
  private plot: uPlot | undefined;
  private shape = '';
  private readonly observer: ResizeObserver;
  private last: { chart: CostChart; selected: string | null } | undefined;

  constructor(private readonly host: HTMLElement) {
    this.observer = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize({ width: this.width(), height: this.height() });
    });
    this.observer.observe(host);
    // VS Code changes the theme by swapping body classes and the --vscode-* variables.
    new MutationObserver(() => this.rebuild()).observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-id'] });
  }

  private width(): number {
    return Math.max(240, Math.floor(this.host.clientWidth || 600));
  }

  private height(): number {
    return 260;
  }

  update(chart: CostChart, selected: string | null): void {
    this.last = { chart, selected };
    const shape = JSON.stringify([chart.range, selected, chart.series.map((s) => [s.jobId, s.name, s.budget])]);
    const data = toData(chart);
    if (this.plot && shape === this.shape) {
      this.plot.setData(data);
      return;
    }
    this.shape = shape;
    this.draw(chart, selected, data);
  }

  rebuild(): void {
    if (this.last) {
      this.shape = '';
      this.update(this.last.chart, this.last.selected);
    }
  }

  private draw(chart: CostChart, selected: string | null, data: uPlot.AlignedData): void {
    this.plot?.destroy();
    this.plot = undefined;
    const colors = palette();
    const fg = cssVar('--vscode-foreground', '#cccccc');
    const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)');
    const series: uPlot.Series[] = [{ label: 'Time' }];
    chart.series.forEach((s, i) => {
      series.push({
        label: s.budget === null ? s.name : `${s.name} (budget ${tickUsd.format(s.budget)})`,
        stroke: colors[i % colors.length],
        width: s.jobId === selected ? 3 : 1.5,
        points: { show: false },
        value: (_u, v) => (v === null || v === undefined ? '—' : tickUsd.format(v)),
      });
    });
    // Budgets are dashed lines in their job's color, drawn under the curves; the y scale
    // always reaches the highest one so a line is never off the chart.
    const budgets = chart.series.map((s, i) => ({ value: s.budget, color: colors[i % colors.length] ?? fg }));
    const topBudget = Math.max(0, ...budgets.map((b) => b.value ?? 0));
    const drawBudgets = (u: uPlot): void => {
      const ctx = u.ctx;
      ctx.save();
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.lineWidth = devicePixelRatio;
      for (const b of budgets) {
        if (b.value === null) continue;
        const y = Math.round(u.valToPos(b.value, 'y', true));
        ctx.strokeStyle = b.color;
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y);
        ctx.lineTo(u.bbox.left + u.bbox.width, y);
        ctx.stroke();
      }
      ctx.restore();
    };
    const axis = (values?: uPlot.Axis['values']): uPlot.Axis => ({
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      ...(values ? { values } : {}),
    });
    const opts: uPlot.Options = {
      width: this.width(),
      height: this.height(),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max, topBudget) > 0 ? Math.max(max, topBudget) * 1.08 : 1] } },
      axes: [axis(), { ...axis((_u, vals) => vals.map((v) => tickUsd.format(v))), size: 64 }],
      series,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      hooks: { drawAxes: [drawBudgets] },
    };
    this.plot = new uPlot(opts, data, this.host);
  }

  dispose(): void {
    this.observer.disconnect();
    this.plot?.destroy();
  }
}

function toData(chart: CostChart): uPlot.AlignedData {
  return [chart.xs, ...chart.series.map((s) => s.values)] as uPlot.AlignedData;
}
