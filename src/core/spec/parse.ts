/**
 * Reading ferry.yaml: YAML with positions (eemeli/yaml + LineCounter), validated by the zod
 * schema, every problem reported as `FILE:LINE:COL: PATH: MESSAGE` pointing at the node to
 * fix. Also the entry points the CLI and the extension use: loadSpec and specForScript.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../util/errors';
import { shQuote } from '../util/quote';
import { FIELD_DOCS, KNOWN_KEYS, specSchema } from './schema';
import { closestMatch } from './suggest';
import type { FerrySpec, LoadedSpec, SpecDiagnostic } from './types';

/** A ferry.yaml that does not parse or validate; the message lists every diagnostic. */
export class SpecError extends UserError {
  readonly diagnostics: SpecDiagnostic[];
  constructor(diagnostics: SpecDiagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'SpecError';
    this.diagnostics = diagnostics;
  }
}

/** `FILE:LINE:COL: PATH: MESSAGE`; PATH is left out for problems of the file as a whole. */
export function formatDiagnostic(d: SpecDiagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.path ? `${d.path}: ` : ''}${d.message}`;
}

type Seg = string | number;

/** `data[0].from`, `env.MY_VAR`. */
export function formatPath(path: readonly Seg[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}

/** The FIELD_DOCS key of a path: indices become `[]`, env's keys `*`. */
function patternOf(path: readonly Seg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += '[]';
    else if (out === 'env') out += '.*';
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function quote(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 56)}..."` : s;
}

/** How a YAML value reads in a message: `a list`, `a map`, `"text"`, `nothing`. */
function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return quote(v);
  return String(v);
}

/** "a, b or c" */
function orList(items: readonly unknown[]): string {
  const words = items.map(String);
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function valueAt(data: unknown, path: readonly Seg[]): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[String(seg)];
  }
  return cur;
}

/** Positions of the YAML nodes a zod path names. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {}

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  /** The pair (for map entries) or item (for list entries) a path leads to, and how far it got. */
  private walk(path: readonly Seg[]): { node: unknown; pair?: Pair<unknown, unknown>; depth: number } {
    let node: unknown = this.doc.contents;
    let pair: Pair<unknown, unknown> | undefined;
    let depth = 0;
    for (const seg of path) {
      const cur = this.deref(node);
      let next: { node: unknown; pair?: Pair<unknown, unknown> } | undefined;
      if (isMap(cur)) {
        const p = cur.items.find((it) => isPair(it) && keyText(it.key) === String(seg));
        if (p) next = { node: p.value, pair: p };
      } else if (isSeq(cur) && typeof seg === 'number') {
        if (seg < cur.items.length) next = { node: cur.items[seg] };
      }
      if (!next) break;
      node = next.node;
      pair = next.pair;
      depth++;
    }
    return { node, pair, depth };
  }

  private pos(node: unknown): { line: number; col: number } | undefined {
    const range = (node as Node | null)?.range;
    if (!range) return undefined;
    return this.lc.linePos(range[0]);
  }

  private fallback(): { line: number; col: number } {
    return this.pos(this.doc.contents) ?? { line: 1, col: 1 };
  }

  /** Where the value at `path` is; an empty value (`key:`) points at its key. */
  value(path: readonly Seg[]): { line: number; col: number } {
    const { node, pair, depth } = this.walk(path);
    if (depth < path.length) return this.containerPos(node, pair);
    const n = this.deref(node);
    const empty = n === null || n === undefined || (isScalar(n) && n.value === null && !n.source);
    if (empty && pair) return this.pos(pair.key) ?? this.fallback();
    return this.pos(node) ?? this.fallback();
  }

  /** Where the key of the entry at `path` is (unknown keys, bad env names). */
  key(path: readonly Seg[]): { line: number; col: number } {
    const { pair, depth } = this.walk(path);
    if (depth === path.length && pair) return this.pos(pair.key) ?? this.fallback();
    return this.value(path);
  }

  /** Where the map that should hold a missing `path` is. */
  parent(path: readonly Seg[]): { line: number; col: number } {
    return this.value(path.slice(0, -1));
  }

  private containerPos(node: unknown, pair: Pair<unknown, unknown> | undefined): { line: number; col: number } {
    return this.pos(node) ?? (pair ? this.pos(pair.key) : undefined) ?? this.fallback();
  }
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** YAML's own messages, reworded where a fix is obvious. */
function yamlMessage(code: string, message: string, text: string, pos: [number, number]): string {
  switch (code) {
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed for indentation in YAML (indent with spaces)';
    case 'DUPLICATE_KEY': {
      // The error's range may cover only part of the key; read the key up to its colon.
      const key = /^[^:\n]*/.exec(text.slice(pos[0]))?.[0].trim() ?? '';
      return `duplicate key${key ? ` ${quote(key)}` : ''} (each key may appear once; merge the two entries)`;
    }
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'YAML syntax error: a map cannot start here (a second "key:" on one line, or a line below indented too far; quote a value that holds ": ")';
    case 'MULTIPLE_DOCS':
      return 'more than one YAML document (a ferry.yaml holds one; remove the --- line and what follows it)';
    default:
      return `YAML syntax error: ${message.replace(/\.$/, '')} (check the indentation, colons and quotes here)`;
  }
}

interface IssueContext {
  file: string;
  data: unknown;
  loc: Locator;
}

function diag(
  ctx: IssueContext,
  path: readonly Seg[],
  at: { line: number; col: number },
  message: string,
): SpecDiagnostic {
  return { file: ctx.file, line: at.line, col: at.col, path: formatPath(path), message };
}

/** One zod issue -> the diagnostics it stands for (an unknown-keys issue may name several). */
function issueDiagnostics(issue: z.core.$ZodIssue, ctx: IssueContext, prefix: readonly Seg[] = []): SpecDiagnostic[] {
  const path: Seg[] = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  const doc = FIELD_DOCS[patternOf(path)];
  const value = valueAt(ctx.data, path);
  const eg = doc ? ` (e.g. ${doc.example})` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const known = KNOWN_KEYS[patternOf(path)] ?? [];
        const near = closestMatch(key, known);
        const home = near ? undefined : sectionOf(key, patternOf(path));
        const hint = near
          ? `did you mean ${quote(near)}?`
          : home
            ? `it belongs under ${home}:, e.g. ${home}: {${FIELD_DOCS[`${home}.${key}`]?.example ?? `${key}: ...`}}`
            : `expected one of ${orList(known)}`;
        return diag(ctx, [...path, key], ctx.loc.key([...path, key]), `unknown key (${hint})`);
      });
    case 'invalid_union': {
      // A branch that got past the type check failed for a more specific reason: report that.
      const deeper = issue.errors.find((branch) => branch.length > 0 && !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (deeper) return deeper.flatMap((i) => issueDiagnostics(i, ctx, path));
      return [typeDiagnostic(ctx, path, value, doc?.expected ?? 'another kind of value', eg)];
    }
    case 'invalid_type':
      return [typeDiagnostic(ctx, path, value, doc?.expected ?? issue.expected, eg)];
    case 'invalid_value': {
      const near = typeof value === 'string' ? closestMatch(value, issue.values.map(String)) : undefined;
      const fix = near ? ` (did you mean ${quote(near)}?)` : eg;
      return [diag(ctx, path, ctx.loc.value(path), `expected ${orList(issue.values)}, got ${describeValue(value)}${fix}`)];
    }
    case 'too_small':
      return [diag(ctx, path, ctx.loc.value(path), `${tooSmall(issue, value)}${eg}`)];
    case 'too_big': {
      const bound = issue.inclusive ? 'at most' : 'less than';
      const what = issue.origin === 'array' ? `list ${bound} ${issue.maximum} entries` : `be ${bound} ${issue.maximum}, got ${describeValue(value)}`;
      return [diag(ctx, path, ctx.loc.value(path), `must ${what}${eg}`)];
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      const message = inner && inner.message ? inner.message : `bad key${eg}`;
      return [diag(ctx, path, ctx.loc.key(path), message)];
    }
    default:
      // custom and invalid_format carry messages written for users in schema.ts.
      return [diag(ctx, path, ctx.loc.value(path), issue.message)];
  }
}

/** The section a top-level key belongs in (`gpu` -> `resources`), for keys written too high. */
function sectionOf(key: string, at: string): string | undefined {
  if (at !== '') return undefined;
  return Object.entries(KNOWN_KEYS).find(([section, keys]) => section !== '' && !section.includes('[') && keys.includes(key))?.[0];
}

function typeDiagnostic(ctx: IssueContext, path: readonly Seg[], value: unknown, expected: string, eg: string): SpecDiagnostic {
  if (value === undefined) {
    const what = FIELD_DOCS[patternOf(path)];
    const msg = what ? `required (${what.what}, e.g. ${what.example})` : 'required';
    return diag(ctx, path, ctx.loc.parent(path), msg);
  }
  return diag(ctx, path, ctx.loc.value(path), `expected ${expected}, got ${describeValue(value)}${eg}`);
}

function tooSmall(issue: z.core.$ZodIssueTooSmall, value: unknown): string {
  const min = Number(issue.minimum);
  if (issue.origin === 'array') return `must list at least ${min} ${min === 1 ? 'entry' : 'entries'}`;
  if (issue.origin === 'string') return 'must not be empty';
  return `must be ${issue.inclusive ? 'at least' : 'more than'} ${min}, got ${describeValue(value)}`;
}

/**
 * YAML reads `VERSION: 1.10` as the number 1.1; an environment value should be the text the
 * user wrote, so numbers under env keep their source.
 */
function keepEnvSource(doc: Document, data: Record<string, unknown>): void {
  const root = doc.contents;
  if (!isMap(root)) return;
  const envPair = root.items.find((p) => keyText(p.key) === 'env');
  const env = data['env'];
  if (!envPair || !isMap(envPair.value) || env === null || typeof env !== 'object' || Array.isArray(env)) return;
  for (const p of envPair.value.items) {
    if (isScalar(p.value) && typeof p.value.value === 'number' && p.value.source) {
      (env as Record<string, unknown>)[keyText(p.key)] = p.value.source;
    }
  }
}

function byPosition(a: SpecDiagnostic, b: SpecDiagnostic): number {
  return a.line - b.line || a.col - b.col;
}

/**
 * Parses and validates ferry.yaml text. `file` is how the file is named in messages; `dir`
 * is the absolute folder relative paths resolve against. Throws SpecError.
 */
export function parseSpecText(text: string, opts: { file: string; dir: string }): FerrySpec {
  const { file, dir } = opts;
  const lc = new LineCounter();
  // logLevel 'error': yaml would otherwise print process warnings (e.g. for map-valued keys).
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const at = (offset: number) => lc.linePos(offset);

  const first = doc.errors[0];
  if (first) {
    // Only the first syntax error: the ones after it are mostly its echoes.
    const p = at(first.pos[0]);
    throw new SpecError([{ file, line: p.line, col: p.col, path: '', message: yamlMessage(first.code, first.message, text, first.pos) }]);
  }

  const root = doc.contents;
  const example = FIELD_DOCS['']?.example ?? 'run: python train.py';
  if (root === null || (isScalar(root) && root.value === null)) {
    throw new SpecError([{ file, line: 1, col: 1, path: '', message: `the spec is empty (write at least the command to run, e.g. ${example})` }]);
  }
  if (!isMap(root)) {
    const p = root.range ? at(root.range[0]) : { line: 1, col: 1 };
    const got = describeValue(doc.toJS({ maxAliasCount: 100 }));
    throw new SpecError([{ file, line: p.line, col: p.col, path: '', message: `expected a map of settings (key: value lines), got ${got} (e.g. ${example})` }]);
  }

  // An alias to an anchor not (yet) defined only fails in toJS, without a position; find it first.
  let unresolved: SpecDiagnostic | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      const p = node.range ? at(node.range[0]) : { line: 1, col: 1 };
      unresolved = { file, line: p.line, col: p.col, path: '', message: `unknown alias *${node.source} (define the anchor &${node.source} above it)` };
      return visit.BREAK;
    },
  });
  if (unresolved) throw new SpecError([unresolved]);

  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (err) {
    // Alias bombs and other toJS failures: the document is syntactically fine but unusable.
    const message = err instanceof Error ? err.message : String(err);
    throw new SpecError([{ file, line: 1, col: 1, path: '', message: `cannot read the YAML (${message})` }]);
  }
  keepEnvSource(doc, data);

  const result = specSchema({ dir }).safeParse(data);
  if (result.success) return result.data;
  const ctx: IssueContext = { file, data, loc: new Locator(doc, lc) };
  const diagnostics = result.error.issues.flatMap((issue) => issueDiagnostics(issue, ctx));
  throw new SpecError(diagnostics.sort(byPosition));
}

/** A script's file name as a shell word; `-x.py` becomes `./-x.py`, never an option. */
function scriptWord(file: string): string {
  return shQuote(file.startsWith('-') ? `./${file}` : file);
}

/** A spec for a bare script: run it from its own folder on this machine. */
export function specForScript(scriptPath: string): LoadedSpec {
  const abs = resolve(scriptPath);
  const ext = extname(abs).toLowerCase();
  const file = basename(abs);
  let run: string;
  if (ext === '.py') run = `python3 -u ${scriptWord(file)}`;
  else if (ext === '.sh') run = `bash ${scriptWord(file)}`;
  else {
    throw new UserError(`${scriptPath}: cannot run a ${ext || 'file without an extension'} file`, {
      hint: 'pass a .py or .sh script, or write a ferry.yaml with a run: command',
    });
  }
  const dir = dirname(abs);
  const name = basename(file, extname(file)) || 'job';
  const spec = specSchema({ dir }).parse({ name, run, target: 'local' });
  return { spec, dir };
}

const SPEC_NAMES = ['ferry.yaml', 'ferry.yml'];

async function kindOf(abs: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(abs);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new UserError(`cannot read ${abs}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * Loads a spec from what the user pointed at: a ferry.yaml (any *.yaml / *.yml), a folder
 * holding ferry.yaml, or a .py/.sh script (see specForScript). Messages name the path as the
 * user wrote it. Throws UserError (SpecError for a bad spec).
 */
export async function loadSpec(pathArg: string, opts: { cwd?: string } = {}): Promise<LoadedSpec> {
  const abs = resolve(opts.cwd ?? process.cwd(), pathArg);
  const kind = await kindOf(abs);
  if (!kind) {
    throw new UserError(`${pathArg}: no such file or folder`, { hint: 'pass a ferry.yaml, a folder holding one, or a .py/.sh script' });
  }
  let specFile = abs;
  let shown = pathArg;
  if (kind === 'dir') {
    let found: string | undefined;
    for (const name of SPEC_NAMES) {
      if ((await kindOf(join(abs, name))) === 'file') {
        found = name;
        break;
      }
    }
    if (!found) {
      throw new UserError(`${pathArg}: no ferry.yaml in this folder`, {
        hint: 'create one (at least `run: python train.py`), or pass a script: ferry run train.py',
      });
    }
    specFile = join(abs, found);
    shown = join(pathArg, found);
  } else if (!/\.ya?ml$/i.test(abs)) {
    if (/\.(py|sh)$/i.test(abs)) return specForScript(abs);
    throw new UserError(`${pathArg}: not a ferry.yaml, a folder or a .py/.sh script`, {
      hint: 'pass a ferry.yaml, a folder holding one, or a .py/.sh script',
    });
  }
  let text: string;
  try {
    text = await readFile(specFile, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${shown}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const dir = dirname(specFile);
  return { spec: parseSpecText(text, { file: shown, dir }), file: specFile, dir };
}
