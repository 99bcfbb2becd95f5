import * as vscode from 'vscode';
import { Settings, type SettingId } from './ids';
import type { GroupBy } from './offers/offerView';

/** The settings Ferry reads, typed, with defaults; read fresh each time (they may change). */
export interface FerrySettings {
  home: string;
  localPricePerHour: number;
  sshPrices: Record<string, number>;
  sshGpus: Record<string, { name: string; count: number; memoryGb?: number }>;
  sshConfigFile: string;
  managedSshConfigFile: string;
  maxPricePerHour: number | undefined;
  monthlyBudget: number | undefined;
  budgetWarnFraction: number;
  stopGraceSeconds: number;
  offersRefreshMinutes: number;
  offersGroupBy: GroupBy;
  offersPerGroup: number;
  jobsRefreshSeconds: number;
  baseUrls: { vast: string; runpod: string; lambda: string };
}

function get<T>(id: SettingId, fallback: T): T {
  const v = vscode.workspace.getConfiguration().get<T>(id);
  return v === undefined || v === null ? fallback : v;
}

function num(id: SettingId, fallback: number, min = 0): number {
  const v = get<unknown>(id, fallback);
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : fallback;
}

function record<T>(id: SettingId, ok: (v: unknown) => v is T): Record<string, T> {
  const v = get<unknown>(id, {});
  const out: Record<string, T> = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [k, x] of Object.entries(v)) if (ok(x)) out[k] = x;
  return out;
}

const isPrice = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isGpu = (v: unknown): v is { name: string; count: number; memoryGb?: number } =>
  typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' && typeof (v as { count?: unknown }).count === 'number';

export function readSettings(): FerrySettings {
  const groupBy = get<string>(Settings.offersGroupBy, 'provider');
  const monthly = num(Settings.monthlyBudget, 0);
  const maxPrice = num(Settings.maxPricePerHour, 0);
  return {
    home: get<string>(Settings.home, '').trim(),
    localPricePerHour: num(Settings.localPricePerHour, 0),
    sshPrices: record(Settings.sshPrices, isPrice),
    sshGpus: record(Settings.sshGpus, isGpu),
    sshConfigFile: get<string>(Settings.sshConfigFile, '').trim(),
    managedSshConfigFile: get<string>(Settings.managedSshConfigFile, '').trim(),
    maxPricePerHour: maxPrice > 0 ? maxPrice : undefined,
    monthlyBudget: monthly > 0 ? monthly : undefined,
    budgetWarnFraction: Math.min(0.99, Math.max(0.01, num(Settings.budgetWarnFraction, 0.8))),
    stopGraceSeconds: num(Settings.stopGraceSeconds, 10),
    offersRefreshMinutes: num(Settings.offersRefreshMinutes, 10, 1),
    offersGroupBy: groupBy === 'gpu' ? 'gpu' : 'provider',
    offersPerGroup: Math.round(num(Settings.offersPerGroup, 10, 1)),
    jobsRefreshSeconds: num(Settings.jobsRefreshSeconds, 15, 1),
    baseUrls: {
      vast: get<string>(Settings.vastBaseUrl, '').trim(),
      runpod: get<string>(Settings.runpodBaseUrl, '').trim(),
      lambda: get<string>(Settings.lambdaBaseUrl, '').trim(),
    },
  };
}
