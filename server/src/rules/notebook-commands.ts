/**
 * Checks for the shell commands and line magics of Jupyter notebooks (`!pip install …`, `%pip install …`,
 * `!wget …`), which the Python parser never sees: the notebook reader masks them and hands them here.
 */
import type { AnalyzeOptions } from '../engine/analyze';
import type { Finding } from '../engine/types';
import type { Settings } from '../shared/settings';

export interface ShellCommand {
  /** The command after its `!` or `%` prefix, e.g. `pip install torch>=2` (for `%pip`: `pip install …`). */
  text: string;
  /** `shell`: a `!cmd` line, a `%sx`/`%system` magic, or a line of a `%%bash`/`%%sh`/`%%script` cell; `magic`: `%pip`, `%conda`. */
  via: 'shell' | 'magic';
  /** The 1-based position of the cell among all the notebook's cells. */
  cell: number;
  /** Where `text` starts in the cell's source: 0-based line, column in UTF-16 code units. */
  line: number;
  character: number;
}

/** Findings for the commands of one notebook, with ranges inside their cells and `cell` set. */
export function checkShellCommands(commands: readonly ShellCommand[], settings: Settings, options: AnalyzeOptions = {}): Finding[] {
  void commands;
  void settings;
  void options;
  return [];
}
