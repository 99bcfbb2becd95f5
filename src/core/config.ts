import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { closestMatch } from './spec/suggest';
import { UserError, errorMessage } from './util/errors';

/**
 * The CLI's own settings, `$FERRY_HOME/config.yaml` (the extension has the same values as VS Code
 * settings and passes them in). Environment variables win over the file.
 *
 *   monthly_budget: 200          # USD; a launch that could pass it needs --yes, reaching it stops jobs
 *   local_price_per_hour: 0      # what an hour on this machine costs
 *   ssh_prices: {gpu-box: 0.40}  # $/hour of your own SSH hosts, by alias
 *   slurm_prices: {login: 0.5}  # $/GPU-hour of Slurm clusters, by login-node alias
 */
export const configSchema = z.strictObject({
  monthly_budget: z.number().positive().optional(),
  local_price_per_hour: z.number().min(0).optional(),
  ssh_prices: z.record(z.string(), z.number().min(0)).optional(),
  slurm_prices: z.record(z.string(), z.number().min(0)).optional(),
  budget_warn_fraction: z.number().gt(0).lt(1).optional(),
});

export interface FerryConfig {
  monthlyBudget?: number;
  localPricePerHour: number;
  sshPrices: Record<string, number>;
  /** $/GPU-hour of Slurm clusters, by login-node alias (default 0: clusters you do not pay by the hour). */
  slurmPrices: Record<string, number>;
  /** Fraction of a budget at which Ferry warns (default 0.8). */
  budgetWarnFraction: number;
}

export function configFile(home: string): string {
  return path.join(home, 'config.yaml');
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`${name} must be a number >= 0, got "${raw}"`);
  return n;
}

/** Reads config.yaml (absent = defaults) and applies FERRY_MONTHLY_BUDGET / FERRY_LOCAL_PRICE_PER_HOUR. */
export async function loadConfig(home: string, env: NodeJS.ProcessEnv = process.env): Promise<FerryConfig> {
  const file = configFile(home);
  const text = await fs.readFile(file, 'utf8').catch(() => undefined);
  let raw: z.infer<typeof configSchema> = {};
  if (text !== undefined && text.trim() !== '') {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (e) {
      throw new UserError(`${file}: ${errorMessage(e)}`);
    }
    const r = configSchema.safeParse(doc ?? {});
    if (!r.success) {
      const i = r.error.issues[0];
      const known = Object.keys(configSchema.shape);
      let what = i ? `${i.path.join('.') || '(top)'}: ${i.message}` : 'invalid';
      if (i?.code === 'unrecognized_keys') {
        const key = i.keys[0] ?? '';
        const near = closestMatch(key, known);
        what = `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
      }
      throw new UserError(`${file}: ${what}`, { hint: `keys: ${known.join(', ')}` });
    }
    raw = r.data;
  }
  const monthly = envNumber(env, 'FERRY_MONTHLY_BUDGET') ?? raw.monthly_budget;
  return {
    ...(monthly !== undefined && monthly > 0 ? { monthlyBudget: monthly } : {}),
    localPricePerHour: envNumber(env, 'FERRY_LOCAL_PRICE_PER_HOUR') ?? raw.local_price_per_hour ?? 0,
    sshPrices: raw.ssh_prices ?? {},
    slurmPrices: raw.slurm_prices ?? {},
    budgetWarnFraction: raw.budget_warn_fraction ?? 0.8,
  };
}
