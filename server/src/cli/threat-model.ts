/**
 * `secure-ai threat-model [path] [--output FILE] [--format md|json|threat-dragon] [--force]`: the threat-model
 * generator on the command line. Markdown goes to `<path>/THREAT_MODEL.md` unless `--output` says otherwise and is
 * regenerated in place (blocks replaced, a person's text, statuses and notes kept); the JSON formats go to stdout
 * unless `--output` names a file. `--output -` writes any format to stdout.
 */
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { FORMATS, GatherError, OutputError, generateThreatModel, summaryLine, type Format } from '../threat-model';

export interface ThreatModelFlags {
  output?: string;
  format: Format;
  force?: boolean;
  gitignore: boolean;
  exclude?: string[];
}

export interface ExitCodes {
  ok: number;
  error: number;
}

export async function threatModelCommand(folder: string | undefined, flags: ThreatModelFlags, exit: ExitCodes): Promise<number> {
  const cwd = process.cwd();
  const root = path.resolve(cwd, folder ?? '.');
  const toStdout = flags.output === '-' || (flags.output === undefined && flags.format !== 'md');
  try {
    const result = await generateThreatModel(root, {
      format: flags.format,
      output: toStdout ? undefined : flags.output,
      write: !toStdout,
      base: flags.output !== undefined ? cwd : root,
      // A file named on the command line may go in the folder described or in the current one.
      allowedRoots: [root, cwd],
      force: flags.force === true,
      gitignore: flags.gitignore,
      settings: flags.exclude?.length ? { exclude: flags.exclude } : undefined,
    });
    if (!result.target) {
      process.stdout.write(result.text);
      return exit.ok;
    }
    const shown = path.relative(cwd, result.target) || result.target;
    const notes = [
      result.keptStatuses.length ? `kept ${result.keptStatuses.length} status${result.keptStatuses.length === 1 ? '' : 'es'} you set` : '',
      result.addedBlocks.length ? `added missing sections: ${result.addedBlocks.join(', ')}` : '',
    ].filter(Boolean);
    process.stderr.write(`secure-ai: wrote ${shown} (${summaryLine(result.summary)})${notes.length ? `; ${notes.join('; ')}` : ''}\n`);
    return exit.ok;
  } catch (err) {
    // A problem the user can fix: one line, exit 2 (anything else is the program's internal error).
    if (!(err instanceof OutputError || err instanceof GatherError)) throw err;
    process.stderr.write(`secure-ai: ${err.message}\n`);
    return exit.error;
  }
}

/** Adds the `threat-model` subcommand to the program. */
export function addThreatModelCommand(program: Command, setExit: (code: number) => void, exit: ExitCodes): void {
  program
    .command('threat-model')
    .description('write a draft threat model of a folder (default: the current one), derived from its code')
    .argument('[path]', 'the folder to describe')
    .option('-o, --output <file>', 'where to write it (default: THREAT_MODEL.md in the folder for md, stdout for json; "-" for stdout)')
    .addOption(new Option('-f, --format <format>', 'md, json (the model as data) or threat-dragon (OWASP Threat Dragon v2)').choices(FORMATS).default('md'))
    .option('--force', 'replace an existing file that secure-ai did not write')
    .option('--exclude <pattern>', 'skip paths matching this gitignore-style pattern (repeatable)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--no-gitignore', 'do not honour .gitignore files')
    .action(async (folder: string | undefined, flags: ThreatModelFlags) => {
      setExit(await threatModelCommand(folder, flags, exit));
    });
}
