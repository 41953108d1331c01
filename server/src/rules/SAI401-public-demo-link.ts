import { replaceNode } from '../engine/edits';
import type { Node } from '../engine/parser';
import type { Rule } from '../engine/rule';
import type { CallSite } from '../engine/semantic';
import type { Confidence } from '../engine/types';
import { ALL_INTERFACES, qnameOf } from './serving';

/** Whether `launch` is called on a gradio app, and how sure that is. */
function gradioLaunch(call: CallSite): Confidence | undefined {
  const q = call.qname;
  if (q?.startsWith('gradio.')) return 'high';
  const fn = call.functionNode;
  const obj = fn?.type === 'attribute' ? fn.childForFieldName('object') : undefined;
  if (!obj) return undefined;
  const base = qnameOf(call.model, obj);
  if (base?.startsWith('gradio.')) return 'high';
  // An instance of something else (`subprocess.Popen(...)`): not a demo.
  if (base?.includes('()')) return undefined;
  // A demo built elsewhere (`demo = build_demo()`, `ui.demo`): in a gradio module, `launch(share=...)` is gradio's.
  return call.model.imports('gradio') ? 'medium' : undefined;
}

/** `auth=` / `auth_dependency=` given and not `None`: the app asks for a login. */
function hasAuth(call: CallSite): boolean | 'maybe' {
  for (const k of ['auth', 'auth_dependency']) {
    const v = call.value(k);
    if (v && v.kind !== 'none') return true;
  }
  return call.hasKwSplat ? 'maybe' : false;
}

export const rule: Rule = {
  id: 'SAI401',
  name: 'public-demo-link',
  hazard: 'Gradio demo shared publicly or bound to every interface without a login',
  severity: 'warning',
  confidence: 'high',
  guidelines: ['NCSC-3.1', 'NCSC-3.5', 'OWASP-ML05', 'AML.T0040', 'CWE-306', 'CWE-1327'],
  message:
    '`launch(share=True)` publishes the demo on a public `gradio.live` link with no login, so anyone who finds the ' +
    'address can query the model and whatever the app can reach.',
  triggers: ['launch'],
  requires: ['gradio'],
  docs: {
    why:
      'A gradio share link is a public URL on `*.gradio.live`, tunnelled to the machine that runs the demo, for as ' +
      'long as the process lives (a week by default). Without `auth=` anyone who has or guesses the link can use ' +
      'the model as an API, scrape its answers (model theft, OWASP ML05) and reach every function the app calls. ' +
      '`server_name="0.0.0.0"` does the same on the local network or, on a cloud VM, on the internet. The NCSC ' +
      'guidelines ask for access control on every model interface (NCSC 3.1) and for secure defaults (NCSC 3.5); ' +
      'the CWE names are missing authentication (CWE-306) and binding to an unrestricted address (CWE-1327).\n\n' +
      'The rule reports `launch(share=True)` and `launch(server_name="0.0.0.0")` (or `"::"`) on gradio apps ' +
      '(`gr.Interface`, `gr.Blocks`, `gr.ChatInterface`, also through `with gr.Blocks() as demo` and ' +
      '`demo.queue().launch(...)`) unless `auth=` or `auth_dependency=` is given. A value read from configuration ' +
      'or the environment (`share=args.share`, `server_name=os.getenv("HOST")`) is a deployment decision and is ' +
      'not reported. `launch` on an app built in another function of a gradio module is reported with medium ' +
      'confidence, and a call with `**kwargs` (which may carry `auth`) with low confidence. The fixes set ' +
      '`share=False` and `server_name="127.0.0.1"`; to keep a shared link, add `auth=` instead.',
    example:
      'import gradio as gr\n\ndemo = gr.Interface(fn=classify, inputs="text", outputs="label")\n' +
      'demo.launch(share=True)\ndemo.launch(server_name="0.0.0.0")',
    useInstead:
      'import os\n\nimport gradio as gr\n\ndemo = gr.Interface(fn=classify, inputs="text", outputs="label")\n' +
      'demo.launch()  # http://127.0.0.1:7860 only\n' +
      '# shared, but behind a login:\ndemo.launch(share=True, auth=(os.environ["DEMO_USER"], os.environ["DEMO_PASSWORD"]))',
    references: [
      'https://www.gradio.app/guides/sharing-your-app',
      'https://www.gradio.app/docs/gradio/blocks#blocks-launch',
      'https://cwe.mitre.org/data/definitions/1327.html',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    for (const call of ctx.callsNamed('launch')) {
      const sure = gradioLaunch(call);
      if (!sure) continue;
      const auth = hasAuth(call);
      if (auth === true) continue;
      const confidence: Confidence = auth === 'maybe' ? 'low' : sure;
      const share = call.keywords.get('share');
      const shareValue = call.value('share');
      if (share && shareValue?.kind === 'bool' && shareValue.value) {
        ctx.report({
          node: call.keywordNodes.get('share') as Node,
          confidence,
          fix: { title: 'Set `share=False`', safety: 'unsafe', edits: [replaceNode(share, 'False')] },
        });
      }
      const host = call.arg('server_name');
      const hostValue = call.value('server_name');
      if (host && hostValue?.kind === 'str' && hostValue.complete && ALL_INTERFACES.has(hostValue.value)) {
        ctx.report({
          node: call.keywordNodes.get('server_name') as Node,
          confidence,
          message:
            `\`launch(server_name="${hostValue.value}")\` serves the demo on every network interface with no login, ` +
            'so anyone on the network can query the model and whatever the app can reach.',
          fix: { title: 'Serve on `127.0.0.1` only', safety: 'unsafe', edits: [replaceNode(host, '"127.0.0.1"')] },
        });
      }
    }
  },
};
