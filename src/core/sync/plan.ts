/**
 * The sync plan: what to do at the destination so that it matches the source. Pure apart from
 * the content check it is handed, so it is tested without any I/O.
 *
 * Rules, per source entry:
 *   missing at the destination            -> create (folder, file transfer, link)
 *   another type there                    -> remove it first (a non-empty folder only when
 *                                            mirroring), then create
 *   file, same size and mtime              -> equal (rsync's quick check); mode fixed if it differs
 *   file, same size, other mtime           -> ask `sameContent` (hashes); equal content only
 *                                            gets its mtime (and mode) set, else transfer
 *   file, other size                       -> transfer
 *   link with other text                   -> replace the link
 *   link resolving outside the root        -> skipped and reported, never created
 * Destination entries the source lacks are deleted only when mirroring (`delete`), and never
 * when the source's ignore rules exclude them.
 */
import { isSafeRelPath, linkEscapes, type TreeEntry } from './manifest';

export interface PlanInput {
  src: TreeEntry[];
  dst: Map<string, TreeEntry>;
  delete: boolean;
  /** Destination paths the source's rules exclude: left alone, even when mirroring. */
  protect?: (rel: string, isDir: boolean) => boolean;
  /** For files of equal size and different mtime: true/false from hashes, undefined = unknown. */
  sameContent?: (src: TreeEntry, dst: TreeEntry) => Promise<boolean | undefined>;
}

export interface SyncPlan {
  /** Folders to create, parents first. */
  mkdirs: TreeEntry[];
  /** Files to transfer. */
  files: TreeEntry[];
  /** Symlinks to create or replace. */
  links: TreeEntry[];
  /** Equal content, other mtime: set mtime and mode only. */
  touches: TreeEntry[];
  /** Mode-only changes (files and folders). */
  chmods: TreeEntry[];
  /** Destination entries in the way of another type: removed before writing, children first. */
  removals: TreeEntry[];
  /** Extra destination entries when mirroring, children first. */
  deletions: TreeEntry[];
  skipped: { path: string; reason: string }[];
  /** Bytes the transfers will move. */
  bytes: number;
}

export function isEmptyPlan(p: SyncPlan): boolean {
  return p.mkdirs.length + p.files.length + p.links.length + p.touches.length + p.chmods.length + p.removals.length + p.deletions.length === 0;
}

function subtree(dst: Map<string, TreeEntry>, root: TreeEntry): TreeEntry[] {
  // Children first (deepest paths sort after their parents, so reverse a sorted list).
  if (root.type !== 'dir') return [root];
  const prefix = `${root.path}/`;
  const out = [root];
  for (const e of dst.values()) if (e.path.startsWith(prefix)) out.push(e);
  return out.sort((a, b) => b.path.split('/').length - a.path.split('/').length || (a.path < b.path ? 1 : -1));
}

export async function makePlan(input: PlanInput): Promise<SyncPlan> {
  const plan: SyncPlan = { mkdirs: [], files: [], links: [], touches: [], chmods: [], removals: [], deletions: [], skipped: [], bytes: 0 };
  const srcPaths = new Set<string>();
  /** Source paths we refused: nothing below them is created either. */
  const refused: string[] = [];
  const under = (p: string, roots: string[]): boolean => roots.some((r) => p === r || p.startsWith(`${r}/`));

  for (const s of input.src) {
    if (!isSafeRelPath(s.path)) {
      plan.skipped.push({ path: s.path, reason: 'not a plain path inside the root' });
      continue;
    }
    if (under(s.path, refused)) continue;
    srcPaths.add(s.path);
    const d = input.dst.get(s.path);
    if (s.type === 'symlink' && linkEscapes(s.path, s.link ?? '')) {
      plan.skipped.push({ path: s.path, reason: `symlink to ${JSON.stringify(s.link ?? '')} points outside the root` });
      srcPaths.delete(s.path); // a destination entry there is an extra like any other
      continue;
    }
    if (d && d.type !== s.type) {
      const gone = subtree(input.dst, d);
      if (d.type === 'dir' && gone.length > 1 && !input.delete) {
        plan.skipped.push({ path: s.path, reason: `would replace a non-empty folder with a ${s.type} (mirror with delete to allow it)` });
        refused.push(s.path);
        continue;
      }
      plan.removals.push(...gone);
    }
    const fresh = !d || d.type !== s.type;
    switch (s.type) {
      case 'dir':
        if (fresh) plan.mkdirs.push(s);
        else if (d && d.mode !== s.mode) plan.chmods.push(s);
        break;
      case 'symlink':
        if (fresh || d?.link !== s.link) plan.links.push(s);
        break;
      case 'file':
        if (fresh || !d || d.size !== s.size) {
          plan.files.push(s);
          plan.bytes += s.size;
        } else if (d.mtime !== s.mtime) {
          const same = input.sameContent ? await input.sameContent(s, d) : undefined;
          if (same === true) plan.touches.push(s);
          else {
            plan.files.push(s);
            plan.bytes += s.size;
          }
        } else if (d.mode !== s.mode) plan.chmods.push(s);
        break;
    }
  }

  if (input.delete) {
    const deleted: string[] = [];
    const removed = new Set(plan.removals.map((e) => e.path));
    const sorted = [...input.dst.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const d of sorted) {
      if (srcPaths.has(d.path) || removed.has(d.path) || under(d.path, deleted)) continue;
      if (input.protect?.(d.path, d.type === 'dir')) continue;
      // A folder the source still has keeps its protected children; one it lacks goes whole,
      // unless something protected lives below it.
      const gone = subtree(input.dst, d);
      if (input.protect && gone.some((g) => input.protect?.(g.path, g.type === 'dir'))) continue;
      deleted.push(d.path);
      plan.deletions.push(...gone);
    }
  }
  return plan;
}
