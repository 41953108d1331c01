/**
 * The Secure AI language server: `node dist/server.js --stdio` (or `--node-ipc`, as the VS Code client starts it).
 * LSP wiring only; the behaviour lives in lsp/session.ts.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { Session } from './lsp/session';

const connection = createConnection(ProposedFeatures.all);
// A promise nobody awaited that rejects would end the process (Node's default): log it and keep serving instead.
process.on('unhandledRejection', (reason) => {
  connection.console.error(`unhandled rejection (a bug; the server goes on): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});
new Session(connection).listen();
