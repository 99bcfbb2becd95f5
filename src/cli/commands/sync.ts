import type { Command } from 'commander';
import { SshPool } from '../../core/remote/pool';
import type { HostKeyPrompt } from '../../core/remote/connection';
import { syncTree, type SyncProgress, type SyncSummary } from '../../core/sync/sync';
import type { Endpoint } from '../../core/sync/endpoints';
import { isS3Uri, syncLocalToS3, syncS3ToLocal, type SyncProgress as S3SyncProgress } from '../../core/s3/index';
import { UserError } from '../../core/util/errors';
import type { CliContext } from '../context';
import { act } from '../action';
import { confirm, err, formatBytes, out } from '../io';

/**
 * `ALIAS:path` is remote (scp's rule: a colon before any slash); anything else is a local path.
 * `ALIAS:` alone is the remote home.
 */
export function parseEndpointArg(arg: string): { alias: string; path: string } | { local: string } {
  const m = /^([^/:]+):(.*)$/.exec(arg);
  if (!m) return { local: arg };
  return { alias: m[1] ?? '', path: m[2] === '' || m[2] === undefined ? '.' : m[2] };
}

function progressLine(p: SyncProgress): string {
  const eta = p.etaS === undefined ? '' : `  ETA ${p.etaS < 60 ? `${Math.ceil(p.etaS)}s` : `${Math.floor(p.etaS / 60)}m${String(Math.ceil(p.etaS % 60)).padStart(2, '0')}s`}`;
  return `${p.filesDone}/${p.filesTotal} files  ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}  ${formatBytes(p.rate)}/s${eta}`;
}

/** Reads a line without echoing it (passphrases). Undefined without a terminal. */
async function askHidden(question: string): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY || !process.stderr.isTTY) return undefined;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise<string | undefined>((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0003' || ch === '\u0004') {
          stdin.off('data', onData);
          stdin.setRawMode(false);
          stdin.pause();
          process.stderr.write('\n');
          resolve(ch === '\u0003' ? undefined : text);
          return;
        }
        if (ch === '\u007f') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function summaryLine(s: SyncSummary): string {
  if (s.noop) return `${s.to} is up to date (${s.scanned.files} files checked in ${s.durationMs} ms)`;
  const parts = [`${s.transferred.files} files (${formatBytes(s.transferred.bytes)})`];
  if (s.transferred.links) parts.push(`${s.transferred.links} links`);
  if (s.touched) parts.push(`${s.touched} times fixed`);
  if (s.modeChanges) parts.push(`${s.modeChanges} modes`);
  if (s.deleted) parts.push(`${s.deleted} deleted`);
  return `synced ${s.from} -> ${s.to}: ${parts.join(', ')} in ${(s.durationMs / 1000).toFixed(1)} s (${formatBytes(s.rate)}/s)`;
}

export function registerSync(program: Command, ctx: () => CliContext): void {
  program
    .command('sync')
    .description('copy a folder to or from an SSH host (ALIAS:path) or S3 (s3://bucket/prefix), only what changed')
    .argument('<src>', 'local path, ALIAS:path or s3://bucket/prefix')
    .argument('<dst>', 'local path, ALIAS:path or s3://bucket/prefix')
    .option('--delete', 'mirror: delete what the source lacks (never what ignore rules exclude)')
    .option('--exclude <pattern...>', 'gitignore-style patterns to leave out')
    .option('--no-ignore-files', 'do not honour .gitignore/.ferryignore in the source')
    .option('--dry-run', 'show what would change, change nothing')
    .option('--json', 'print the summary as JSON')
    .action(
      act(async (srcArg: string, dstArg: string, o: { delete?: boolean; exclude?: string[]; ignoreFiles?: boolean; dryRun?: boolean; json?: boolean }) => {
        if (isS3Uri(srcArg) || isS3Uri(dstArg)) return syncS3(srcArg, dstArg, o);
        const src = parseEndpointArg(srcArg);
        const dst = parseEndpointArg(dstArg);
        if ('local' in src === 'local' in dst) {
          throw new UserError(`ferry sync needs one local path and one ALIAS:path (got "${srcArg}" and "${dstArg}")`);
        }
        const pool = new SshPool({
          // Without a terminal there is nobody to ask: an unknown key is refused with a hint.
          confirmHostKey: ctx().acceptNewHostKeys
            ? async () => true
            : process.stdin.isTTY && process.stderr.isTTY
              ? (p: HostKeyPrompt) => confirm(`The authenticity of host ${p.alias} (${p.host}) can't be established.\n${p.keyType} key fingerprint is ${p.fingerprint}.\nTrust it and add it to ${p.knownHostsPath}?`, false)
              : undefined,
          passphrase: (file) => askHidden(`Passphrase for ${file}: `),
        });
        const toEndpoint = (e: { alias: string; path: string } | { local: string }): Endpoint => ('local' in e ? e.local : { conn: pool.get(e.alias), path: e.path });
        const ac = new AbortController();
        const onSigint = (): void => ac.abort();
        process.once('SIGINT', onSigint);
        const live = err.isTTY && !o.json;
        try {
          const summary = await syncTree({
            from: toEndpoint(src),
            to: toEndpoint(dst),
            delete: o.delete,
            exclude: o.exclude,
            ignoreFiles: o.ignoreFiles,
            dryRun: o.dryRun,
            signal: ac.signal,
            onProgress: live ? (p) => process.stderr.write(`\r\u001b[2K${progressLine(p)}`) : undefined,
          });
          if (live) process.stderr.write('\r\u001b[2K');
          for (const s of summary.skipped) err.line(`skipped ${s.path}: ${s.reason}`);
          if (o.json) out.json(summary);
          else err.line(o.dryRun ? `dry run: would send ${summary.transferred.files} files (${formatBytes(summary.transferred.bytes)}), delete ${summary.deleted}` : summaryLine(summary));
          return 0;
        } finally {
          if (live) process.stderr.write('\r\u001b[2K');
          process.off('SIGINT', onSigint);
          pool.closeAll();
        }
      }),
    );
}

function s3ProgressLine(p: S3SyncProgress): string {
  const eta = p.etaSeconds === undefined ? '' : `  ETA ${Math.ceil(p.etaSeconds)}s`;
  return `${p.phase}: ${p.filesDone}/${p.filesTotal} files  ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}  ${formatBytes(p.bytesPerSecond)}/s${eta}`;
}

/** Local folder <-> s3://bucket/prefix: credentials and endpoint from the AWS environment. */
async function syncS3(srcArg: string, dstArg: string, o: { delete?: boolean; exclude?: string[]; ignoreFiles?: boolean; dryRun?: boolean; json?: boolean }): Promise<number> {
  if (isS3Uri(srcArg) === isS3Uri(dstArg)) throw new UserError(`ferry sync needs one local path and one s3:// URI (got "${srcArg}" and "${dstArg}")`);
  if ('alias' in parseEndpointArg(isS3Uri(srcArg) ? dstArg : srcArg)) {
    throw new UserError('ferry sync copies S3 to or from a local folder; to reach an SSH host, sync to a local folder first');
  }
  if (o.dryRun) throw new UserError('--dry-run is not supported for S3 yet');
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  const live = err.isTTY && !o.json;
  const opts = {
    delete: o.delete,
    exclude: o.exclude,
    ignoreFiles: o.ignoreFiles,
    signal: ac.signal,
    onProgress: live ? (p: S3SyncProgress) => process.stderr.write(`\r\u001b[2K${s3ProgressLine(p)}`) : undefined,
  };
  try {
    const summary = isS3Uri(dstArg) ? await syncLocalToS3(srcArg, dstArg, opts) : await syncS3ToLocal(srcArg, dstArg, opts);
    if (live) process.stderr.write('\r\u001b[2K');
    if (o.json) out.json({ from: srcArg, to: dstArg, ...summary });
    else {
      const moved = summary.uploaded + summary.downloaded;
      err.line(
        moved === 0 && summary.deleted === 0
          ? `${dstArg} is up to date (${summary.skipped} files checked in ${summary.seconds.toFixed(1)} s)`
          : `synced ${srcArg} -> ${dstArg}: ${moved} files (${formatBytes(summary.bytes)}), ${summary.deleted} deleted, ${summary.skipped} unchanged in ${summary.seconds.toFixed(1)} s`,
      );
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
