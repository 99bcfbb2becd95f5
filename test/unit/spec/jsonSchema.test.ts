import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ferryJsonSchema } from '../../../src/core/spec/jsonSchema';

type Json = Record<string, unknown>;
const asObj = (v: unknown): Json => {
  assert.ok(v !== null && typeof v === 'object' && !Array.isArray(v), `expected an object, got ${JSON.stringify(v)}`);
  return v as Json;
};

/** Every object schema below `node` (with its path), to check they all refuse unknown keys. */
function objectSchemas(node: unknown, path = '#'): [string, Json][] {
  if (node === null || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap((n, i) => objectSchemas(n, `${path}/${i}`));
  const obj = node as Json;
  const own: [string, Json][] = obj['type'] === 'object' && obj['properties'] ? [[path, obj]] : [];
  return [...own, ...Object.entries(obj).flatMap(([k, v]) => objectSchemas(v, `${path}/${k}`))];
}

describe('ferryJsonSchema', () => {
  const schema = ferryJsonSchema();
  const props = asObj(schema['properties']);

  it('has a title, a description and draft-07', () => {
    assert.equal(schema['title'], 'ferry.yaml');
    assert.equal(typeof schema['description'], 'string');
    assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
  });

  it('refuses unknown keys at the top and in every section', () => {
    assert.equal(schema['additionalProperties'], false);
    const objects = objectSchemas(schema);
    const paths = objects.map(([p]) => p);
    for (const section of ['resources', 'checkpoints', 'budget', 'autostop', 'retry']) {
      assert.ok(paths.includes(`#/properties/${section}`), `${section} is an object schema`);
    }
    assert.ok(paths.includes('#/properties/data/items'));
    for (const [p, o] of objects) assert.equal(o['additionalProperties'], false, `${p} refuses unknown keys`);
  });

  it('lists every key and requires only run', () => {
    assert.deepEqual(Object.keys(props), [
      'name', 'workdir', 'exclude', 'data', 'env', 'secrets', 'resources', 'setup', 'run',
      'checkpoints', 'outputs', 'budget', 'autostop', 'retry', 'slurm', 'target',
    ]);
    assert.deepEqual(schema['required'], ['run']);
  });

  it('describes the input: durations, money and GPU queries as strings or numbers', () => {
    const budget = asObj(asObj(props['budget'])['properties']);
    const dur = asObj(budget['max_duration']);
    assert.deepEqual((dur['anyOf'] as Json[]).map((s) => s['type']), ['string', 'number']);
    const pattern = new RegExp(String(asObj((dur['anyOf'] as Json[])[0])['pattern']));
    for (const ok of ['6h', '90m', '1h30m', '1.5h', '3600']) assert.ok(pattern.test(ok), ok);
    for (const bad of ['6 hours', '', '-5m']) assert.ok(!pattern.test(bad), bad);
    const gpu = asObj(asObj(asObj(props['resources'])['properties'])['gpu']);
    assert.deepEqual(gpu['type'], ['string', 'number']);
    assert.match(String(gpu['description']), /name\[,name\]\[:memory\]\[:count\]/);
    assert.deepEqual(asObj(asObj(asObj(props['resources'])['properties'])['spot'])['enum'], ['on-demand', 'spot', 'auto']);
  });

  it('matches the generated schemas/ferry.schema.json (run npm run build after changing the schema)', () => {
    const file = join(__dirname, '..', '..', '..', 'schemas', 'ferry.schema.json');
    assert.deepStrictEqual(JSON.parse(readFileSync(file, 'utf8')), JSON.parse(JSON.stringify(schema)));
  });
});
