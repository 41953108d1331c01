import { replaceNode } from '../engine/edits';
import type { Node } from '../engine/parser';
import type { Rule, RuleContext } from '../engine/rule';
import type { Binding, CallSite, SemanticModel } from '../engine/semantic';
import type { Severity } from '../engine/types';
import { calleeDisplay, definitionOf } from './llm';
import { ALL_INTERFACES, qnameOf } from './serving';

const FLASK_APP = /^(flask\.(app\.)?Flask|quart\.Quart)\(\)$/;
const SOCKETIO = /^flask_socketio\.SocketIO\(\)$/;
const UVICORN = new Set(['uvicorn.run', 'uvicorn.main.run', 'uvicorn.Config', 'uvicorn.config.Config']);

type Server = 'flask' | 'socketio' | 'uvicorn';

const onlyAssignment = new WeakMap<Binding[], Node | null>();

/** `app = create_app()` with `create_app` defined here and building a `flask.Flask`. */
function fromFactory(model: SemanticModel, receiver: Node): boolean {
  if (receiver.type !== 'identifier') return false;
  const found = model.bindingsOf(receiver.text, model.scopeAt(receiver));
  if (!found) return false;
  // The name's only assignment, found once per list of bindings (not at every `run` call).
  let value = onlyAssignment.get(found.bindings);
  if (value === undefined) {
    const assigns = found.bindings.filter((b) => b.kind === 'assign');
    value = assigns.length === 1 && assigns[0].kind === 'assign' ? assigns[0].value : null;
    onlyAssignment.set(found.bindings, value);
  }
  if (!value) return false;
  const fn = value.type === 'call' ? value.childForFieldName('function') : undefined;
  const def = fn ? definitionOf(model, fn) : undefined;
  const scope = def && model.scopeOfDefinition(def);
  return !!scope && scope.calls.some((c) => FLASK_APP.test(`${c.qname}()`));
}

function serverOf(call: CallSite): Server | undefined {
  const q = call.qname;
  if (q && UVICORN.has(q)) return 'uvicorn';
  if (call.name !== 'run') return undefined;
  const fn = call.functionNode;
  const obj = fn?.type === 'attribute' ? fn.childForFieldName('object') : undefined;
  if (!obj) return undefined;
  const base = q ? q.slice(0, q.lastIndexOf('.')) : qnameOf(call.model, obj);
  if (base && FLASK_APP.test(base)) return 'flask';
  if (base && SOCKETIO.test(base)) return 'socketio';
  if (!base && fromFactory(call.model, obj)) return 'flask';
  return undefined;
}

function allInterfaces(call: CallSite, name: string, position?: number): { node: Node; host: string } | undefined {
  const node = call.arg(name, position);
  const v = call.value(name, position);
  if (!node || v?.kind !== 'str' || !v.complete || !ALL_INTERFACES.has(v.value)) return undefined;
  return { node, host: v.value };
}

function checkServer(ctx: RuleContext, call: CallSite, server: Server): void {
  const callee = call.functionNode ? calleeDisplay(call.functionNode) : call.name;
  const host = allInterfaces(call, 'host', server === 'flask' ? 0 : server === 'socketio' ? 1 : undefined);
  const debugNode = call.arg('debug', server === 'flask' ? 2 : undefined);
  const debugValue = call.value('debug', server === 'flask' ? 2 : undefined);
  const debug = debugNode && debugValue?.kind === 'bool' && debugValue.value ? debugNode : undefined;
  if (host) {
    const dev = server !== 'uvicorn';
    ctx.report({
      node: host.node,
      confidence: dev ? 'high' : 'medium',
      message: dev
        ? `\`${callee}(host="${host.host}")\` serves the app with the development server on every network interface, ` +
          'so anything that can reach the machine can query the model.'
        : `\`${callee}(host="${host.host}")\` serves the model on every network interface, so anything that can ` +
          'reach the machine can query it unless a firewall or proxy stands in front.',
      fix: { title: 'Serve on `127.0.0.1` only', safety: 'unsafe', edits: [replaceNode(host.node, '"127.0.0.1"')] },
    });
  }
  if (debug) {
    const severity: Severity = host ? 'error' : 'warning';
    ctx.report({
      node: debug,
      severity,
      message:
        `\`${callee}(debug=True)\` runs the interactive Werkzeug debugger, which executes any Python typed into an ` +
        'error page, so whoever reaches the server can run code on it.',
      fix: { title: 'Set `debug=False`', safety: 'unsafe', edits: [replaceNode(debug, 'False')] },
    });
  }
}

// ------------------------------------------------------------------ notebooks and streamlit

const JUPYTER_IP = /^c\.(NotebookApp|ServerApp)\.ip$/;
const JUPYTER_TOKEN = /^c\.(NotebookApp|ServerApp|IdentityProvider)\.token$/;
const JUPYTER_PASSWORD = /^c\.(NotebookApp|ServerApp|PasswordIdentityProvider)\.(password|hashed_password)$/;

/** `c.ServerApp.ip = "0.0.0.0"` with `c.ServerApp.token = ""` and no password, in a Jupyter config file. */
function checkJupyterConfig(ctx: RuleContext): void {
  const model = ctx.model;
  let ip: Node | undefined;
  let emptyToken = false;
  let password = false;
  for (const a of model.tree.rootNode.descendantsOfType('assignment')) {
    const left = a?.childForFieldName('left');
    const right = a?.childForFieldName('right');
    if (!a || !left || !right) continue;
    const target = left.text.replace(/\s+/g, '');
    const v = model.evaluate(right, model.scopeAt(a));
    const str = v.kind === 'str' && v.complete ? v.value : undefined;
    if (JUPYTER_IP.test(target) && str !== undefined && ALL_INTERFACES.has(str)) ip = right;
    else if (JUPYTER_TOKEN.test(target) && str === '') emptyToken = true;
    else if (JUPYTER_PASSWORD.test(target) && !(str === '')) password = true;
  }
  if (ip && emptyToken && !password) {
    ctx.report({
      node: ip,
      severity: 'error',
      message:
        'Jupyter serves on every network interface with an empty token and no password, so anyone who reaches ' +
        'the port can run code in its kernels.',
    });
  }
}

/** The words of a command: a list or tuple of strings, or one string split on spaces. */
function commandWords(model: SemanticModel, node: Node): string[] | undefined {
  const scope = model.scopeAt(node);
  if (node.type === 'list' || node.type === 'tuple') {
    return node.namedChildren.map((c) => {
      if (!c) return '';
      const v = model.evaluate(c, scope);
      return v.kind === 'str' && v.complete ? v.value : '\u0000';
    });
  }
  if (node.type === 'string' || node.type === 'concatenated_string') {
    const v = model.evaluate(node, scope);
    return v.kind === 'str' && v.complete ? v.value.split(/\s+/) : undefined;
  }
  return undefined;
}

/** The value of `--flag=value` or `--flag value` among `words`. */
function flagValue(words: string[], flag: RegExp): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const eq = w.indexOf('=');
    if (eq > 0 && flag.test(w.slice(0, eq))) return w.slice(eq + 1).replace(/^(['"])(.*)\1$/, '$2');
    if (flag.test(w) && i + 1 < words.length) return words[i + 1].replace(/^(['"])(.*)\1$/, '$2');
  }
  return undefined;
}

function checkCommandLines(ctx: RuleContext): void {
  const model = ctx.model;
  const nodes = model.tree.rootNode.descendantsOfType(['list', 'tuple', 'string']);
  for (const node of nodes) {
    if (!node || (node.type === 'string' && (node.parent?.type === 'list' || node.parent?.type === 'tuple'))) continue;
    if (node.type === 'string' && !/streamlit|jupyter/.test(node.text)) continue;
    const words = commandWords(model, node);
    if (!words || words.length < 2) continue;
    const streamlit = words.findIndex((w) => /(^|[/\\])streamlit$/.test(w));
    if (streamlit !== -1 && words[streamlit + 1] === 'run') {
      const host = flagValue(words, /^--server\.address$/);
      if (host && ALL_INTERFACES.has(host)) {
        ctx.report({
          node,
          confidence: 'medium',
          message:
            `Streamlit is started on every network interface (\`--server.address ${host}\`) and has no login of its ` +
            'own, so anyone who reaches the port can use the app and the model behind it.',
        });
      }
      continue;
    }
    if (words.some((w) => /(^|[/\\])jupyter(-lab|-notebook)?$/.test(w))) {
      const ip = flagValue(words, /^--ip$/);
      const token = flagValue(words, /^--(NotebookApp|ServerApp|IdentityProvider)\.token$/);
      const pw = flagValue(words, /^--(NotebookApp|ServerApp|PasswordIdentityProvider)\.(password|hashed_password)$/);
      if (ip && ALL_INTERFACES.has(ip) && token === '' && !pw) {
        ctx.report({
          node,
          severity: 'error',
          message:
            `Jupyter is started on every network interface (\`--ip=${ip}\`) with an empty token, so anyone who ` +
            'reaches the port can run code in its kernels.',
        });
      }
    }
  }
}

export const rule: Rule = {
  id: 'SAI402',
  name: 'server-exposed-or-debug',
  hazard: 'Model server on every interface or in debug mode',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-3.1', 'NCSC-3.5', 'OWASP-ML05', 'AML.T0040', 'CWE-1327', 'CWE-489', 'CWE-306'],
  message: 'The server listens on every network interface, so anything that can reach the machine can query the model.',
  triggers: ['run', 'Config', 'NotebookApp', 'ServerApp', 'streamlit', 'jupyter'],
  requires: ['flask', 'quart', 'flask_socketio', 'uvicorn', 'NotebookApp', 'ServerApp', 'streamlit', 'jupyter'],
  docs: {
    why:
      'A model server bound to `0.0.0.0` (or `::`) answers anyone who can reach the machine: the office network, ' +
      'the other tenants of a cloud network, or the internet when the VM has a public address. Serving code that is ' +
      'written with a development default of "listen everywhere" is how inference APIs, notebooks and demos end up ' +
      'exposed without anyone deciding it. Flask\'s `debug=True` is worse: the Werkzeug debugger turns every ' +
      'unhandled error into a page with a Python console, so reaching the server is enough to run code on it. The ' +
      'NCSC guidelines ask for access control on model interfaces (NCSC 3.1) and secure defaults (NCSC 3.5); the ' +
      'CWE names are binding to an unrestricted address (CWE-1327) and active debug code (CWE-489).\n\n' +
      'The rule reports `app.run(host="0.0.0.0")` and `app.run(debug=True)` where `app` is a `flask.Flask` (also ' +
      'from an app factory in the same file) or Quart app, `SocketIO.run`, `uvicorn.run(host="0.0.0.0")` and ' +
      '`uvicorn.Config(host="0.0.0.0")` (with medium confidence: in a container, binding every interface is ' +
      'normal and the network around it decides), a Jupyter config (`c.ServerApp.ip = "0.0.0.0"`) with an empty ' +
      'token and no password, and `streamlit run --server.address 0.0.0.0` or `jupyter ... --ip=0.0.0.0` with an ' +
      'empty token in a command built in Python. A host or debug flag read from configuration or the environment ' +
      '(`host=os.getenv("HOST", "127.0.0.1")`, `debug=settings.debug`) is a deployment decision and is not ' +
      'reported; a constant is. The fixes set `host="127.0.0.1"` and `debug=False`.',
    example:
      'import uvicorn\nfrom flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == "__main__":\n' +
      '    app.run(host="0.0.0.0", port=8000, debug=True)\n\n# or, for a FastAPI app:\n' +
      'uvicorn.run(api, host="0.0.0.0", port=8000)',
    useInstead:
      'import os\n\nimport uvicorn\nfrom flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == "__main__":\n' +
      '    app.run(host="127.0.0.1", port=8000)\n\n# in a container, the bind address is the deployment\'s choice:\n' +
      'uvicorn.run(api, host=os.environ.get("HOST", "127.0.0.1"), port=8000)',
    references: [
      'https://flask.palletsprojects.com/en/stable/debugging/',
      'https://www.uvicorn.org/settings/',
      'https://jupyter-server.readthedocs.io/en/latest/operators/public-server.html',
      'https://cwe.mitre.org/data/definitions/1327.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed('run', 'Config')) {
      const server = serverOf(call);
      if (server) checkServer(ctx, call, server);
    }
    if (/\b(NotebookApp|ServerApp)\b/.test(ctx.text)) checkJupyterConfig(ctx);
    if (/\b(streamlit|jupyter)\b/.test(ctx.text)) checkCommandLines(ctx);
  },
};
