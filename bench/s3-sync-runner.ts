// What `ferry sync SRC DST [--delete] --json` does for local <-> s3:// pairs, as a standalone
// entry: bench/s3-sync.ts bundles it (with dist/s3.js beside it, as in the shipped layout)
// while the CLI has no `sync` command of its own.
import { isS3Uri, syncLocalToS3, syncS3ToLocal } from '../src/core/s3';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const del = args.includes('--delete');
  const [src, dst] = args.filter((a) => !a.startsWith('--'));
  if (!src || !dst) throw new Error('usage: s3-sync-runner SRC DST [--delete]');
  const summary = isS3Uri(src) ? await syncS3ToLocal(src, dst, { delete: del }) : await syncLocalToS3(src, dst, { delete: del });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(3);
});
