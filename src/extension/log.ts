import * as vscode from 'vscode';
import { scrubbingLogger, type Logger } from '../core/util/logger';

/**
 * The one "Ferry" log channel (a LogOutputChannel: the user picks the level). Everything goes
 * through core's scrubbing logger first, so API keys, AWS secrets, private keys and presigned
 * URLs never reach it.
 */
export function createLogChannel(): { channel: vscode.LogOutputChannel; logger: Logger } {
  const channel = vscode.window.createOutputChannel('Ferry', { log: true });
  const logger = scrubbingLogger({
    debug: (m) => channel.debug(m),
    info: (m) => channel.info(m),
    warn: (m) => channel.warn(m),
    error: (m) => channel.error(m),
  });
  return { channel, logger };
}
