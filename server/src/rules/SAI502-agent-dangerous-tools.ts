import type { Node } from '../engine/parser';
import type { Rule, RuleContext } from '../engine/rule';
import type { CallSite, Scope } from '../engine/semantic';
import { Tainter, calleeDisplay, commandTaint, confidenceOf, definitionOf, parametersOf, type Taint } from './llm';

const AGENT_LIBRARY = /^(langchain\w*|langgraph|llama_index|autogen\w*|crewai|smolagents)(\.|$)/;

/** Classes and constructors that give an agent a Python interpreter, a shell or the file system. */
const DANGEROUS: Record<string, string> = {
  PythonREPLTool: 'runs model-written Python in this process',
  PythonAstREPLTool: 'runs model-written Python in this process',
  PythonREPL: 'runs model-written Python in this process',
  ShellTool: 'runs model-written shell commands',
  BashProcess: 'runs model-written shell commands',
  LLMBashChain: 'runs model-written shell commands',
  PALChain: 'runs model-written Python in this process',
  LLMMathChain: 'evaluates model-written expressions',
  LocalCommandLineCodeExecutor: 'runs model-written code on this machine',
};
const FILE_WRITE_TOOLS: Record<string, string> = {
  WriteFileTool: 'write_file',
  DeleteFileTool: 'file_delete',
  MoveFileTool: 'move_file',
  CopyFileTool: 'copy_file',
};
const WRITE_TOOL_NAMES = new Set(['write_file', 'file_delete', 'move_file', 'copy_file']);
const DANGEROUS_FLAGS: Record<string, string> = {
  allow_dangerous_code: 'lets the agent run the Python it writes',
  allow_dangerous_requests: 'lets the agent send any HTTP request it composes, from this network',
  allow_dangerous_tools: 'enables tools that act on this machine or network',
};
const LOAD_TOOLS_DANGEROUS = new Set(['terminal', 'python_repl', 'shell', 'bash']);
/** Decorators and constructors that make a function an agent tool. */
const TOOL_DECORATOR = /^(langchain\w*\.(\w+\.)*tool|llama_index\.(\w+\.)*FunctionTool\.from_defaults|crewai\.(\w+\.)*tool|smolagents\.(\w+\.)*tool)$/;
const TOOL_WRAPPER = /^(langchain\w*\.(\w+\.)*(Tool|StructuredTool)(\.from_function)?|llama_index\.(\w+\.)*FunctionTool\.from_defaults)$/;
const EXEC_SINKS = new Set(['eval', 'exec', 'builtins.eval', 'builtins.exec', 'os.system', 'os.popen']);
const SUBPROCESS = /^subprocess\.(run|call|check_call|check_output|Popen|getoutput|getstatusoutput)$/;

function className(q: string): string {
  const parts = q.split('.');
  const last = parts[parts.length - 1];
  return last === 'from_llm' || last === 'from_function' || last === 'from_defaults' ? parts[parts.length - 2] : last;
}

function literalStrings(ctx: RuleContext, node: Node | undefined, scope: Scope): string[] {
  if (!node) return [];
  const items = node.type === 'list' || node.type === 'tuple' || node.type === 'set' ? node.namedChildren : [node];
  const out: string[] = [];
  for (const i of items) {
    if (!i) continue;
    const v = ctx.model.evaluate(i, scope);
    if (v.kind === 'str' && v.complete) out.push(v.value);
  }
  return out;
}

function checkConstructors(ctx: RuleContext, call: CallSite): void {
  const q = call.qname;
  if (!q || !AGENT_LIBRARY.test(q)) return;
  const cls = className(q);
  const danger = DANGEROUS[cls];
  if (danger) {
    ctx.report({
      node: call.node,
      confidence: cls === 'LLMMathChain' ? 'medium' : 'high',
      message: `\`${cls}\` ${danger}, so a prompt injection in anything the agent reads takes over this machine.`,
    });
    return;
  }
  const rootDir = call.value('root_dir');
  const sandboxed = !!rootDir && rootDir.kind !== 'none';
  if (FILE_WRITE_TOOLS[cls] && !sandboxed && !call.hasKwSplat) {
    ctx.report({
      node: call.node,
      message: `\`${cls}\` with no \`root_dir\` lets the agent change any file this process can write, so a prompt injection can plant code or destroy data.`,
    });
    return;
  }
  if (cls === 'FileManagementToolkit' && !sandboxed && !call.hasKwSplat) {
    const selected = call.keywords.get('selected_tools');
    const names = literalStrings(ctx, selected, call.scope);
    const writes = selected ? names.some((n) => WRITE_TOOL_NAMES.has(n)) : true;
    if (writes && (!selected || names.length === selected.namedChildCount)) {
      ctx.report({
        node: call.node,
        message:
          '`FileManagementToolkit` with write tools and no `root_dir` lets the agent write, move and delete any ' +
          'file this process can reach, so a prompt injection can plant code or destroy data.',
      });
    }
    return;
  }
  if (cls === 'load_tools') {
    const names = literalStrings(ctx, call.arg('tool_names', 0), call.scope).filter((n) => LOAD_TOOLS_DANGEROUS.has(n));
    if (names.length) {
      ctx.report({
        node: call.node,
        message: `\`load_tools\` gives the agent the \`${names[0]}\` tool, which runs model-written commands on this machine, so a prompt injection takes it over.`,
      });
    }
  }
}

function checkFlags(ctx: RuleContext, call: CallSite): void {
  const q = call.qname ?? '';
  const library = AGENT_LIBRARY.test(q) || (!q && [...ctx.model.importedModules].some((m) => AGENT_LIBRARY.test(m)));
  if (!library) return;
  for (const [flag, effect] of Object.entries(DANGEROUS_FLAGS)) {
    const v = call.value(flag);
    if (v?.kind === 'bool' && v.value) {
      ctx.report({
        node: call.keywordNodes.get(flag) ?? call.node,
        message: `\`${flag}=True\` ${effect}, so a prompt injection in anything the agent reads acts with this process's rights.`,
      });
    }
  }
  // AutoGen: `code_execution_config={"use_docker": False, ...}` runs generated code on the host.
  const config = call.keywords.get('code_execution_config');
  if (config?.type === 'dictionary' && /^autogen\w*\./.test(q)) {
    for (const pair of config.namedChildren) {
      if (pair?.type !== 'pair') continue;
      const key = pair.childForFieldName('key');
      const value = pair.childForFieldName('value');
      const k = key && ctx.model.evaluate(key, call.scope);
      const v = value && ctx.model.evaluate(value, call.scope);
      if (k?.kind === 'str' && k.value === 'use_docker' && v?.kind === 'bool' && !v.value) {
        ctx.report({
          node: pair,
          message: '`"use_docker": False` makes the agent run the code it writes directly on this machine, so a prompt injection takes it over.',
        });
      }
    }
  }
}

/** Functions that are agent tools: `@tool`-decorated, or handed to `Tool(func=...)` / `StructuredTool.from_function`. */
function toolFunctions(ctx: RuleContext): Map<number, { def: Node; scope: Scope }> {
  const out = new Map<number, { def: Node; scope: Scope }>();
  const model = ctx.model;
  const add = (def: Node | undefined) => {
    const scope = def && model.scopeOfDefinition(def);
    if (def && scope) out.set(def.id, { def, scope });
  };
  for (const d of model.tree.rootNode.descendantsOfType('decorator')) {
    const e = d?.firstNamedChild;
    if (!d || !e) continue;
    const callee = e.type === 'call' ? e.childForFieldName('function') : e;
    const q = callee && model.qnameOf(callee, model.scopeAt(d));
    if (q && TOOL_DECORATOR.test(q)) {
      const def = d.parent?.childForFieldName('definition');
      if (def?.type === 'function_definition') add(def);
    }
  }
  for (const c of model.calls) {
    const q = c.qname;
    if (!q || !TOOL_WRAPPER.test(q)) continue;
    const fn = c.arg('func') ?? c.arg('fn') ?? (q.endsWith('from_function') || q.endsWith('from_defaults') ? c.arg('func', 0) : undefined);
    if (fn) add(definitionOf(model, fn));
  }
  return out;
}

function checkExecTools(ctx: RuleContext): void {
  const model = ctx.model;
  const tools = toolFunctions(ctx);
  if (!tools.size) return;
  const byScope = new Map<Scope, Node>();
  for (const t of tools.values()) byScope.set(t.scope, t.def);
  const tainter = new Tainter(model, {
    source: () => undefined,
    parameter(name, scope) {
      const def = byScope.get(scope);
      return def && parametersOf(def).some((p) => p.name === name) ? `the tool's argument \`${name}\`` : undefined;
    },
  });
  for (const { def, scope } of tools.values()) {
    for (const call of scope.calls) {
      const q = call.qname ?? '';
      let t: Taint | undefined;
      if (EXEC_SINKS.has(q)) {
        const arg = call.arg('source', 0) ?? call.arg('command', 0) ?? call.arg('cmd', 0);
        t = arg && tainter.of(arg);
      } else if (SUBPROCESS.test(q)) {
        t = commandTaint(call, tainter);
      }
      if (!t) continue;
      const name = def.type === 'function_definition' ? def.childForFieldName('name')?.text : undefined;
      const callee = call.functionNode ? calleeDisplay(call.functionNode) : call.name;
      ctx.report({
        node: call.node,
        confidence: confidenceOf(t.level),
        message:
          `The agent tool ${name ? `\`${name}\` ` : ''}passes ${t.what} to \`${callee}\`, so the model, and whoever ` +
          'injects a prompt into it, runs code on this machine.',
      });
    }
  }
}

export const rule: Rule = {
  id: 'SAI502',
  name: 'agent-dangerous-tools',
  hazard: 'Agent given code-execution, shell or file-write tools',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-1.3', 'OWASP-LLM06:2025', 'OWASP-LLM05:2025', 'AML.T0053', 'AML.T0050', 'CWE-749', 'CWE-94', 'CWE-78'],
  message: 'The agent is given a tool that runs code on this machine, so a prompt injection takes it over.',
  triggers: [
    ...Object.keys(DANGEROUS), ...Object.keys(FILE_WRITE_TOOLS), 'FileManagementToolkit', ...Object.keys(DANGEROUS_FLAGS),
    'load_tools', 'tool', 'Tool', 'StructuredTool', 'FunctionTool', 'code_execution_config',
  ],
  requires: ['langchain\\w*', 'langgraph', 'llama_index', 'autogen\\w*', 'crewai', 'smolagents'],
  docs: {
    why:
      'An agent decides which tool to call and with what arguments from text it reads: the user\'s request, web ' +
      'pages, documents, earlier tool results. A prompt injection in any of them chooses the call. Give the agent ' +
      'a Python REPL, a shell or write access to the file system and that choice is code execution on the host ' +
      '(OWASP LLM06:2025 excessive agency; LLM05:2025 for the output it acts on; ATLAS AML.T0053 AI agent tool ' +
      'invocation and AML.T0050 command and scripting interpreter). The NCSC guidelines ask that what model ' +
      'output may trigger be restricted by design (NCSC 1.3); the CWE is an exposed dangerous function (CWE-749).\n\n' +
      'The rule reports LangChain\'s `PythonREPLTool`, `PythonAstREPLTool`, `PythonREPL`, `ShellTool`, ' +
      '`BashProcess`, `LLMBashChain`, `PALChain` and `LLMMathChain` (medium confidence: it evaluates ' +
      'expressions); `allow_dangerous_code=True`, `allow_dangerous_requests=True` and `allow_dangerous_tools=True`; ' +
      '`load_tools` with `terminal`; file-management tools that write, move or delete (`WriteFileTool`, ' +
      '`FileManagementToolkit` without read-only `selected_tools`) when no `root_dir` confines them; AutoGen\'s ' +
      '`LocalCommandLineCodeExecutor` and `code_execution_config={"use_docker": False}`; and agent tools of ' +
      'your own (`@tool`, `Tool(func=...)`, `StructuredTool.from_function`, LlamaIndex `FunctionTool`) that ' +
      'pass their argument to `eval`, `exec`, `os.system` or `subprocess`. Search, retrieval, read-only file ' +
      'tools and tools that parse their input as data are not reported.',
    example:
      'from langchain.agents import AgentType, initialize_agent\nfrom langchain_community.tools import ShellTool\n' +
      'from langchain_experimental.tools import PythonREPLTool\n\n' +
      'agent = initialize_agent([PythonREPLTool(), ShellTool()], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)',
    useInstead:
      'from langchain.agents import AgentType, initialize_agent\nfrom langchain_community.agent_toolkits import FileManagementToolkit\n' +
      'from langchain_community.tools import DuckDuckGoSearchRun\n\n' +
      'files = FileManagementToolkit(root_dir="/srv/agent-workspace", selected_tools=["read_file", "list_directory"])\n' +
      'agent = initialize_agent([DuckDuckGoSearchRun(), *files.get_tools()], llm, agent=AgentType.ZERO_SHOT_REACT_DESCRIPTION)\n' +
      '# if the agent must run code, run it in a disposable sandbox (a container or a hosted code interpreter), not here',
    references: [
      'https://python.langchain.com/docs/security/',
      'https://genai.owasp.org/llmrisk/llm062025-excessive-agency/',
      'https://microsoft.github.io/autogen/0.2/docs/topics/code-execution/cli-code-executor/',
      'https://atlas.mitre.org/techniques/AML.T0053',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.model.calls) {
      checkConstructors(ctx, call);
      if (call.keywords.size) checkFlags(ctx, call);
    }
    checkExecTools(ctx);
  },
};
