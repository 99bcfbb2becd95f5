import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SpecError } from '../core/spec/parse';
import type { SpecDiagnostic } from '../core/spec/types';

const SPEC_FILE = /(^|[\\/])ferry\.ya?ml$/i;

export function isSpecFile(fsPath: string): boolean {
  return SPEC_FILE.test(fsPath);
}

/** A SpecDiagnostic (1-based line/col) as a VS Code range: from the column to the end of its word. */
export function toDiagnostic(d: SpecDiagnostic, lineText?: string): vscode.Diagnostic {
  const line = Math.max(0, d.line - 1);
  const col = Math.max(0, d.col - 1);
  let end = col + 1;
  if (lineText !== undefined) {
    const rest = lineText.slice(col);
    const m = /^[^\s#]*(?:[^\n#]*[^\s#])?/.exec(rest);
    end = col + Math.max(1, m?.[0].length ?? 1);
  }
  const diag = new vscode.Diagnostic(new vscode.Range(line, col, line, end), d.path ? `${d.path}: ${d.message}` : d.message, vscode.DiagnosticSeverity.Error);
  diag.source = 'ferry';
  return diag;
}

/**
 * ferry.yaml problems in the Problems panel, at the line and column core reports: from a run
 * that failed on the spec, and live while a ferry.yaml is edited.
 */
export class SpecDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('ferry');
  private readonly subs: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** Validates ferry.yaml documents as they are opened and edited. */
  watchDocuments(): void {
    const check = (doc: vscode.TextDocument, delay: number) => {
      if (doc.uri.scheme !== 'file' || !isSpecFile(doc.uri.fsPath)) return;
      const key = doc.uri.toString();
      const t = this.timers.get(key);
      if (t) clearTimeout(t);
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          void this.validate(doc);
        }, delay),
      );
    };
    this.subs.push(
      vscode.workspace.onDidOpenTextDocument((d) => check(d, 0)),
      vscode.workspace.onDidChangeTextDocument((e) => check(e.document, 400)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (isSpecFile(d.uri.fsPath)) this.collection.delete(d.uri);
      }),
    );
    for (const d of vscode.workspace.textDocuments) check(d, 0);
  }

  async validate(doc: vscode.TextDocument): Promise<void> {
    // Loaded on first use: the YAML parser and the schema are not needed to activate.
    const { parseSpecText, SpecError } = await import('../core/spec/parse');
    try {
      parseSpecText(doc.getText(), { file: doc.uri.fsPath, dir: path.dirname(doc.uri.fsPath) });
      this.collection.delete(doc.uri);
    } catch (err) {
      if (err instanceof SpecError) this.collection.set(doc.uri, err.diagnostics.map((d) => toDiagnostic(d, doc.lineAt(Math.min(doc.lineCount - 1, Math.max(0, d.line - 1))).text)));
    }
  }

  /** Shows a failed load's diagnostics (file names are absolute: the run flow loads by absolute path). */
  async showSpecError(err: SpecError): Promise<vscode.Uri | undefined> {
    const byFile = new Map<string, SpecDiagnostic[]>();
    for (const d of err.diagnostics) byFile.set(d.file, [...(byFile.get(d.file) ?? []), d]);
    let first: vscode.Uri | undefined;
    for (const [file, list] of byFile) {
      const uri = vscode.Uri.file(path.resolve(file));
      first ??= uri;
      let lines: string[] | undefined;
      try {
        lines = Buffer.from(await vscode.workspace.fs.readFile(uri))
          .toString('utf8')
          .split('\n');
      } catch {
        lines = undefined;
      }
      this.collection.set(
        uri,
        list.map((d) => toDiagnostic(d, lines?.[d.line - 1])),
      );
    }
    return first;
  }

  clear(uri: vscode.Uri): void {
    this.collection.delete(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subs) s.dispose();
    this.collection.dispose();
  }
}
