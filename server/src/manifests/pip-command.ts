/**
 * Install commands as notebooks run them (`!pip install ...`, `%pip install ...`, `%conda install ...`): the command
 * text is split into shell words and commands (quotes, escapes, `&&`, `;`, `|`, redirections; see `shell.ts`), and
 * each command that installs is read:
 * - `pip`, `pip3`, `pip3.11`, a path ending in one of those, `python[3[.x]] -m pip`, `py -m pip`: `pip install`,
 *   with pip's options (abbreviations of long options included, as optparse accepts them);
 * - `uv pip install` (and `python -m uv pip install`), with uv's options;
 * - `conda`, `mamba`, `micromamba` `install`/`create`: conda match specs, `-c/--channel`, `--insecure`.
 * Leading `VAR=value` assignments and `sudo`, `env`, `time`, `nohup`, `exec`, `command` are skipped. A word the shell
 * or IPython would expand (`$VAR`, `{version}`, a backtick) is reported as an error and not analysed. An unquoted `<`
 * or `>` glued to a requirement (`torch>=2.6`) is what the shell makes of it, a redirection: the requirement is the
 * part before it (`torch`, floating), and an error says so.
 */
import { Collector } from './collect';
import { addCondaSpec } from './environment';
import { CONDA_OPTIONS, PIP_OPTIONS, UV_OPTIONS, recordIndexOption, recordReference, referenceOption, walkOptions, type OptionSpec } from './pip-options';
import { addRequirement } from './requirements';
import { shellWords, type ShellWord } from './shell';
import { LineIndex, Mapped } from './text';
import type { InstallCommand } from './types';

type Tool = 'pip' | 'uv' | 'conda';

const WRAPPERS = new Set(['sudo', 'env', 'time', 'nohup', 'exec', 'command']);
const basename = (w: string) => w.slice(Math.max(w.lastIndexOf('/'), w.lastIndexOf('\\')) + 1).replace(/\.exe$/i, '');

/** The tool and the words after `install` when `words` is an install command. */
function installOf(words: readonly ShellWord[]): { tool: Tool; args: ShellWord[] } | undefined {
  let i = 0;
  const at = (k: number) => words[k]?.text ?? '';
  for (;;) {
    const t = at(i);
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) i++;
    else if (WRAPPERS.has(basename(t))) {
      i++;
      // the wrapper's own options (sudo -H -u user)
      while (at(i).startsWith('-')) i += at(i) === '-u' || at(i) === '-g' ? 2 : 1;
    } else break;
  }
  if (i >= words.length) return undefined;
  const cmd = basename(at(i));
  let tool: Tool | undefined;
  if (/^pip(?:\d+(?:\.\d+)*)?$/.test(cmd)) {
    tool = 'pip';
    i++;
  } else if (/^(?:python(?:\d+(?:\.\d+)*)?|py)$/.test(cmd)) {
    i++;
    // interpreter flags before -m
    while (i < words.length && at(i).startsWith('-') && at(i) !== '-m' && !at(i).startsWith('-m')) i += at(i) === '-X' || at(i) === '-W' ? 2 : 1;
    let module: string;
    if (at(i) === '-m') {
      module = at(i + 1);
      i += 2;
    } else if (at(i).startsWith('-m')) {
      module = at(i).slice(2);
      i++;
    } else return undefined;
    if (/^pip(?:\d+(?:\.\d+)*)?$/.test(module)) tool = 'pip';
    else if (module === 'uv' && at(i) === 'pip') {
      tool = 'uv';
      i++;
    } else return undefined;
  } else if (cmd === 'uv') {
    i++;
    if (at(i) !== 'pip') return undefined;
    tool = 'uv';
    i++;
  } else if (/^(?:conda|mamba|micromamba)$/.test(cmd)) {
    tool = 'conda';
    i++;
  } else return undefined;
  // general options before the subcommand
  const table: readonly OptionSpec[] = tool === 'pip' ? PIP_OPTIONS : tool === 'uv' ? UV_OPTIONS : CONDA_OPTIONS;
  while (i < words.length && at(i).startsWith('-')) {
    const t = at(i);
    const spec = t.startsWith('--') ? table.find((s) => s.long.includes(t.split('=')[0])) : table.find((s) => s.short === t[1]);
    i += spec?.value && !t.includes('=') && !(t.length > 2 && !t.startsWith('--')) ? 2 : 1;
  }
  const sub = at(i);
  const installs = tool === 'conda' ? sub === 'install' || sub === 'create' : sub === 'install';
  if (!installs) return undefined;
  return { tool, args: words.slice(i + 1) };
}

/**
 * Reads an install command (one notebook line, or a cell of commands). Spans are in `commandText` (line 0 for a
 * one-line command; later lines when it has several). Undefined when no command in it installs packages.
 */
export function parsePipInstall(commandText: string): InstallCommand | undefined {
  const col = new Collector(new LineIndex(commandText));
  const state = { found: false };
  try {
    readCommands(col, commandText, state);
  } catch (e) {
    // a bug here must not take the analysis down
    if (!state.found) return undefined;
    col.error(`the command could not be read: ${e instanceof Error ? e.message : String(e)}`, 0, 0);
  }
  if (!state.found) return undefined;
  col.errors.sort((a, b) => a.span.line - b.span.line || a.span.character - b.span.character);
  return { dependencies: col.dependencies, indexOptions: col.indexOptions, references: col.references, errors: col.errors };
}

function readCommands(col: Collector, commandText: string, state: { found: boolean }): void {
  const skip = /^\s*[!%]/.exec(commandText)?.[0].length ?? 0;
  const { commands, notes } = shellWords(Mapped.identity(commandText.slice(skip), skip), { operators: true, comments: true });
  for (const words of commands) {
    const install = installOf(words);
    if (!install) continue;
    state.found = true;
    const { tool, args } = install;
    const table = tool === 'pip' ? PIP_OPTIONS : tool === 'uv' ? UV_OPTIONS : CONDA_OPTIONS;
    const analysable = (w: { text: string; map: Mapped }, word?: ShellWord) => {
      const open = w.text.indexOf('{');
      if (word?.expansion || w.text.includes('$') || w.text.includes('`') || (open !== -1 && w.text.lastIndexOf('}') > open)) {
        col.error(`\`${w.text}\` is expanded by the shell or IPython before the command runs; its value is not known here`, w.map.start(0), w.map.end(w.text.length));
        return false;
      }
      return true;
    };
    walkOptions(args, table, tool === 'pip', {
      option(v) {
        if (tool !== 'conda' && v.spec.kind === 'editable' && v.value) {
          if (analysable(v.value)) addRequirement(col, v.value.map, { editable: true });
          return;
        }
        if (tool === 'pip' && (v.spec.kind === 'hash' || v.spec.long[0] === '--install-option')) {
          col.error(`\`${v.spec.long[0]}\` is only valid in a requirements file`, v.word.start, v.word.end);
          return;
        }
        if (tool !== 'conda' && referenceOption(v.spec)) {
          // `-r $REQS`: the shell's value is not known here (and said so)
          if (!v.value || analysable(v.value)) recordReference(col, v);
          return;
        }
        recordIndexOption(col, v);
      },
      argument(w) {
        if (!analysable(w, w)) return;
        if (tool === 'conda') addCondaSpec(col, w.map);
        else addRequirement(col, w.map, {});
      },
      unknown(w, message) {
        col.error(message, w.start, w.end);
      },
    });
  }
  if (state.found) for (const n of notes) col.error(n.message, n.start, n.end);
}
