import { execFile } from 'node:child_process';

export interface GitInfo {
  /** HEAD's commit, or null in a repository without commits yet. */
  commit: string | null;
  /** Uncommitted changes or untracked files in the work tree. */
  dirty: boolean;
}

interface GitResult {
  ok: boolean;
  stdout: string;
  /** stdout outgrew the buffer: only `status` cares, and for it that means "dirty". */
  overflow: boolean;
}

const GIT_TIMEOUT_MS = 10_000;

function runGit(args: string[], cwd: string): Promise<GitResult> {
  return new Promise((resolvePromise) => {
    try {
      execFile(
        'git',
        args,
        {
          cwd,
          timeout: GIT_TIMEOUT_MS,
          maxBuffer: 1024 * 1024,
          windowsHide: true,
          // GIT_OPTIONAL_LOCKS=0: `git status` must not take index.lock and collide with the
          // user's own git commands (or their editor's) in the same repository.
          env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
        },
        (err, stdout) => {
          const code = (err as { code?: unknown } | null)?.code;
          const overflow = code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
          resolvePromise({ ok: err === null, stdout: String(stdout), overflow });
        },
      );
    } catch {
      // execFile throws synchronously for some bad inputs (e.g. a cwd with a NUL byte).
      resolvePromise({ ok: false, stdout: '', overflow: false });
    }
  });
}

/**
 * The commit and dirty flag of the repository holding `dir`, recorded with every job so a
 * result can be traced back to its code. Undefined when `dir` is not in a git work tree or git
 * is not installed. Never throws: a job must not fail for want of provenance.
 */
export async function gitInfo(dir: string): Promise<GitInfo | undefined> {
  const inside = await runGit(['rev-parse', '--is-inside-work-tree'], dir);
  if (!inside.ok || inside.stdout.trim() !== 'true') return undefined;

  const head = await runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], dir);
  const sha = head.stdout.trim();
  const commit = head.ok && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;

  const status = await runGit(['status', '--porcelain'], dir);
  // A status that fails inside a work tree cannot vouch for a clean tree, so call it dirty.
  const dirty = status.overflow || !status.ok || status.stdout.trim().length > 0;
  return { commit, dirty };
}
