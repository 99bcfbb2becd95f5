/**
 * The JSON Schema of ferry.yaml, for editor validation and completion (package.json's
 * yamlValidation points at schemas/ferry.schema.json, which scripts/gen-schema.mjs writes
 * from this). Generated from the zod input schema, so it cannot drift from the parser:
 * durations, money and GPU queries appear as the strings/numbers a user writes.
 */
import { z } from 'zod';
import { specInputSchema } from './schema';

/** Draft-07, the draft the YAML language server handles best. */
export function ferryJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(specInputSchema, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  // Key order: the header first, so the file reads well.
  return {
    $schema,
    title: 'ferry.yaml',
    ...rest,
    additionalProperties: false,
  };
}
