/**
 * `npm run test:e2e:desktop`: the API-level e2e checks (test/e2e/api/suite.ts) in desktop VS Code, through
 * @vscode/test-electron. For contributors with network access: test-electron downloads VS Code (into
 * .vscode-test/) on its first run, which the CI machines cannot do; CI runs the same suite, and the UI scenarios,
 * in code-server (`npm run test:e2e`).
 *
 * The extension is loaded from this checkout (extensionDevelopmentPath = the repository, main = dist/extension.js),
 * into a fresh profile with every other extension disabled, on a fresh copy of the fixture workspace.
 * VSCODE_E2E_VERSION picks the VS Code version (default: the lowest the manifest supports, 1.100.3; `stable` works).
 * On a machine without a display, run it under `xvfb-run -a`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT } from '../helpers';
import type { ApiReport } from './api/suite';
import { OPENED_FILE, cliFindings, copyWorkspace, threatModelContributed, type ApiExpectation } from './fixture';

async function main(): Promise<number> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-e2e-desktop-'));
  const workspace = copyWorkspace(tmp);
  const userData = path.join(tmp, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'extensions.ignoreRecommendations': true, 'git.enabled': false }),
  );
  const expectation: ApiExpectation = { findings: cliFindings(workspace), openedFile: OPENED_FILE, threatModelCommand: threatModelContributed()?.command };
  const expectedFile = path.join(tmp, 'expected.json');
  const resultFile = path.join(ROOT, 'test-results', 'e2e-desktop', 'api-result.json');
  fs.mkdirSync(path.dirname(resultFile), { recursive: true });
  fs.rmSync(resultFile, { force: true });
  fs.writeFileSync(expectedFile, JSON.stringify(expectation, null, 2));

  let code: number;
  try {
    code = await runTests({
      version: process.env.VSCODE_E2E_VERSION ?? '1.100.3',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(__dirname, 'api', 'suite.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', `--user-data-dir=${userData}`],
      extensionTestsEnv: { SECURE_AI_E2E_API_RESULT: resultFile, SECURE_AI_E2E_EXPECTED: expectedFile },
    });
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    code = 1;
  }
  if (fs.existsSync(resultFile)) {
    const report = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as ApiReport;
    console.log(`VS Code ${report.vscodeVersion} (${report.appHost})`);
    for (const r of report.results) console.log(`${r.skipped ? 'skip' : r.ok ? 'ok  ' : 'FAIL'}  ${r.name} (${r.ms} ms)${r.skipped ? `: ${r.skipped}` : ''}${r.ok ? '' : `\n      ${r.error}`}`);
    if (!report.done || report.results.some((r) => !r.ok)) code ||= 1;
  } else {
    console.error(`no report at ${resultFile}`);
    code ||= 1;
  }
  if (!process.env.SECURE_AI_E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  return code;
}

main().then((code) => process.exit(code));
