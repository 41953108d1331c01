/**
 * `secure-ai bom [path] [--output FILE] [--force]`: the AI bill of materials of a folder as CycloneDX 1.6 JSON. It
 * goes to stdout unless `--output` names a file (`secure-ai bom . > ai-bom.cdx.json` composes in CI); a file is
 * written atomically, only inside the folder described or the current one, never through a symbolic link, and never
 * over a file secure-ai did not write unless `--force`. `SOURCE_DATE_EPOCH` (reproducible builds) fixes the
 * timestamp, and with it the serial number, which is derived from the content.
 */
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_BOM_OUTPUT, DEFAULT_MAX_HASH_BYTES, GatherError, OutputError, generateBom, summaryLine } from '../bom';
import { DEFAULT_SETTINGS } from '../shared/settings';

export interface BomFlags {
  output?: string;
  force?: boolean;
  gitignore: boolean;
  exclude?: string[];
  threatModel?: string;
  maxHashMb?: number;
}

export interface ExitCodes {
  ok: number;
  error: number;
}

/** `SOURCE_DATE_EPOCH` as a date, when it is set to whole seconds since 1970. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): Date | undefined {
  const v = env.SOURCE_DATE_EPOCH?.trim();
  if (!v || !/^\d{1,12}$/.test(v)) return undefined;
  return new Date(Number(v) * 1000);
}

export async function bomCommand(folder: string | undefined, flags: BomFlags, exit: ExitCodes): Promise<number> {
  const cwd = process.cwd();
  const root = path.resolve(cwd, folder ?? '.');
  const toStdout = flags.output === undefined || flags.output === '-';
  try {
    const result = await generateBom(folder ?? '.', {
      output: toStdout ? undefined : flags.output,
      base: cwd,
      // A file named on the command line may go in the folder described or in the current one, nowhere else.
      allowedRoots: [root, cwd],
      force: flags.force === true,
      gitignore: flags.gitignore,
      settings: flags.exclude?.length ? { exclude: flags.exclude } : undefined,
      threatModelPath: flags.threatModel,
      maxHashBytes: flags.maxHashMb !== undefined ? flags.maxHashMb * 1024 * 1024 : undefined,
      now: sourceDateEpoch(),
    });
    if (!result.target) {
      process.stdout.write(result.text);
      return exit.ok;
    }
    process.stderr.write(`secure-ai: wrote ${path.relative(cwd, result.target) || result.target} (CycloneDX 1.6: ${summaryLine(result.summary)})\n`);
    return exit.ok;
  } catch (err) {
    // A problem the user can fix: one line, exit 2 (anything else is the program's internal error).
    if (!(err instanceof OutputError || err instanceof GatherError)) throw err;
    process.stderr.write(`secure-ai: ${err.message}\n`);
    return exit.error;
  }
}

function megabytes(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number of megabytes (0 hashes nothing).');
  return n;
}

/** Adds the `bom` subcommand to the program. */
export function addBomCommand(program: Command, setExit: (code: number) => void, exit: ExitCodes): void {
  program
    .command('bom')
    .description('print the AI bill of materials of a folder (default: the current one) as CycloneDX 1.6 JSON: models, datasets, ML libraries, the code that uses them')
    .argument('[path]', 'the folder to describe')
    .option('-o, --output <file>', `write it to this file instead of stdout (inside the folder or the current one; e.g. ${DEFAULT_BOM_OUTPUT}); "-" for stdout`)
    .option('--force', 'replace an existing file that secure-ai did not write')
    .option('--threat-model <file>', `the threat model to reference when it exists, relative to the folder (default ${DEFAULT_SETTINGS['threatModel.path']})`)
    .option('--max-hash-mb <n>', `hash model and data files up to this size (default ${DEFAULT_MAX_HASH_BYTES / (1024 * 1024)})`, megabytes)
    .option('--exclude <pattern>', 'skip paths matching this gitignore-style pattern (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--no-gitignore', 'do not honour .gitignore files')
    .addHelpText(
      'after',
      '\nExamples:\n  secure-ai bom . > ai-bom.cdx.json\n  secure-ai bom ml/ --output ai-bom.cdx.json\n\nSOURCE_DATE_EPOCH, when set, fixes the timestamp (and so the serial number) for reproducible output.',
    )
    .action(async (folder: string | undefined, flags: BomFlags) => {
      setExit(await bomCommand(folder, flags, exit));
    });
}
