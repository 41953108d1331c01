/** The annotation format of rule fixtures: `# expect: SAInnn` / `# ok: SAInnn` on the line above each case. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIXTURES } from './helpers';

const DIR = path.join(FIXTURES, 'rules');
const ANNOTATION = /^\s*#\s*(expect|ok):\s*(SAI\d{3}(?:\s*,\s*SAI\d{3})*)\s*$/;

export interface Case {
  kind: 'expect' | 'ok';
  ruleId: string;
  annotationLine: number;
  first: number;
  last: number;
}

export function parseCases(text: string): Case[] {
  const lines = text.split('\n');
  const cases: Case[] = [];
  let pending: Array<Omit<Case, 'first' | 'last'>> = [];
  for (let i = 0; i < lines.length; i++) {
    const m = ANNOTATION.exec(lines[i]);
    if (m) {
      if (pending.length === 0 && cases.length) closeOpen(cases, i - 1);
      for (const id of m[2].split(',')) pending.push({ kind: m[1] as Case['kind'], ruleId: id.trim(), annotationLine: i });
      continue;
    }
    if (pending.length) {
      for (const p of pending) cases.push({ ...p, first: i, last: Number.MAX_SAFE_INTEGER });
      pending = [];
    }
  }
  return cases;
}

function closeOpen(cases: Case[], last: number): void {
  for (const c of cases) if (c.last === Number.MAX_SAFE_INTEGER) c.last = last;
}

/** Fixture files: Python sources, and for manifest rules requirements (.txt), TOML, setup.cfg and YAML files. */
export const FIXTURE_FILE = /^SAI\d{3}-.*\.(py|txt|toml|cfg|yml)$/;

export function isFixture(name: string): boolean {
  return FIXTURE_FILE.test(name) && !/\.fixed\.\w+$/.test(name);
}

export function fixtureFiles(): string[] {
  return fs.readdirSync(DIR).filter(isFixture).sort();
}

/** Where the fixed twin of a fixture lives: `SAI702-requirements.txt` → `SAI702-requirements.fixed.txt`. */
export function fixedTwin(name: string): string {
  return name.replace(/\.(\w+)$/, '.fixed.$1');
}

