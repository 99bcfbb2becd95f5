import * as vscode from 'vscode';
import type { JobRecord } from '../../core/jobs/types';
import { errorMessage } from '../../core/util/errors';
import type { Services } from '../services';
import { JobLogTail } from './logTail';

const open = new Map<string, vscode.Terminal>();

/** Terminals want CRLF. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

/**
 * Shows a job's log in a terminal that follows it live (a Pseudoterminal fed by JobLogTail),
 * like `ferry logs -f`. When nobody follows the job any more, this window becomes its
 * controller, so the log keeps coming and the job still ends properly. One terminal per job.
 */
export function showJobLogTerminal(services: Services, job: JobRecord): vscode.Terminal {
  const existing = open.get(job.id);
  if (existing && existing.exitStatus === undefined) {
    existing.show(true);
    return existing;
  }
  const write = new vscode.EventEmitter<string>();
  let tail: JobLogTail | undefined;
  const pty: vscode.Pseudoterminal = {
    onDidWrite: write.event,
    open: () => {
      tail = new JobLogTail({
        store: services.store,
        home: services.home,
        jobId: job.id,
        onData: (t) => write.fire(crlf(t)),
        onEnd: () => write.fire(crlf('\n[ferry] end of log; close this terminal when done\n')),
        ensureController: (j) => {
          write.fire(crlf(`\n[ferry] nobody follows ${j.id}; this window takes over as its controller\n`));
          void services.controllers.attach(j).catch((e) => write.fire(crlf(`\n[ferry] could not follow the job: ${errorMessage(e)}\n`)));
        },
      });
      void tail.start().catch((e) => write.fire(crlf(`[ferry] ${errorMessage(e)}\n`)));
    },
    close: () => {
      tail?.dispose();
      write.dispose();
      open.delete(job.id);
    },
    handleInput: (data) => {
      // Ctrl-C detaches the view; it never stops the job (Stop Job does that).
      if (data === '\x03') write.fire(crlf('\n[ferry] the job keeps running; use Stop Job to stop it\n'));
    },
  };
  const terminal = vscode.window.createTerminal({ name: `Ferry: ${job.name} (${job.id.slice(-6)})`, pty, iconPath: new vscode.ThemeIcon('output') });
  open.set(job.id, terminal);
  terminal.show(true);
  return terminal;
}

export function disposeLogTerminals(): void {
  for (const t of open.values()) t.dispose();
  open.clear();
}
