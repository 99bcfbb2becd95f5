/**
 * Plain values both sides of the dashboard need. Kept apart from dashboardProtocol.ts so the
 * browser bundle can import them without pulling in zod (the webview validates nothing: the
 * host does, habit 18).
 */
export { COST_RANGES, type CostRange } from '../core/cost/dashboardTypes';

/** The webview panel's viewType; also the serializer's, and `onWebviewPanel:ferry.dashboard`. */
export const DASHBOARD_VIEW_TYPE = 'ferry.dashboard';
export const DASHBOARD_TITLE = 'Ferry: Cost & Checkpoints';

/** Columns of the jobs table the webview can sort by. */
export const JOB_SORT_KEYS = ['name', 'provider', 'gpu', 'state', 'duration', 'price', 'cost', 'recoveries', 'gpuUtil', 'started'] as const;
export type JobSortKey = (typeof JOB_SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

/** What the host may push at most this often (issue 6: at most 2 updates a second). */
export const MIN_PUSH_INTERVAL_MS = 500;
