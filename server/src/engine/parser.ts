/**
 * Loads web-tree-sitter and the tree-sitter-python grammar once per thread. The two are pinned as a pair in
 * package.json; `test/parser.test.ts` proves they load together.
 *
 * The bundle in dist/ carries both .wasm files next to it; from sources they come out of node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

export type { Node, Tree } from 'web-tree-sitter';

let ready: Promise<Parser> | undefined;
let parser: Parser | undefined;

function locate(file: string, packageFile: string): string {
  const beside = path.join(__dirname, file);
  if (fs.existsSync(beside)) return beside;
  return require.resolve(packageFile);
}

export function initParser(): Promise<Parser> {
  ready ??= (async () => {
    const runtimeWasm = locate('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm');
    await Parser.init({ locateFile: () => runtimeWasm });
    const language = await Language.load(locate('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
    return p;
  })();
  return ready;
}

/**
 * How long parsing and walking one file may take, in wall-clock time, before the engine gives up on it with a
 * notice: `max(TIME_LIMIT_FLOOR_MS, TIME_LIMIT_MS_PER_MB * size)`. Ordinary code parses at about 0.2 s per MB; the limit
 * is there for inputs on which tree-sitter's error recovery or query cursor turn quadratic (100,000 `.` in a row, tens
 * of thousands of unclosed brackets), which would otherwise hold a thread for minutes.
 */
export const TIME_LIMIT_MS_PER_MB = 1000;
export const TIME_LIMIT_FLOOR_MS = 500;

export function timeLimitMs(length: number): number {
  return Math.max(TIME_LIMIT_FLOOR_MS, (TIME_LIMIT_MS_PER_MB * length) / (1024 * 1024));
}

/** Parse `text` (re-using `oldTree`, edited to match), unless it is still parsing at `deadline` (`performance.now()`). */
export function parseBefore(text: string, deadline: number, oldTree?: Tree | null): Tree | undefined {
  const p = getParser();
  const tree = p.parse(text, oldTree ?? null, { progressCallback: () => performance.now() > deadline });
  if (tree) return tree;
  // A cancelled parse would otherwise resume where it stopped on the next call.
  p.reset();
  return undefined;
}

/** The thread's parser; `initParser()` must have resolved first. */
export function getParser(): Parser {
  if (!parser) throw new Error('the Python parser is not initialised: await initParser() first');
  return parser;
}
