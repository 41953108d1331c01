/**
 * The fixture workspace of the e2e tests and what the CLI finds in it. The CLI's findings are the expectation: the
 * UI and API scenarios check that VS Code shows the same findings, so the fixture needs no hand-kept counts when
 * rules are added. No vscode or browser imports here: the desktop harness uses it too.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers';

export const FIXTURE_WORKSPACE = path.join(ROOT, 'test/e2e/fixtures/workspace');
export const CLI = path.join(ROOT, 'dist/cli.js');

/** The file the scenarios open, fix and suppress in. Every other Python file is never opened. */
export const OPENED_FILE = 'train.py';

/** A fresh copy of the fixture workspace in `into` (the tests edit it). `gitignore` becomes `.gitignore`. */
export function copyWorkspace(into: string): string {
  const ws = path.join(into, 'workspace');
  fs.cpSync(FIXTURE_WORKSPACE, ws, { recursive: true });
  fs.renameSync(path.join(ws, 'gitignore'), path.join(ws, '.gitignore'));
  return ws;
}

export interface CliFinding {
  /** Relative to the workspace, with forward slashes. */
  path: string;
  ruleId: string;
  /** 1-based, as the CLI prints them. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  fix?: { title: string };
}

/** VS Code lists hints neither in the Problems panel nor as squiggles (they are faint dots), but counts them. */
export const listed = (f: CliFinding) => f.severity !== 'hint';

/** What `secure-ai scan --format json` finds in a folder, from the same build as the extension. */
export function cliFindings(dir: string): CliFinding[] {
  const r = spawnSync(process.execPath, [CLI, 'scan', '.', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`secure-ai scan failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { findings: CliFinding[] }).findings.map((f) => ({ ...f, path: f.path.split(path.sep).join('/') }));
}

/** What the API suite (test/e2e/api/suite.ts) is told, through the file named by SECURE_AI_E2E_EXPECTED. */
export interface ApiExpectation {
  findings: CliFinding[];
  openedFile: string;
  /** The threat-model command id when the manifest contributes it. */
  threatModelCommand?: string;
}

export const THREAT_MODEL_COMMAND = 'secureAi.generateThreatModel';

export function threatModelContributed(): { command: string; title: string; category?: string } | undefined {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    contributes?: { commands?: Array<{ command: string; title: string; category?: string }> };
  };
  return pkg.contributes?.commands?.find((c) => c.command === THREAT_MODEL_COMMAND);
}
