/**
 * A stand-in for the `vscode` module, just wide enough to load dist/extension.js and run
 * activate() outside VS Code: it records what the extension registers (commands, views,
 * status bar items) so tests can compare that with package.json.
 */
import Module from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export interface StubRecord {
  commands: Map<string, (...args: unknown[]) => unknown>;
  treeViews: string[];
  statusBarItems: number;
  contexts: Map<string, unknown>;
  outputChannels: string[];
  executed: string[];
}

type Listener<T> = (e: T) => unknown;

class EventEmitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (l: Listener<T>) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

const noopEvent = () => ({ dispose() {} });

class Uri {
  constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  get path(): string {
    return this.fsPath;
  }
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(':')[0] ?? 'file', s);
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(u.scheme, path.join(u.fsPath, ...parts));
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

export function createVscodeStub(settings: Record<string, unknown> = {}): { vscode: Record<string, unknown>; record: StubRecord; context: Record<string, unknown> } {
  const record: StubRecord = { commands: new Map(), treeViews: [], statusBarItems: 0, contexts: new Map(), outputChannels: [], executed: [] };
  const logSink = () => undefined;
  const vscode: Record<string, unknown> = {
    EventEmitter,
    Uri,
    Disposable: class {
      constructor(private readonly fn: () => void) {}
      dispose() {
        this.fn();
      }
    },
    ThemeIcon: class {
      constructor(
        readonly id: string,
        readonly color?: unknown,
      ) {}
    },
    ThemeColor: class {
      constructor(readonly id: string) {}
    },
    TreeItem: class {
      constructor(
        readonly label: string,
        readonly collapsibleState?: number,
      ) {}
    },
    MarkdownString: class {
      supportThemeIcons = false;
      constructor(readonly value: string) {}
    },
    Range: class {
      constructor(...a: number[]) {
        void a;
      }
    },
    Position: class {
      constructor(...a: number[]) {
        void a;
      }
    },
    Diagnostic: class {
      source = '';
      constructor(...a: unknown[]) {
        void a;
      }
    },
    DiagnosticSeverity: { Error: 0, Warning: 1 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    window: {
      createOutputChannel: (name: string) => {
        record.outputChannels.push(name);
        return { name, trace: logSink, debug: logSink, info: logSink, warn: logSink, error: logSink, append: logSink, appendLine: logSink, show: logSink, dispose: logSink };
      },
      createTreeView: (id: string) => {
        record.treeViews.push(id);
        return { visible: false, onDidChangeVisibility: noopEvent, onDidChangeSelection: noopEvent, reveal: async () => undefined, dispose() {}, description: undefined };
      },
      createStatusBarItem: () => {
        record.statusBarItems++;
        return { show() {}, hide() {}, dispose() {}, text: '', tooltip: '', command: '', name: '' };
      },
      showInformationMessage: async () => undefined,
      showWarningMessage: async () => undefined,
      showErrorMessage: async () => undefined,
      showQuickPick: async () => undefined,
      showInputBox: async () => undefined,
      withProgress: async (_o: unknown, fn: (p: unknown, t: unknown) => unknown) => fn({ report() {} }, { isCancellationRequested: false, onCancellationRequested: noopEvent }),
      createTerminal: () => ({ show() {}, dispose() {} }),
      registerWebviewPanelSerializer: () => ({ dispose() {} }),
      activeTextEditor: undefined,
    },
    commands: {
      registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
        if (record.commands.has(id)) throw new Error(`command ${id} registered twice`);
        record.commands.set(id, fn);
        return { dispose: () => record.commands.delete(id) };
      },
      executeCommand: async (id: string, ...args: unknown[]) => {
        record.executed.push(id);
        if (id === 'setContext') record.contexts.set(String(args[0]), args[1]);
        return undefined;
      },
    },
    workspace: {
      isTrusted: true,
      workspaceFolders: undefined,
      textDocuments: [],
      getConfiguration: () => ({
        get: (key: string) => settings[key],
        inspect: (key: string) => (key in settings ? { globalValue: settings[key] } : {}),
        update: async () => undefined,
      }),
      onDidChangeConfiguration: noopEvent,
      onDidOpenTextDocument: noopEvent,
      onDidChangeTextDocument: noopEvent,
      onDidCloseTextDocument: noopEvent,
      onDidChangeWorkspaceFolders: noopEvent,
      findFiles: async () => [],
      createFileSystemWatcher: () => ({ onDidCreate: noopEvent, onDidDelete: noopEvent, onDidChange: noopEvent, dispose() {} }),
      fs: { readFile: async () => new Uint8Array() },
      asRelativePath: (p: unknown) => String(p),
    },
    languages: { createDiagnosticCollection: () => ({ set() {}, delete() {}, clear() {}, dispose() {} }) },
    extensions: { getExtension: () => undefined },
    env: { clipboard: { writeText: async () => undefined }, uiKind: 1 },
  };
  const memento = () => {
    const m = new Map<string, unknown>();
    return { get: (k: string, d?: unknown) => (m.has(k) ? m.get(k) : d), update: async (k: string, v: unknown) => void m.set(k, v), keys: () => [...m.keys()] };
  };
  const secrets = new Map<string, string>();
  const context: Record<string, unknown> = {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: Uri.file(path.resolve(__dirname, '..', '..', '..')),
    extensionPath: path.resolve(__dirname, '..', '..', '..'),
    globalState: memento(),
    workspaceState: memento(),
    globalStorageUri: Uri.file(path.join(tmpdir(), 'ferry-stub-global')),
    secrets: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
      onDidChange: noopEvent,
    },
  };
  return { vscode, record, context };
}

/** Makes `require('vscode')` return the stub (for code loaded after this call). */
export function installVscodeStub(vscode: Record<string, unknown>): () => void {
  const mod = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const original = mod._load;
  mod._load = function (request: string, parent: unknown, isMain: boolean) {
    if (request === 'vscode') return vscode;
    return original.call(this, request, parent, isMain);
  };
  return () => {
    mod._load = original;
  };
}
