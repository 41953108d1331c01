/**
 * setup.cfg, read as setuptools reads it: configparser's INI rules (`[section]` headers, `key = value` or
 * `key: value`, option names case-insensitive, values continued on lines indented deeper than their key, full-line
 * `#`/`;` comments), then setuptools' list rules: a value spread over lines is one item a line, a one-line value is
 * split on `;` (unless the whole line is one valid requirement, as with a marker), ` #` starts a comment, a line
 * ending in `\` continues on the next, `file:` directives are not followed.
 * - `[options] install_requires` (main), `setup_requires`, `tests_require` (groups of those names);
 * - `[options.extras_require]`: every key an extra (group `optional: <extra>`);
 * - `[options] dependency_links`: URLs pip may fetch from (index option `find-links`);
 * - `[metadata] name`: the project name.
 */
import type { Collector } from './collect';
import { parseRequirement } from './pep508';
import { addRequirement, physicalLines } from './requirements';
import { Mapped, MappedBuilder } from './text';

interface Option {
  section: string;
  name: string;
  indent: number;
  /** The value's lines: the rest of the key line (may be empty), then continuation lines, trimmed, with offsets. */
  parts: { text: string; start: number }[];
  /** Nothing after `=` on the key line: configparser's value then starts with a line end, so it is multi-line. */
  firstEmpty: boolean;
}

function readIni(col: Collector, text: string): Option[] {
  const options: Option[] = [];
  let section: string | undefined;
  let current: Option | undefined;
  for (const { text: raw, start } of physicalLines(text)) {
    const line = start === 0 && raw.startsWith('\uFEFF') ? ' ' + raw.slice(1) : raw;
    const stripped = line.trim();
    if (!stripped || stripped.startsWith('#') || stripped.startsWith(';')) continue;
    const indent = line.length - line.trimStart().length;
    if (current && indent > current.indent) {
      current.parts.push({ text: stripped, start: start + indent });
      continue;
    }
    current = undefined;
    const header = /^\[(.+)\]/.exec(stripped);
    if (header) {
      section = header[1];
      continue;
    }
    if (section === undefined) {
      col.error('setup.cfg has text before its first [section]', start + indent, start + line.length);
      continue;
    }
    // configparser: the option is everything before the first `=` or `:`
    const eq = stripped.search(/[=:]/);
    const key = eq === -1 ? '' : stripped.slice(0, eq).trim();
    if (!key) {
      col.error(`expected \`key = value\` in [${section}]`, start + indent, start + line.length);
      continue;
    }
    const value = stripped.slice(eq + 1).trim();
    const valueAt = start + indent + (value ? stripped.indexOf(value, eq + 1) : stripped.length);
    current = { section, name: key.toLowerCase(), indent, parts: value ? [{ text: value, start: valueAt }] : [], firstEmpty: !value };
    options.push(current);
  }
  return options;
}

/** setuptools' list items of a value, each mapped to the source. */
function listItems(option: Option): Mapped[] {
  const multiLine = option.parts.length + (option.firstEmpty ? 1 : 0) > 1;
  let items: { text: string; start: number }[];
  if (!multiLine && option.parts.length === 1) {
    const only = option.parts[0];
    const dropped = only.text.split(' #')[0].trim();
    if (!dropped.includes(';') || parseRequirement(dropped).ok) items = [{ text: dropped, start: only.start }];
    else {
      items = [];
      let at = 0;
      for (const piece of dropped.split(';')) {
        const lead = piece.length - piece.trimStart().length;
        items.push({ text: piece.trim(), start: only.start + at + lead });
        at += piece.length + 1;
      }
    }
  } else items = option.parts.map((p) => ({ text: p.text.split(' #')[0].trimEnd(), start: p.start }));
  const out: Mapped[] = [];
  let pending: { text: string; start: number } | undefined;
  for (const item of items) {
    if (!item.text || item.text.startsWith('#')) continue;
    if (item.text.startsWith('file:')) continue;
    if (pending) {
      // a `\` continuation: the two pieces joined, each keeping its place
      const b = new MappedBuilder();
      b.push(pending.text, pending.start);
      b.push(item.text, item.start);
      out.push(Mapped.build(b, pending.start));
      pending = undefined;
      continue;
    }
    if (item.text.endsWith('\\')) {
      pending = { text: item.text.slice(0, -1).trimEnd(), start: item.start };
      continue;
    }
    out.push(Mapped.identity(item.text, item.start));
  }
  if (pending) out.push(Mapped.identity(pending.text, pending.start));
  return out;
}

export function parseSetupCfgInto(col: Collector, text: string): { projectName?: string } {
  let projectName: string | undefined;
  for (const option of readIni(col, text)) {
    if (option.section === 'metadata' && option.name === 'name' && option.parts[0]) projectName = option.parts[0].text;
    let group: string | undefined | null = null;
    if (option.section === 'options') {
      if (option.name === 'install_requires') group = undefined;
      else if (option.name === 'setup_requires' || option.name === 'tests_require') group = option.name;
      else if (option.name === 'dependency_links') {
        for (const m of listItems(option)) col.index('find-links', m.text, m.start(0), m.end(m.length));
        continue;
      } else continue;
    } else if (option.section === 'options.extras_require') group = `optional: ${option.name}`;
    else continue;
    for (const m of listItems(option)) addRequirement(col, m, { group, pep508Only: true });
  }
  return projectName !== undefined ? { projectName } : {};
}
