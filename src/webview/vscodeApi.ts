/// <reference lib="dom" />
import { COST_RANGES, JOB_SORT_KEYS } from '../shared/dashboardConstants';
import type { DashboardUiState, HostToWebview, WebviewToHost } from '../shared/dashboardProtocol';

/** What `acquireVsCodeApi()` returns inside a VS Code webview (and the test harness's stand-in). */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

/** Messages without their request id: `send` adds one. */
export type Outgoing = WebviewToHost extends infer M ? (M extends { requestId: string } ? Omit<M, 'requestId'> : never) : never;

let counter = 0;
const prefix = Math.random().toString(36).slice(2, 8);

export function newRequestId(): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export class HostChannel {
  constructor(private readonly api: VsCodeApi) {}

  /** Posts a message with a fresh request id and returns the id. */
  send(msg: Outgoing): string {
    const requestId = newRequestId();
    this.api.postMessage({ ...msg, requestId });
    return requestId;
  }

  /** The saved UI state, checked by hand (no zod in the browser bundle); anything odd is dropped. */
  loadUiState(): DashboardUiState {
    const raw = this.api.getState();
    if (typeof raw !== 'object' || raw === null) return {};
    const r = raw as Record<string, unknown>;
    const out: DashboardUiState = {};
    if (typeof r.selectedJobId === 'string' || r.selectedJobId === null) out.selectedJobId = r.selectedJobId;
    const range = COST_RANGES.find((x) => x === r.range);
    if (range) out.range = range;
    const sort = r.sort as { key?: unknown; dir?: unknown } | undefined;
    const key = JOB_SORT_KEYS.find((k) => k === sort?.key);
    if (key && (sort?.dir === 'asc' || sort?.dir === 'desc')) out.sort = { key, dir: sort.dir };
    return out;
  }

  saveUiState(ui: DashboardUiState): void {
    this.api.setState(ui);
  }

  onMessage(handler: (msg: HostToWebview) => void): void {
    window.addEventListener('message', (ev: MessageEvent) => {
      const data: unknown = ev.data;
      if (typeof data !== 'object' || data === null) return;
      const type = (data as { type?: unknown }).type;
      if (type === 'state' || type === 'selected' || type === 'ack') handler(data as HostToWebview);
    });
  }
}
