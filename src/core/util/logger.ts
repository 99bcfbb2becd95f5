/**
 * The logger port: core logs through this interface; the CLI writes to stderr, the extension
 * to a LogOutputChannel. Every sink goes through `scrubSecrets` first.
 */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const secretValues = new Set<string>();

/** Registers a secret value (an API key, a token) so that no log line ever shows it. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) secretValues.add(value);
}

const PATTERNS: RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /((?:api[_-]?key|secret|token|password|passwd|authorization)["']?\s*[:=]\s*["']?)([^\s"'&]+)/gi,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g,
  /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|api_key|key)=)[^&\s]+/gi,
];

/** Replaces known secret values and secret-shaped substrings with `***`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const v of secretValues) out = out.split(v).join('***');
  for (const re of PATTERNS) {
    out = out.replace(re, (_m, p1?: string) => (typeof p1 === 'string' && p1.length > 0 && !/^(AKIA|ASIA)$/.test(p1) ? `${p1}***` : '***'));
  }
  return out;
}

/** A logger that scrubs, then forwards. */
export function scrubbingLogger(sink: Logger): Logger {
  return {
    debug: (m) => sink.debug(scrubSecrets(m)),
    info: (m) => sink.info(scrubSecrets(m)),
    warn: (m) => sink.warn(scrubSecrets(m)),
    error: (m) => sink.error(scrubSecrets(m)),
  };
}
