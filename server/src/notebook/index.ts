/**
 * Jupyter notebooks: read (parse.ts), IPython syntax masked (magics.ts), code cells joined into one program with a
 * position map (program.ts), analysed with the engine and the shell-command checks (analyze.ts). Pure: no LSP or
 * vscode types, no file system.
 */
export { analyzeCells, analyzeNotebook, analyzeNotebookBytes, analyzeProgram, isNotebookPath, NOTEBOOK_JSON_FACTOR, type NotebookAnalysis } from './analyze';
export { cellMagicBody, maskMagics, stripShellComment, type CellCommand, type MaskedSource, type MaskedSpan } from './magics';
export { isPythonLanguage, parseNotebook, type CellKind, type NotebookCell, type ParsedNotebook } from './parse';
export { buildProgram, isPythonCell, NotebookProgram, type CellRange, type CellSpan } from './program';
