/**
 * The `secure-ai` command line: `scan`, `rules` and `threat-model`. Exit codes: 0 no findings, 1 findings, 2 a usage or internal
 * error (including a path that cannot be read).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { enabledRules } from '../engine/analyze';
import type { Rule } from '../engine/rule';
import type { Confidence } from '../engine/types';
import { RULES } from '../rules';
import { withDefaults } from '../shared/settings';
import { lockFilesAbove } from '../workspace/project-facts';
import { collectFiles } from './files';
import { formatJson } from './format-json';
import { formatSarif } from './format-sarif';
import { formatText, shouldColor } from './format-text';
import { ruleDocsUrl } from './links';
import { packageVersion } from './package-info';
import { describeFsError } from './paths';
import { defaultJobs, scanFiles } from './scan';
import { summarise, type ReportInput } from './summary';
import { addThreatModelCommand } from './threat-model';
import { addBomCommand } from './bom';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_ERROR = 2;

const FORMATS = ['text', 'json', 'sarif'] as const;
type Format = (typeof FORMATS)[number];

/** A problem the user can fix: reported as one line, exit 2. */
export class UsageError extends Error {}

interface ScanFlags {
  format: Format;
  output?: string;
  select?: string[];
  ignore?: string[];
  minConfidence: Confidence;
  showSuppressed?: boolean;
  maxFileSizeKb?: number;
  maxModelFileSizeMb?: number;
  exclude?: string[];
  gitignore: boolean;
  jobs?: number;
}

function idList(value: string, previous: string[] | undefined): string[] {
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('expected one or more comma-separated rule ids or prefixes.');
  return [...(previous ?? []), ...ids];
}

function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of 1 or more.');
  return n;
}

/** Every id or prefix must match at least one rule, so that a typo does not silently select nothing. */
function checkRuleIds(flag: string, ids: string[]): void {
  for (const id of ids) {
    if (!RULES.some((r) => r.id.startsWith(id.toUpperCase()))) {
      throw new UsageError(`${flag} '${id}' matches no rule (run 'secure-ai rules' for the list)`);
    }
  }
}

function writeReport(text: string, output: string | undefined): void {
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    fs.writeFileSync(output, text);
  } catch (err) {
    throw new UsageError(`cannot write '${output}': ${describeFsError(err)}`);
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function warn(message: string): void {
  process.stderr.write(`secure-ai: warning: ${message}\n`);
}

async function scanCommand(paths: string[], flags: ScanFlags): Promise<number> {
  const select = flags.select?.length ? flags.select : undefined;
  const ignore = flags.ignore?.length ? flags.ignore : undefined;
  checkRuleIds('--select', select ?? []);
  checkRuleIds('--ignore', ignore ?? []);
  const cwd = process.cwd();
  const settings = withDefaults({
    minConfidence: flags.minConfidence,
    ...(flags.maxFileSizeKb !== undefined ? { maxFileSizeKb: flags.maxFileSizeKb } : {}),
    ...(flags.maxModelFileSizeMb !== undefined ? { maxModelFileSizeMb: flags.maxModelFileSizeMb } : {}),
  });
  const exclude = [...settings.exclude, ...(flags.exclude ?? [])];

  const collected = await collectFiles(paths, { cwd, gitignore: flags.gitignore, exclude });
  if (collected.errors.length) {
    for (const e of collected.errors) process.stderr.write(`secure-ai: ${e}\n`);
    return EXIT_ERROR;
  }
  for (const w of collected.warnings) warn(w);

  // A model file's relative path in code is read against the folders scanned and the current folder.
  const roots = [...new Set([...(paths.length ? paths : ['.']).map((p) => path.resolve(cwd, p)).filter(isDirectory), cwd])];
  const reports = await scanFiles(collected.files, {
    settings,
    select,
    ignore,
    jobs: flags.jobs ?? defaultJobs(),
    roots,
    lockFiles: [...collected.lockFiles, ...roots.flatMap(lockFilesAbove)],
  });
  const rules: Rule[] = enabledRules(settings, { select, ignore });
  const input: ReportInput = { cwd, reports, rules, showSuppressed: flags.showSuppressed === true, version: packageVersion() };

  let text: string;
  switch (flags.format) {
    case 'json':
      text = formatJson(input);
      break;
    case 'sarif':
      text = formatSarif(input);
      break;
    default:
      text = formatText(input, { color: flags.output === undefined && shouldColor(process.stdout) });
  }
  writeReport(text, flags.output);
  return summarise(reports).findings > 0 ? EXIT_FINDINGS : EXIT_OK;
}

function rulesCommand(flags: { format: 'text' | 'json' }): number {
  if (flags.format === 'json') {
    const rules = RULES.map((r) => ({
      id: r.id,
      name: r.name,
      hazard: r.hazard,
      severity: r.severity,
      confidence: r.confidence,
      guidelines: r.guidelines,
      docs: ruleDocsUrl(r.id),
    }));
    process.stdout.write(`${JSON.stringify(rules, null, 2)}\n`);
    return EXIT_OK;
  }
  const rows = [['ID', 'SEVERITY', 'HAZARD', 'GUIDELINES'], ...RULES.map((r) => [r.id, r.severity, r.hazard, r.guidelines.join(', ')])];
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell)).join('  '));
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('secure-ai')
    .description('Flags insecure patterns in Python ML code, each mapped to the NCSC/CISA Guidelines for Secure AI System Development.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text.startsWith('error: ') ? `secure-ai: ${text}` : text) })
    .exitOverride();

  program
    .command('scan')
    .description('scan Python files and folders (default: the current folder)')
    .argument('[paths...]', 'files or folders to scan')
    .addOption(new Option('-f, --format <format>', 'report format').choices(FORMATS).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--select <ids>', 'only run these rules: comma-separated ids or prefixes such as SAI2 (repeatable)', idList)
    .option('--ignore <ids>', 'do not run these rules: comma-separated ids or prefixes (repeatable)', idList)
    .addOption(new Option('--min-confidence <level>', 'drop findings below this confidence').choices(['low', 'medium', 'high']).default('low'))
    .option('--show-suppressed', 'also list findings silenced by "# secure-ai: ignore[...]" comments')
    .option('--max-file-size-kb <n>', `skip (with a notice) files larger than this (default ${withDefaults({}).maxFileSizeKb})`, positiveInteger)
    .option('--max-model-file-size-mb <n>', `skip (with a notice) model files larger than this (default ${withDefaults({}).maxModelFileSizeMb})`, positiveInteger)
    .option('--exclude <pattern>', 'skip paths matching this gitignore-style pattern (repeatable)', repeatable)
    .option('--no-gitignore', 'do not honour .gitignore files')
    .option('-j, --jobs <n>', `worker threads (default: available cores, here ${defaultJobs()})`, positiveInteger)
    .action(async (paths: string[], flags: ScanFlags) => {
      setExit(await scanCommand(paths, flags));
    });

  program
    .command('rules')
    .description('list the rules')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((flags: { format: 'text' | 'json' }) => {
      setExit(rulesCommand(flags));
    });

  addThreatModelCommand(program, setExit, { ok: EXIT_OK, error: EXIT_ERROR });
  addBomCommand(program, setExit, { ok: EXIT_OK, error: EXIT_ERROR });

  return program;
}

/** Runs the command line; resolves to the exit code. Never throws. */
export async function run(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  try {
    const program = buildProgram((c) => (code = c));
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_ERROR;
    if (err instanceof UsageError) {
      process.stderr.write(`secure-ai: ${err.message}\n`);
      return EXIT_ERROR;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`secure-ai: internal error: ${message.split('\n')[0]}\n`);
    if (process.env.SECURE_AI_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT_ERROR;
  }
}

/** For `node dist/cli.js` and bin/secure-ai.js: run, then exit with the code once output has drained. */
export function main(argv: string[] = process.argv.slice(2)): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // The reader went away (`secure-ai scan | head`): stop quietly.
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw err;
  });
  void run(argv).then((code) => {
    process.exitCode = code;
  });
}
