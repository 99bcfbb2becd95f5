import { Command, CommanderError } from 'commander';
import { registerCheckpoints } from './commands/checkpoints';
import { registerControl } from './commands/control';
import { registerCost } from './commands/cost';
import { registerInstances } from './commands/instances';
import { registerJobs } from './commands/jobs';
import { registerLogs } from './commands/logs';
import { registerOffers } from './commands/offers';
import { registerResume } from './commands/resume';
import { registerRun } from './commands/run';
import { registerStop } from './commands/stop';
import { registerSync } from './commands/sync';
import { cliContext, type CliContext } from './context';
import { reportError } from './io';
import { exitState } from './action';

declare const FERRY_VERSION: string | undefined;

/** Builds the `ferry` program. Each command's action resolves to its exit code. */
export function buildProgram(): Command {
  let c: CliContext | undefined;
  const ctx = () => (c ??= cliContext());
  const program = new Command('ferry')
    .description('Take a local ML experiment to a GPU and bring the results home.')
    .version(typeof FERRY_VERSION === 'string' ? FERRY_VERSION : '0.0.0-dev')
    .showHelpAfterError('(ferry --help lists the commands)')
    .option('--accept-new-host-key', 'trust an SSH host seen for the first time (its key is saved to known_hosts)')
    .exitOverride();
  program.hook('preAction', () => {
    ctx().acceptNewHostKeys = Boolean(program.opts<{ acceptNewHostKey?: boolean }>().acceptNewHostKey);
  });
  registerRun(program, ctx);
  registerJobs(program, ctx);
  registerLogs(program, ctx);
  registerStop(program, ctx);
  registerResume(program, ctx);
  registerCheckpoints(program, ctx);
  registerCost(program, ctx);
  registerOffers(program, ctx);
  registerInstances(program, ctx);
  registerSync(program, ctx);
  registerControl(program, ctx);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitState.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors are bad input (2).
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e);
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
