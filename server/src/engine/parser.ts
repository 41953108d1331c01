/**
 * Loads web-tree-sitter and the tree-sitter-python grammar once per thread. The two are pinned as a pair in
 * package.json; `test/parser.test.ts` proves they load together.
 *
 * The bundle in dist/ carries both .wasm files next to it; from sources they come out of node_modules.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser } from 'web-tree-sitter';

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

/** The thread's parser; `initParser()` must have resolved first. */
export function getParser(): Parser {
  if (!parser) throw new Error('the Python parser is not initialised: await initParser() first');
  return parser;
}
