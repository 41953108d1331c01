import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import type { CallSite } from '../engine/semantic';
import type { Severity } from '../engine/types';
import { LLM_MODULE_WORDS, Tainter, calleeDisplay, commandTaint, confidenceOf, llmCall } from './llm';
import { callAt } from './provenance';

interface Sink {
  /** What the sink does with the value, for the message. */
  effect: string;
  /** The arguments that carry the dangerous value. */
  args(call: CallSite): Array<Node | undefined>;
  severity: Severity;
  /** The command of a `subprocess` call, judged as a whole (see `commandTaint`). */
  command?: boolean;
  /** A URL: only a value that can choose the host is a forgery. */
  url?: boolean;
}

/** A URL whose scheme and host are fixed in the code (`f"https://api.example.com/search?q={q}"`). */
function fixedHost(call: CallSite, arg: Node | undefined): boolean {
  if (!arg) return false;
  const v = call.model.evaluate(arg, call.scope);
  return v.kind === 'str' && /^[a-z][a-z0-9+.-]*:\/\/[^/?#@]+[/?#]/i.test(v.value);
}

const CODE = 'runs it as Python code';
const SHELL = 'runs it as a shell command';
const first = (name: string) => (call: CallSite) => [call.arg(name, 0)];

const SINKS: Record<string, Sink> = {
  eval: { effect: CODE, args: first('source'), severity: 'error' },
  exec: { effect: CODE, args: first('source'), severity: 'error' },
  'builtins.eval': { effect: CODE, args: first('source'), severity: 'error' },
  'builtins.exec': { effect: CODE, args: first('source'), severity: 'error' },
  'os.system': { effect: SHELL, args: first('command'), severity: 'error' },
  'os.popen': { effect: SHELL, args: first('cmd'), severity: 'error' },
  'pickle.loads': { effect: 'unpickles it and so runs any code it names', args: first('data'), severity: 'error' },
  'dill.loads': { effect: 'unpickles it and so runs any code it names', args: first('str'), severity: 'error' },
  'cloudpickle.loads': { effect: 'unpickles it and so runs any code it names', args: first('data'), severity: 'error' },
  'pandas.read_sql': { effect: 'runs it as SQL', args: first('sql'), severity: 'error' },
  'pandas.read_sql_query': { effect: 'runs it as SQL', args: first('sql'), severity: 'error' },
  'urllib.request.urlopen': { effect: 'fetches it as a URL from the server', args: first('url'), severity: 'warning', url: true },
};
for (const f of ['run', 'call', 'check_call', 'check_output', 'Popen', 'getoutput', 'getstatusoutput']) {
  SINKS[`subprocess.${f}`] = { effect: 'runs it as a command', args: first(f.startsWith('get') ? 'cmd' : 'args'), severity: 'error', command: true };
}
for (const lib of ['requests', 'httpx']) {
  for (const m of ['get', 'post', 'put', 'patch', 'delete', 'head', 'options']) {
    SINKS[`${lib}.${m}`] = { effect: 'fetches it as a URL from the server', args: first('url'), severity: 'warning', url: true };
  }
  SINKS[`${lib}.request`] = { effect: 'fetches it as a URL from the server', args: (c) => [c.arg('url', 1)], severity: 'warning', url: true };
}

const DB_DRIVER = /^(sqlite3|psycopg\w*|pymysql|MySQLdb|mysql|sqlalchemy|duckdb|snowflake|databricks|pyodbc|asyncpg|aiosqlite)\./;
const SQL_METHODS = new Set(['execute', 'executemany', 'executescript']);
const SQL: Sink = { effect: 'runs it as SQL', args: (c) => [c.arg('sql', 0) ?? c.arg('query', 0) ?? c.arg('statement', 0)], severity: 'error' };
const SINK_NAMES = ['eval', 'exec', 'system', 'popen', 'loads', 'read_sql', 'read_sql_query', 'urlopen', 'run', 'call',
  'check_call', 'check_output', 'Popen', 'getoutput', 'getstatusoutput', 'get', 'post', 'put', 'patch', 'delete', 'head',
  'options', 'request', ...SQL_METHODS];

function sinkOf(call: CallSite): Sink | undefined {
  const q = call.qname;
  if (q && SINKS[q]) return SINKS[q];
  // `cursor.execute(sql)`, `conn.execute(text(sql))`, `session.execute(...)`: any receiver that executes statements.
  if (SQL_METHODS.has(call.name) && call.functionNode?.type === 'attribute') {
    // Unresolved (a cursor passed in), a database driver, or an instance of something: not a module function.
    if (!q || DB_DRIVER.test(q) || q.includes('()')) return SQL;
  }
  return undefined;
}

export const rule: Rule = {
  id: 'SAI501',
  name: 'llm-output-to-code-execution',
  hazard: 'LLM output flows into code execution',
  severity: 'error',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'OWASP-LLM05:2025', 'OWASP-LLM06:2025', 'AML.T0053', 'AML.T0050', 'CWE-94', 'CWE-78', 'CWE-89', 'CWE-918', 'CWE-1426'],
  message:
    'Model output reaches code execution, so whoever steers the model (a prompt injection) runs code here (OWASP ' +
    'LLM05:2025 Improper Output Handling).',
  triggers: ['eval', 'exec', 'system', 'popen', 'subprocess', 'loads', 'read_sql\\w*', 'urlopen', 'requests', 'httpx', 'execute\\w*'],
  requires: [...LLM_MODULE_WORDS, 'completions', 'generate_content', 'invoke'],
  docs: {
    why:
      'What a language model writes is decided by its input, and its input includes whatever the user, a web ' +
      'page, a retrieved document or a tool result put there. Passing the answer to `eval`, `exec`, a shell, a SQL ' +
      'connection, `pickle.loads` or an HTTP client hands that decision to whoever can inject a prompt: code ' +
      'injection (CWE-94), OS command injection (CWE-78), SQL injection (CWE-89) or server-side request forgery ' +
      '(CWE-918) by way of the model. OWASP calls it improper output handling (LLM05:2025) and, when the model ' +
      'chooses the action, excessive agency (LLM06:2025); CWE-1426 is the missing validation of generative AI ' +
      'output. The NCSC guidelines ask that systems be designed to restrict what model output may trigger ' +
      '(NCSC 1.3).\n\n' +
      'The rule follows values inside one function: from the result of an LLM call (OpenAI and compatible ' +
      '`chat.completions.create` / `responses.create`, Anthropic `messages.create`, LangChain `invoke` / `run` / ' +
      '`predict`, Ollama, LiteLLM, Gemini `generate_content`, a Hugging Face `pipeline` or `generate`) through ' +
      'assignments, attribute and index reads, string methods, f-strings, `%`, `+`, `.format` and `.join`, loops ' +
      'and `with` targets, to `eval`, `exec`, `os.system`, `os.popen`, `pickle.loads`, a `.execute(...)` SQL call, ' +
      '`pandas.read_sql`, a `subprocess` command (a command string, `shell=True`, the program itself, or the ' +
      'input of an interpreter such as `["bash", "-c", answer]`; an answer that is one argument of a fixed ' +
      'program, like a commit message, is not reported), or the URL of `requests` / `httpx` / `urlopen` (unless ' +
      'the scheme and host are fixed in the code, as in `f"https://api.example.com/search?q={answer}"`). Parsing the ' +
      'answer into data (`json.loads`, `ast.literal_eval`, `int`) or escaping it (`shlex.quote`) ends the flow; a ' +
      'flow through a function the rule does not know is reported with medium confidence. Flows across functions ' +
      'are not followed.',
    example:
      'from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n\n\n' +
      '@app.post("/calc")\ndef calc(question: str):\n' +
      '    reply = client.chat.completions.create(\n        model="gpt-4o-mini",\n' +
      '        messages=[{"role": "user", "content": f"Write one Python expression for: {question}"}],\n    )\n' +
      '    return {"result": eval(reply.choices[0].message.content)}',
    useInstead:
      'import ast\nimport json\n\n# Ask for data, not code, and parse it as data:\n' +
      'reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages, response_format={"type": "json_object"})\n' +
      'args = json.loads(reply.choices[0].message.content)\nresult = calculator(float(args["a"]), args["op"], float(args["b"]))\n' +
      '# or evaluate literals only:\nvalue = ast.literal_eval(answer)\n' +
      '# and for SQL, let the model fill parameters of a fixed query:\ncursor.execute("SELECT * FROM t WHERE id = ?", (int(answer),))',
    references: [
      'https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/',
      'https://genai.owasp.org/llmrisk/llm062025-excessive-agency/',
      'https://cwe.mitre.org/data/definitions/1426.html',
      'https://atlas.mitre.org/techniques/AML.T0053',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    let tainter: Tainter | undefined;
    for (const call of ctx.callsNamed(...SINK_NAMES)) {
      const sink = sinkOf(call);
      if (!sink) continue;
      tainter ??= new Tainter(model, {
        source(node) {
          if (node.type !== 'call') return undefined;
          const site = callAt(model, node);
          const name = site && llmCall(site);
          return name ? `\`${name}\`` : undefined;
        },
      });
      const t0 = tainter;
      const tainted = sink.command
        ? [commandTaint(call, t0)]
        : sink.args(call).map((a) => (a && !(sink.url && fixedHost(call, a)) ? t0.of(a) : undefined));
      for (const t of tainted) {
        if (!t) continue;
        const callee = call.functionNode ? calleeDisplay(call.functionNode) : call.name;
        ctx.report({
          node: call.node,
          severity: sink.severity,
          confidence: confidenceOf(t.level),
          message:
            `The output of ${t.what} reaches \`${callee}\`, which ${sink.effect}, so whoever steers the model ` +
            '(a prompt injection) decides what happens here (OWASP LLM05:2025 Improper Output Handling).',
        });
        break;
      }
    }
  },
};
