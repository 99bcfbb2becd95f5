import { z } from 'zod';
import type { DashboardViewModel } from '../core/cost/dashboardTypes';
import { COST_RANGES, JOB_SORT_KEYS } from './dashboardConstants';

/**
 * The Cost & Checkpoints dashboard's message protocol (STYLE.md habit 18): one discriminated
 * union each way, imported by the host and the webview. The host parses everything the webview
 * sends with these schemas before acting on it; a message that does not parse is logged and
 * dropped. Every webview request carries a `requestId`; the host answers actions with an `ack`
 * holding the same id.
 *
 * Handshake: the webview posts `ready` (with its saved UI state) once its script runs; the host
 * answers with `state`, and pushes `state` again on every job-store change (throttled). The
 * webview never polls.
 */

const requestId = z.string().min(1).max(64);
// Job ids are folder names in the store (paths.ts SAFE_ID); anything else is refused here already.
const jobId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'not a job id');
// A checkpoint name is one path segment inside FERRY_CHECKPOINT_DIR.
const checkpointName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !/[\\/\0]/.test(s) && s !== '.' && s !== '..', 'not a checkpoint name');
const range = z.enum(COST_RANGES);

/** What the webview keeps in `vscode.setState` (habit 19: UI state only, never data). */
export const DashboardUiStateSchema = z.object({
  selectedJobId: jobId.nullable().optional(),
  range: range.optional(),
  sort: z.object({ key: z.enum(JOB_SORT_KEYS), dir: z.enum(['asc', 'desc']) }).optional(),
});
export type DashboardUiState = z.infer<typeof DashboardUiStateSchema>;

export const WebviewToHostSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), requestId, ui: DashboardUiStateSchema.optional() }),
  z.strictObject({ type: z.literal('selectJob'), requestId, jobId: jobId.nullable() }),
  z.strictObject({ type: z.literal('setRange'), requestId, range }),
  z.strictObject({ type: z.literal('downloadCheckpoint'), requestId, jobId, checkpoint: checkpointName }),
  z.strictObject({ type: z.literal('resumeFrom'), requestId, jobId, checkpoint: checkpointName }),
  z.strictObject({ type: z.literal('revealCheckpoint'), requestId, jobId, checkpoint: checkpointName }),
  z.strictObject({ type: z.literal('openJobLogs'), requestId, jobId }),
  z.strictObject({ type: z.literal('runLocally'), requestId }),
]);
export type WebviewToHost = z.infer<typeof WebviewToHostSchema>;
export type WebviewToHostType = WebviewToHost['type'];

/** Host -> webview. Built by the host only, so typed but not parsed. */
export type HostToWebview =
  | { type: 'state'; state: DashboardViewModel }
  /** Select a job (the Jobs tree's "Show in Dashboard", or a restore). */
  | { type: 'selected'; jobId: string | null }
  /** The outcome of an action request. */
  | { type: 'ack'; requestId: string; ok: boolean; message?: string };

export type ParsedWebviewMessage = { ok: true; message: WebviewToHost } | { ok: false; error: string };

/** Parses a message from the webview; never throws. */
export function parseWebviewMessage(raw: unknown): ParsedWebviewMessage {
  const r = WebviewToHostSchema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String((raw as { type: unknown }).type).slice(0, 40) : typeof raw;
  const issues = r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`);
  return { ok: false, error: `${type}: ${issues.join('; ')}` };
}

/** Parses a saved UI state (the serializer's argument); bad or missing state gives {}. */
export function parseUiState(raw: unknown): DashboardUiState {
  const r = DashboardUiStateSchema.safeParse(raw);
  return r.success ? r.data : {};
}
