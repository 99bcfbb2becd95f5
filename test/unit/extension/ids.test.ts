/**
 * The typed ids (src/extension/ids.ts) against package.json, both ways: every contributed
 * command, view, setting and context key has its id, and every id is contributed. (That every
 * contributed command is registered at activation is checked in package.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Commands, ContextKeys, DashboardIds, NODE_ONLY_COMMANDS, RESTRICTED_SETTINGS, SecretKeys, Settings, Views } from '../../../src/extension/ids';

interface Menu {
  command: string;
  when?: string;
  group?: string;
}
interface Manifest {
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    views: Record<string, { id: string }[]>;
    viewsWelcome: { view: string; contents: string; when?: string }[];
    menus: Record<string, Menu[]>;
    configuration: { properties: Record<string, unknown> };
    viewsContainers: { activitybar: { id: string; icon: string }[] };
    walkthroughs?: { steps: { media: { markdown?: string } }[] }[];
  };
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const c = pkg.contributes;
const commandIds = new Set<string>([...Object.values(Commands), DashboardIds.open]);
const contributed = new Set(c.commands.map((x) => x.command));

function sorted(s: Iterable<string>): string[] {
  return [...s].sort();
}

test('every command id is contributed, and every contributed command has an id', () => {
  assert.deepEqual(sorted(contributed), sorted(commandIds));
});

test('every command is in the "Ferry" category with a title', () => {
  for (const cmd of c.commands) {
    assert.equal(cmd.category, 'Ferry', cmd.command);
    assert.ok(cmd.title.length > 0, cmd.command);
  }
});

test('commands that need a tree node are hidden from the palette; the palette ones are not', () => {
  const hidden = new Set((c.menus.commandPalette ?? []).filter((m) => m.when === 'false').map((m) => m.command));
  assert.deepEqual(sorted(hidden), sorted(NODE_ONLY_COMMANDS));
  for (const must of [Commands.runOnCloud, Commands.runLocally, Commands.syncData, Commands.showOffers, Commands.configureProvider, Commands.removeProviderKey, Commands.stopJob, Commands.showJobLogs]) {
    assert.ok(!hidden.has(must), `${must} must be in the palette`);
  }
});

test('menus only name contributed commands, and view menus only name Ferry views', () => {
  const views = new Set<string>(Object.values(Views));
  for (const [where, items] of Object.entries(c.menus)) {
    for (const m of items) {
      assert.ok(contributed.has(m.command), `${where}: ${m.command} is not contributed`);
      for (const v of m.when?.match(/view == ([\w.]+)/g) ?? []) assert.ok(views.has(v.slice('view == '.length)), `${where}: unknown ${v}`);
    }
  }
});

test('views and the view container match the ids, and the icon exists', () => {
  const views = Object.values(c.views).flatMap((vs) => vs.map((v) => v.id));
  assert.deepEqual(sorted(views), sorted(Object.values(Views)));
  assert.deepEqual(Object.keys(c.views), ['ferry']);
  const container = c.viewsContainers.activitybar.find((x) => x.id === 'ferry');
  assert.ok(container);
  assert.ok(readFileSync(path.join(ROOT, container.icon), 'utf8').includes('<svg'));
  for (const w of c.viewsWelcome) assert.ok(views.includes(w.view), w.view);
});

test('settings ids match the contributed configuration both ways', () => {
  assert.deepEqual(sorted(Object.keys(c.configuration.properties)), sorted(Object.values(Settings)));
});

test('restricted settings exist, untrusted workspaces are limited', () => {
  const props = new Set(Object.keys(c.configuration.properties));
  const restricted = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.deepEqual(sorted(restricted), sorted(RESTRICTED_SETTINGS));
  for (const r of restricted) assert.ok(props.has(r), r);
});

test('context keys in when clauses are ids, and no API key is a setting', () => {
  const keys = new Set<string>(Object.values(ContextKeys));
  const whens = [...Object.values(c.menus).flat().map((m) => m.when ?? ''), ...c.viewsWelcome.map((w) => w.when ?? '')];
  for (const w of whens) {
    for (const id of w.match(/(?<![=] )\bferry\.[\w.]+/g) ?? []) {
      if ((Object.values(Views) as string[]).includes(id)) continue;
      assert.ok(keys.has(id), `when clause uses unknown context key ${id}`);
    }
  }
  for (const k of Object.keys(c.configuration.properties)) assert.doesNotMatch(k, /key|secret|token/i);
  for (const s of Object.values(SecretKeys)) assert.ok(!(s in c.configuration.properties));
});

test('activation happens only on a ferry.yaml workspace or a restored dashboard (views and commands activate implicitly)', () => {
  assert.deepEqual(sorted(pkg.activationEvents), [`onWebviewPanel:${DashboardIds.viewType}`, 'workspaceContains:**/ferry.yaml', 'workspaceContains:**/ferry.yml']);
});

test('walkthrough media exist', () => {
  for (const w of c.walkthroughs ?? []) for (const s of w.steps) if (s.media.markdown) readFileSync(path.join(ROOT, s.media.markdown), 'utf8');
});
