// Writes schemas/ferry.schema.json from the zod schema of ferry.yaml (src/core/spec/jsonSchema.ts),
// so editors validate ferry.yaml exactly as Ferry parses it. Run by `npm run build` after esbuild.
// The TypeScript is bundled in memory with esbuild (zod included) and imported from a data: URL:
// no build output on disk, no extra dependency.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'schemas', 'ferry.schema.json');

const result = await esbuild.build({
  entryPoints: [join(root, 'src/core/spec/jsonSchema.ts')],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
const code = result.outputFiles[0].text;
const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
const schema = mod.ferryJsonSchema();

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(schema, null, 2)}\n`);
console.log(`wrote ${out.slice(root.length + 1)}`);
