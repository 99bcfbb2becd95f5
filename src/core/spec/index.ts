/** ferry.yaml: parsing, validation, the grammars it uses, and its JSON Schema. */
export type { DataMount, FerrySpec, GpuQuery, LoadedSpec, RetryEvent, SpecDiagnostic, SpotPolicy, TargetRef } from './types';
export { DURATION_EXPECTED, formatDuration, parseDuration } from './duration';
export { formatMoney, MONEY_EXPECTED, parseMoney } from './money';
export type { GpuOfferShape } from './gpuQuery';
export { formatGpuQuery, GPU_QUERY_EXPECTED, gpuQueryMatches, parseGpuQuery, suggestGpuName, UNBOUNDED_COUNT } from './gpuQuery';
export type { SpecContext } from './schema';
export { PROVIDERS, RETRY_EVENTS, SPEC_DEFAULTS, SPOT_POLICIES, specInputSchema, specSchema } from './schema';
export { formatDiagnostic, loadSpec, parseSpecText, SpecError, specForScript } from './parse';
export { ferryJsonSchema } from './jsonSchema';
