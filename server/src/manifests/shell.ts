/**
 * POSIX shell words, enough for install commands and pip's option parsing (which uses `shlex.split`): whitespace
 * separates words; single quotes are literal; double quotes keep `\` only before `$`, `` ` ``, `"`, `\` and a line
 * end; a backslash outside quotes escapes the next character (and joins lines). With `operators`, `;`, `&`, `&&`,
 * `|`, `||`, `(`, `)` and line ends separate commands, and redirections (`>`, `>>`, `<`, `2>&1`, `&>`) are dropped
 * with their target. Every word keeps the source position of each of its characters.
 */
import { Mapped, MappedBuilder } from './text';

export interface ShellWord {
  text: string;
  map: Mapped;
  /** Source offsets of the word as written (with its quotes). */
  start: number;
  end: number;
  /** Holds an unquoted or double-quoted `$`, a backtick, or a `{...}` that IPython would expand. */
  expansion: boolean;
}

export interface ShellNote {
  message: string;
  start: number;
  end: number;
}

export interface ShellResult {
  commands: ShellWord[][];
  notes: ShellNote[];
}

export interface ShellOptions {
  operators: boolean;
  comments: boolean;
}

/** Splits `m` into commands of words. Never throws; an unterminated quote is a note and ends the text. */
export function shellWords(m: Mapped, options: ShellOptions): ShellResult {
  const s = m.text;
  const commands: ShellWord[][] = [[]];
  const notes: ShellNote[] = [];
  let word: MappedBuilder | undefined;
  let wordStart = 0;
  let wordEnd = 0;
  let expansion = false;
  let redirectTarget = false;
  // IPython expands `{expr}`: a `{` with a `}` somewhere after it
  const lastClose = s.lastIndexOf('}');

  const src = (i: number) => m.start(i);
  const srcEnd = (i: number) => m.end(i + 1);
  const add = (i: number, ch = s[i]) => {
    if (!word) {
      word = new MappedBuilder();
      wordStart = src(i);
    }
    word.push(ch, src(i), srcEnd(i) - src(i));
  };
  const begin = (i: number) => {
    if (!word) {
      word = new MappedBuilder();
      wordStart = src(i);
    }
  };
  const finish = () => {
    if (!word) return;
    const w: ShellWord = { text: word.text(), map: Mapped.build(word, wordStart), start: wordStart, end: wordEnd, expansion };
    word = undefined;
    expansion = false;
    if (redirectTarget) {
      redirectTarget = false;
      return;
    }
    commands[commands.length - 1].push(w);
  };
  const separate = () => {
    finish();
    if (commands[commands.length - 1].length) commands.push([]);
  };

  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch === ' ' || ch === '\t') {
      finish();
      i++;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      if (options.operators) separate();
      else finish();
      i++;
      continue;
    }
    if (ch === '#' && options.comments && !word) {
      while (i < s.length && s[i] !== '\n' && s[i] !== '\r') i++;
      continue;
    }
    if (options.operators && (ch === ';' || ch === '&' || ch === '|' || ch === '(' || ch === ')')) {
      if (ch === '&' && s[i + 1] === '>') {
        // &> file: a redirection of both streams
        finish();
        i += s[i + 2] === '>' ? 3 : 2;
        redirectTarget = true;
        continue;
      }
      separate();
      i += (ch === '&' || ch === '|') && s[i + 1] === ch ? 2 : 1;
      continue;
    }
    if (options.operators && (ch === '>' || ch === '<')) {
      const at = i;
      const glued = word !== undefined && !/^\d+$/.test(word.text());
      if (glued) {
        const before = word!.text();
        let j = i;
        while (j < s.length && j - i < 200 && !/[\s;&|()]/.test(s[j])) j++;
        notes.push({
          message: `\`${ch}\` outside quotes is a shell redirection: the command gets \`${before}\` without \`${s.slice(i, j)}\`, and its ${ch === '>' ? 'output goes to' : 'input comes from'} a file; quote the requirement`,
          start: src(at),
          end: m.end(j),
        });
        wordEnd = src(at);
        finish();
      } else word = undefined; // a file descriptor number (2>) is part of the operator
      i++;
      if (s[i] === ch) i++;
      if (s[i] === '&') {
        i++;
        while (i < s.length && /[0-9-]/.test(s[i])) i++;
        continue;
      }
      redirectTarget = true;
      continue;
    }
    if (ch === "'") {
      begin(i);
      const close = s.indexOf("'", i + 1);
      if (close === -1) {
        notes.push({ message: 'unterminated single quote', start: src(i), end: m.end(s.length) });
        word = undefined;
        break;
      }
      for (let k = i + 1; k < close; k++) add(k);
      i = close + 1;
      wordEnd = src(close) + 1;
      continue;
    }
    if (ch === '"') {
      begin(i);
      let k = i + 1;
      let closed = false;
      while (k < s.length) {
        const c = s[k];
        if (c === '"') {
          closed = true;
          break;
        }
        if (c === '\\' && k + 1 < s.length && '$`"\\\n'.includes(s[k + 1])) {
          if (s[k + 1] !== '\n') add(k + 1);
          k += 2;
          continue;
        }
        if (c === '$' || c === '`') expansion = true;
        add(k);
        k++;
      }
      if (!closed) {
        notes.push({ message: 'unterminated double quote', start: src(i), end: m.end(s.length) });
        word = undefined;
        break;
      }
      i = k + 1;
      wordEnd = src(k) + 1;
      continue;
    }
    if (ch === '\\') {
      if (i + 1 >= s.length) {
        i++;
        continue;
      }
      if (s[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (s[i + 1] === '\r') {
        i += s[i + 2] === '\n' ? 3 : 2;
        continue;
      }
      begin(i);
      add(i + 1);
      wordEnd = srcEnd(i + 1);
      i += 2;
      continue;
    }
    if (ch === '$' || ch === '`') expansion = true;
    if (ch === '{' && i < lastClose) expansion = true;
    add(i);
    wordEnd = srcEnd(i);
    i++;
  }
  finish();
  return { commands: commands.filter((c) => c.length), notes };
}
