/**
 * The e2e harness: a real VS Code (code-server 4.100.3, i.e. the VS Code 1.100.3 workbench and a Node extension host)
 * with the packaged extension installed into a fresh profile, driven by Debian's Chromium through playwright-core.
 *
 * scripts/e2e/run.mjs installs code-server (cached under .cache/code-server), packages the VSIX and sets the paths
 * below; the defaults are the same paths, so `node --test out/test/e2e/vscode.e2e.js` also works after one run.
 *
 * Every wait polls a condition with a timeout; nothing sleeps for a fixed time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../helpers';
import { CLI, copyWorkspace } from './fixture';

const env = process.env;
export const CODE_SERVER = env.SECURE_AI_E2E_CODE_SERVER ?? path.join(ROOT, '.cache/code-server/node_modules/code-server/out/node/entry.js');
export const VSIX = env.SECURE_AI_E2E_VSIX ?? path.join(ROOT, '.cache/e2e/secure-ai-dev.vsix');
export const ARTIFACTS = env.SECURE_AI_E2E_ARTIFACTS ?? path.join(ROOT, 'test-results/e2e');
export const CHROMIUM = env.SECURE_AI_E2E_CHROMIUM ?? '/usr/bin/chromium';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; publisher: string };
export const EXTENSION_ID = `${pkg.publisher}.${pkg.name}`;

/** Long enough for a loaded 2-core CI machine; a healthy run answers in well under a second per step. */
export const TIMEOUT = Number(env.SECURE_AI_E2E_TIMEOUT_MS ?? 30_000);

export class TimeoutError extends Error {}
/** Thrown by a probe when waiting longer cannot help; `poll` rethrows it at once. */
export class Fatal extends Error {}

/**
 * Calls `probe` until it returns something other than undefined / false, or throws after `timeoutMs` with the
 * description and the last value seen. The interval between calls is a poll interval, not a wait for the condition.
 */
export async function poll<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      if (err instanceof Fatal) throw err;
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined || last === false ? '' : ` (last: ${JSON.stringify(last)})`}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ------------------------------------------------------------------------------------------------ code-server

export interface ServerOptions {
  /** Names the temporary folder and the artifacts. */
  name: string;
  /** User settings (`User/settings.json`) on top of the defaults below. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
}

/** Settings that keep a fresh profile quiet and offline. */
export const BASE_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'update.mode': 'none',
  'editor.minimap.enabled': false,
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'workbench.colorTheme': 'Default Light Modern',
};

/** One code-server process with its own profile, extensions folder, HOME and workspace copy. */
export class CodeServer {
  readonly userData: string;
  readonly extensions: string;
  readonly workspace: string;
  readonly log: string;
  private proc: ChildProcess | undefined;
  private url = '';

  private constructor(readonly root: string, readonly name: string) {
    this.userData = path.join(root, 'user-data');
    this.extensions = path.join(root, 'extensions');
    this.workspace = copyWorkspace(root);
    this.log = path.join(root, 'code-server.log');
  }

  static async start(opts: ServerOptions): Promise<CodeServer> {
    for (const [what, p] of [['code-server', CODE_SERVER], ['the VSIX', VSIX], ['the CLI bundle', CLI]]) {
      if (!fs.existsSync(p)) throw new Error(`${what} is missing at ${p}: run \`npm run test:e2e\` (it installs and packages first)`);
    }
    const server = new CodeServer(fs.mkdtempSync(path.join(os.tmpdir(), `sai-e2e-${opts.name}-`)), opts.name);
    await server.launch(opts);
    return server;
  }

  private environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const home = path.join(this.root, 'home');
    fs.mkdirSync(home, { recursive: true });
    // A private HOME: code-server writes its config under XDG_CONFIG_HOME, and the language server looks for a
    // Hugging Face cache under HOME; neither may be the developer's own.
    return { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_DATA_HOME: path.join(home, '.local/share'), ...extra };
  }

  private async launch(opts: ServerOptions): Promise<void> {
    fs.mkdirSync(path.join(this.userData, 'User'), { recursive: true });
    fs.writeFileSync(path.join(this.userData, 'User', 'settings.json'), JSON.stringify({ ...BASE_SETTINGS, ...opts.settings }, null, 2));
    const env = this.environment(opts.env);
    const common = ['--user-data-dir', this.userData, '--extensions-dir', this.extensions];
    const install = spawnSync(process.execPath, [CODE_SERVER, ...common, '--install-extension', VSIX, '--force'], { env, encoding: 'utf8' });
    if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
      throw new Error(`installing ${VSIX} failed (${install.status}):\n${install.stdout}\n${install.stderr}`);
    }
    const out = fs.openSync(this.log, 'a');
    // Its own process group, so that stop() ends code-server and everything it started (extension host, watcher,
    // language server) and nothing else.
    this.proc = spawn(
      process.execPath,
      [CODE_SERVER, ...common, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', '--ignore-last-opened', this.workspace],
      { env, detached: true, stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    const proc = this.proc;
    this.url = await poll('code-server to listen', () => {
      if (proc.exitCode !== null) throw new Fatal(`code-server exited with ${proc.exitCode}:\n${fs.readFileSync(this.log, 'utf8')}`);
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(fs.readFileSync(this.log, 'utf8'));
      return m?.[1];
    }, 60_000);
  }

  /** The workbench URL for the workspace, with an optional development payload (extensionTestsPath etc.). */
  workbenchUrl(payload?: Array<[string, string]>): string {
    const u = new URL(this.url);
    u.searchParams.set('folder', this.workspace);
    if (payload) u.searchParams.set('payload', JSON.stringify(payload));
    return u.href;
  }

  /** `vscode-remote://` URI of a path on this server, for the development payload. */
  remoteUri(p: string): string {
    return `vscode-remote://${new URL(this.url).host}${p}`;
  }

  /** The extension host logs of this profile: `remoteexthost.log` and the "Secure AI" output, among others. */
  extensionHostLogs(): string[] {
    const logs = path.join(this.userData, 'logs');
    if (!fs.existsSync(logs)) return [];
    const walk = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    return walk(logs).filter((f) => /[\\/]exthost\d*[\\/]/.test(f) || /remoteagent\.log$/.test(f));
  }

  /** Copies the extension host logs and code-server's own output into `dir`. */
  saveLogs(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const logs = path.join(this.userData, 'logs');
    for (const f of this.extensionHostLogs()) {
      const to = path.join(dir, path.relative(logs, f));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(f, to);
    }
    if (fs.existsSync(this.log)) fs.copyFileSync(this.log, path.join(dir, 'code-server.log'));
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.pid === undefined) return;
    this.proc = undefined;
    const exited = new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-proc.pid!, signal);
      } catch {
        // already gone
      }
    };
    group('SIGTERM');
    const timer = setTimeout(() => group('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    // The extension host and the watcher are in the same group and may outlive their parent by a moment.
    group('SIGKILL');
  }

  /** Removes the temporary folder (kept when SECURE_AI_E2E_KEEP is set, for debugging). */
  dispose(): void {
    if (!env.SECURE_AI_E2E_KEEP) fs.rmSync(this.root, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------------ the browser

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/e2e/install-code-server.sh (it installs Debian's chromium)`);
  // Chromium writes crash reports and caches under XDG_CONFIG_HOME / XDG_CACHE_HOME: a private one, not the user's.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sai-e2e-browser-'));
  process.once('exit', () => fs.rmSync(home, { recursive: true, force: true }));
  return chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface ProblemRow {
  file: string;
  message: string;
  source: string;
  code: string;
  line: number;
  column: number;
}

/** A workbench page and the keyboard-driven steps the scenarios take in it. */
export class Workbench {
  private constructor(
    readonly server: CodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(server: CodeServer, browser: Browser, payload?: Array<[string, string]>): Promise<Workbench> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.workbenchUrl(payload));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return new Workbench(server, context, page);
  }

  async close(): Promise<void> {
    await this.context.close();
  }

  // -------------------------------------------------------------------------------------------- reading the UI

  /** The status bar item of the extension ("$(shield) N"). */
  get statusItem() {
    return this.page.locator(`[id="${EXTENSION_ID}.secureAi.findings"]`);
  }

  /** The number in the extension's status bar item, once it shows one. */
  async statusCount(): Promise<number | undefined> {
    if (!(await this.statusItem.isVisible())) return undefined;
    const m = /(\d+)/.exec(await this.statusItem.innerText());
    return m ? Number(m[1]) : undefined;
  }

  /** Polls until the status bar count equals `n`. */
  async waitForStatusCount(n: number, timeoutMs = TIMEOUT): Promise<void> {
    await poll(`the status bar count to be ${n}`, async () => (await this.statusCount()) === n, timeoutMs).catch(async (err: Error) => {
      throw new Error(`${err.message}; it shows ${JSON.stringify(await this.statusItem.innerText().catch(() => '(missing)'))}`);
    });
  }

  /** The text of the active editor's rendered lines (the editor renders spaces as no-break spaces). */
  async editorText(): Promise<string> {
    return (await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
  }

  /** Number of warning and error squiggles drawn in the active editor. */
  async squiggles(): Promise<number> {
    return this.page.locator('.editor-group-container.active .monaco-editor .squiggly-warning, .editor-group-container.active .monaco-editor .squiggly-error').count();
  }

  // -------------------------------------------------------------------------------------------- acting

  /** Quick Open (Ctrl+P) the file and wait for its tab to be the active one. */
  async openFile(relativePath: string): Promise<void> {
    const base = path.basename(relativePath);
    await this.quickInput('Control+P', relativePath);
    await this.acceptQuickInput(base);
    await this.page.locator('.tab.active', { hasText: base }).waitFor({ timeout: TIMEOUT });
    await this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor({ timeout: TIMEOUT });
  }

  /**
   * Opens a quick input with `shortcut` and fills in `text`, which carries the quick access prefix (`>` commands,
   * `:` go to line, none for files), so the input does what `text` says whichever picker the shortcut opened. The
   * first key presses can land before the workbench has bound its keybindings, so the shortcut is repeated until
   * the input shows.
   */
  private async quickInput(shortcut: string, text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    await poll(`the quick input (${shortcut})`, async () => {
      if (await input.isVisible()) return true;
      await this.page.keyboard.press(shortcut);
      return input.waitFor({ state: 'visible', timeout: 1000 }).then(() => true, () => false);
    });
    await input.fill(text);
  }

  /**
   * Waits until the quick input's first row contains `rowText` (the picker has taken the typed value), then presses
   * Enter until the input closes: on a loaded machine an Enter can arrive before the picker is ready for it.
   */
  private async acceptQuickInput(rowText: string): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: rowText }).first().waitFor({ timeout: TIMEOUT });
    await poll(`the quick input to accept ${JSON.stringify(rowText)}`, async () => {
      if (!(await widget.isVisible())) return true;
      await this.page.keyboard.press('Enter');
      return widget.waitFor({ state: 'hidden', timeout: 2000 }).then(() => true, () => false);
    });
  }

  /** Runs a command from the command palette (F1) by its title, e.g. "Secure AI: Scan Workspace". */
  async runCommand(title: string): Promise<void> {
    await this.quickInput('F1', `>${title}`);
    await this.acceptQuickInput(title);
  }

  /** Ctrl+G to a 1-based line and column in the active editor. */
  async goTo(line: number, column: number): Promise<void> {
    await this.quickInput('Control+G', `:${line}:${column}`);
    await this.acceptQuickInput(`line ${line}`);
    await poll(`the cursor at ${line}:${column}`, async () => (await this.page.locator('#status\\.editor\\.selection').innerText()).includes(`Ln ${line}, Col ${column}`));
  }

  /** Shows the hover at the cursor (Ctrl+K Ctrl+I) and returns its text once it has the rule's page in it. */
  async hoverAtCursor(contains: string): Promise<string> {
    const hover = this.page.locator('.monaco-editor .monaco-hover:not(.hidden)').first();
    return poll(`a hover containing ${JSON.stringify(contains)}`, async () => {
      if (!(await hover.isVisible())) {
        await this.page.keyboard.press('Control+K');
        await this.page.keyboard.press('Control+I');
        await hover.waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
      }
      const text = await hover.innerText().catch(() => '');
      return text.includes(contains) ? text : undefined;
    });
  }

  /** Ctrl+. at the cursor; returns the labels of the quick-fix menu's actions once `expected` is among them. */
  async quickFixMenu(expected: string): Promise<string[]> {
    const rows = this.page.locator('.action-widget .monaco-list-row.action');
    return poll(`the quick-fix menu with ${JSON.stringify(expected)}`, async () => {
      if (!(await this.page.locator('.action-widget').isVisible())) {
        await this.page.keyboard.press('Control+.');
        await rows.first().waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
      }
      const labels = (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))).filter(Boolean);
      return labels.includes(expected) ? labels : undefined;
    });
  }

  /**
   * Chooses a quick-fix menu row by label. A mouse click on a row is intercepted by an overlay, so the focus moves
   * with ArrowDown until the focused row is the one, then Enter.
   */
  async chooseQuickFix(label: string): Promise<void> {
    const focused = this.page.locator('.action-widget .monaco-list-row.action.focused');
    const count = await this.page.locator('.action-widget .monaco-list-row.action').count();
    for (let i = 0; i <= count; i++) {
      if ((await focused.getAttribute('aria-label').catch(() => null)) === label) {
        await this.page.keyboard.press('Enter');
        await this.page.locator('.action-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
        return;
      }
      await this.page.keyboard.press('ArrowDown');
    }
    throw new Error(`no quick-fix row labelled ${JSON.stringify(label)}`);
  }

  /** Ctrl+S and wait for the active tab to lose its dirty mark. */
  async save(): Promise<void> {
    await this.page.keyboard.press('Control+S');
    await poll('the active editor to be saved', async () => !(await this.page.locator('.tab.active.dirty').count()));
  }

  /** Opens the Problems panel (Ctrl+Shift+M) and shows only the rows of files matching `filter`, if given. */
  async openProblems(filter?: string): Promise<void> {
    const panel = this.page.locator('.markers-panel');
    await poll('the Problems panel', async () => {
      if (await panel.isVisible()) return true;
      await this.page.keyboard.press('Control+Shift+M');
      return panel.waitFor({ state: 'visible', timeout: 2000 }).then(() => true, () => false);
    });
    if (filter !== undefined) {
      const input = this.page.locator('.markers-panel-action-filter input, .viewpane-filter input').first();
      await input.fill(filter);
      // The filter applies after a short delay; its badge ("Showing 2 of 7") says when it has. Text typed while the
      // panel was still settling can be lost (seen once on CI): type it again whenever the box does not hold it.
      const badge = this.page.getByText(/^Showing \d+ of \d+$/);
      await poll(`the Problems filter ${JSON.stringify(filter)} to apply`, async () => {
        if ((await input.inputValue().catch(() => filter)) !== filter) await input.fill(filter);
        return filter ? badge.isVisible() : !(await badge.isVisible());
      });
    }
  }

  /** The rows of the Problems panel, grouped under their file rows. */
  async problems(): Promise<ProblemRow[]> {
    const rows = await this.page.locator('.markers-panel .monaco-list-row').evaluateAll((els) =>
      els.map((e) => ({ label: e.getAttribute('aria-label') ?? '', text: (e as unknown as { innerText: string }).innerText })),
    );
    const out: ProblemRow[] = [];
    let file = '';
    for (const r of rows) {
      const fileRow = /^\d+ problems? in file (.+?) of folder /.exec(r.label);
      if (fileRow) {
        file = fileRow[1];
        continue;
      }
      const [message = '', source = '', code = '', where = ''] = r.text.split('\n').map((s) => s.trim());
      const m = /\[Ln (\d+), Col (\d+)\]/.exec(where);
      out.push({ file, message, source, code, line: m ? Number(m[1]) : 0, column: m ? Number(m[2]) : 0 });
    }
    return out;
  }

  async screenshot(file: string): Promise<void> {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
  }
}

/**
 * Runs one scenario; when it fails, saves a screenshot of every open workbench and the extension host logs under
 * test-results/e2e/failures/<name>/ before rethrowing.
 */
export async function scenario(name: string, parts: { servers: CodeServer[]; workbenches: Workbench[] }, body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const dir = path.join(ARTIFACTS, 'failures', name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [i, wb] of parts.workbenches.entries()) {
      await wb.screenshot(path.join(dir, `screen-${i}.png`)).catch(() => undefined);
    }
    for (const s of parts.servers) s.saveLogs(path.join(dir, `logs-${s.name}`));
    (err as Error).message += `\n(screenshot and extension host logs: ${path.relative(ROOT, dir)})`;
    throw err;
  }
}
