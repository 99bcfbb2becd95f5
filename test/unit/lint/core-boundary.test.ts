import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('lint: src/core never imports vscode', () => {
  const eslint = new ESLint({ cwd: ROOT });

  it('fails on a vscode import under src/core', async () => {
    const [r] = await eslint.lintText("import * as vscode from 'vscode';\nexport const x = vscode.version;\n", { filePath: path.join(ROOT, 'src/core/jobs/bad.ts') });
    const rules = (r?.messages ?? []).map((m) => m.ruleId);
    assert.ok(rules.includes('no-restricted-imports') || rules.includes('@typescript-eslint/no-restricted-imports'), JSON.stringify(r?.messages));
    assert.match(r?.messages.find((m) => /restricted-imports/.test(m.ruleId ?? ''))?.message ?? '', /src\/core must not import vscode/);
  });

  it('allows it in src/extension', async () => {
    const [r] = await eslint.lintText("import * as vscode from 'vscode';\nexport const x = vscode.version;\n", { filePath: path.join(ROOT, 'src/extension/ok.ts') });
    assert.deepEqual((r?.messages ?? []).filter((m) => /restricted-imports/.test(m.ruleId ?? '')), []);
  });
});
