/** Shared bits for the offers unit tests: a scripted fetch, a logger that keeps its lines, fixtures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FetchFn } from '../../../src/core/offers/http';
import type { Offer } from '../../../src/core/offers/types';
import type { Logger } from '../../../src/core/util/logger';

export const NOW = new Date('2026-08-01T12:00:00.000Z');
export const now = (): Date => NOW;
export const signal = new AbortController().signal;

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as unknown;
}

export interface StubCall {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface StubReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A fetch that answers from a function, recording each call; never touches the network. */
export function stubFetch(reply: (call: StubCall, n: number) => StubReply | Promise<StubReply>): { fetch: FetchFn; calls: StubCall[] } {
  const calls: StubCall[] = [];
  const fetch: FetchFn = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const call: StubCall = { url, method: init?.method ?? 'GET', headers, body: text === undefined ? undefined : (JSON.parse(text) as unknown) };
    calls.push(call);
    const r = await reply(call, calls.length);
    const body = r.body === undefined ? null : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return new Response(body, { status: r.status ?? 200, headers: { 'content-type': 'application/json', ...r.headers } });
  };
  return { fetch, calls };
}

export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const add = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

/** A synthetic offer with sensible defaults. */
export function offer(over: Partial<Offer> & { id: string }): Offer {
  return {
    provider: 'vast',
    instanceType: 'x',
    gpu: { name: 'RTX 4090', count: 1, memoryGb: 24, vendor: 'nvidia' },
    cpus: 8,
    memoryGb: 32,
    diskGb: 100,
    region: 'California, US',
    pricePerHour: 1,
    available: true,
    asOf: NOW.toISOString(),
    ...over,
  };
}

export function assertFinitePrices(offers: readonly Offer[]): void {
  for (const o of offers) {
    if (!Number.isFinite(o.pricePerHour)) throw new Error(`${o.id}: pricePerHour ${o.pricePerHour}`);
    if (o.spotPricePerHour !== undefined && !Number.isFinite(o.spotPricePerHour)) throw new Error(`${o.id}: spotPricePerHour ${o.spotPricePerHour}`);
  }
}
