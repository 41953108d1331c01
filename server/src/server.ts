/**
 * The Secure AI language server: `node dist/server.js --stdio` (or `--node-ipc`, as the VS Code client starts it).
 * LSP wiring only; the behaviour lives in lsp/session.ts.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { Session } from './lsp/session';

const connection = createConnection(ProposedFeatures.all);
new Session(connection).listen();
