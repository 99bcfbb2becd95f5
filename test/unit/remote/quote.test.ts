import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { shJoin, shPath, shQuote } from '../../../src/core/util/quote';

/** A small seeded PRNG (mulberry32) so a failure reproduces from the printed seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces that break naive quoting: quotes, expansions, globbing, whitespace, non-ASCII.
const NASTY = ["'", '"', '\\', '$', '$(id)', '`id`', '${HOME}', '\n', '\r', '\t', ' ', '*', '?', '[a]', '~', '!', '#', ';', '&', '|', '<', '>', '(', ')', '{', '}', '-n', '--', '%s', 'é', 'Ω', '日本', '🚀', '\u200b', "'\\''", '\x01', '\x7f'];

function randomString(r: () => number): string {
  const n = Math.floor(r() * 12);
  let s = '';
  for (let i = 0; i < n; i++) {
    const pick = r();
    if (pick < 0.5) s += NASTY[Math.floor(r() * NASTY.length)] ?? '';
    else if (pick < 0.8) s += String.fromCharCode(0x20 + Math.floor(r() * 95));
    else s += String.fromCodePoint(1 + Math.floor(r() * 0x2ffff)).replace(/[\ud800-\udfff]/g, 'x');
  }
  return s;
}

const shells = ['/bin/sh', '/bin/bash', '/bin/dash'].filter((s) => existsSync(s));

for (const shell of shells) {
  test(`shQuote: random strings reach printf unchanged through ${shell}`, () => {
    const seed = 20240601;
    const r = rng(seed);
    // Batch many words into one shell run: each printed with a NUL after it, so the split
    // checks both the content and that each quoted word stayed one argument.
    const words: string[] = ['', "'", "''", 'a b', '\n', "it's", '$(touch /tmp/pwned)', 'x'.repeat(2000)];
    for (let i = 0; i < 400; i++) words.push(randomString(r));
    const cmd = `printf '%s\\0' ${shJoin(words)}`;
    const out = spawnSync(shell, ['-c', cmd], { encoding: 'buffer' });
    assert.equal(out.status, 0, `seed ${seed}: ${out.stderr.toString()}`);
    const got = out.stdout.toString('utf8').split('\0');
    got.pop();
    assert.equal(got.length, words.length, `seed ${seed}: word count`);
    for (let i = 0; i < words.length; i++) assert.equal(got[i], words[i], `seed ${seed}: word ${i} ${JSON.stringify(words[i])}`);
  });
}

test('shQuote: one word per string, safe words left bare', () => {
  assert.equal(shQuote('abc/def-1.txt'), 'abc/def-1.txt');
  assert.equal(shQuote(''), "''");
  assert.equal(shQuote("a'b"), "'a'\\''b'");
  assert.equal(shQuote('a b'), "'a b'");
  assert.throws(() => shQuote('a\0b'), /NUL/);
});

test('shPath keeps ~/ expandable and quotes the rest', () => {
  assert.equal(shPath('~/a b'), "~/'a b'");
  assert.equal(shPath('~'), '~');
  assert.equal(shPath('/x/y'), '/x/y');
  const out = spawnSync('/bin/sh', ['-c', `printf %s ${shPath("~/it's here")}`], { encoding: 'utf8', env: { HOME: '/home/zz' } });
  assert.equal(out.stdout, "/home/zz/it's here");
});
