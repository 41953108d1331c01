/**
 * Where each line of each cell sits in the notebook's JSON text, for reports that point into the `.ipynb` file
 * itself (SARIF: GitHub code scanning shows the file's own lines). Jupyter writes a cell's `source` as an array with
 * one string per line, each on its own JSON line; a `source` written as one string puts every line of the cell on the
 * JSON line of that string. The JSON is read with the `yaml` parser (JSON is YAML 1.2), which keeps node positions.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

/** For each cell (by 0-based position among all cells), the 0-based JSON line of each of its 0-based lines. */
export function cellLinesInJson(json: string): number[][] | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(json, { lineCounter: counter, keepSourceTokens: false, uniqueKeys: false });
  if (doc.errors.length || !isMap(doc.contents)) return undefined;
  const cells = doc.contents.get('cells', true);
  if (!isSeq(cells)) return undefined;
  const lineOf = (offset: number) => counter.linePos(offset).line - 1;
  return cells.items.map((cell) => {
    if (!isMap(cell)) return [];
    const source = cell.get('source', true);
    const out: number[] = [];
    const add = (node: unknown) => {
      if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return;
      const at = lineOf(node.range[0]);
      const lines = node.value.split('\n');
      // A trailing newline ends the line; it does not start another.
      const count = node.value.endsWith('\n') ? lines.length - 1 : lines.length;
      for (let i = 0; i < Math.max(1, count); i++) out.push(at);
    };
    if (isSeq(source)) for (const item of source.items) add(item);
    else add(source);
    return out;
  });
}
