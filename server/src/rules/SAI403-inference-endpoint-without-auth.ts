import type { Rule } from '../engine/rule';
import { ROUTE_WORDS, WEB_FRAMEWORKS, handlerAuth, handlerInference, routeHandlers } from './serving';

export const rule: Rule = {
  id: 'SAI403',
  name: 'inference-endpoint-without-auth',
  hazard: 'Inference endpoint without authentication',
  severity: 'warning',
  confidence: 'medium',
  guidelines: ['NCSC-3.1', 'NCSC-3.2', 'OWASP-ML05', 'OWASP-LLM10:2025', 'AML.T0024', 'AML.T0040', 'AML.M0004', 'CWE-306'],
  message:
    'The route runs the model with no authentication, so anyone who can reach the service can query, exhaust or ' +
    'copy the model.',
  triggers: ROUTE_WORDS,
  requires: WEB_FRAMEWORKS,
  docs: {
    why:
      'An inference endpoint that answers anyone is an open model API: it can be scraped to train a copy of the ' +
      'model (model theft, OWASP ML05; exfiltration through the inference API, ATLAS AML.T0024), used to probe for ' +
      'adversarial inputs, or driven until the GPU bill or the LLM provider\'s quota runs out (unbounded ' +
      'consumption, OWASP LLM10). Authentication is also what makes rate limits per caller possible (ATLAS ' +
      'AML.M0004). The NCSC guidelines ask for access control on APIs and models (NCSC 3.1) and a guarded query ' +
      'interface (NCSC 3.2); the CWE is missing authentication for a critical function (CWE-306).\n\n' +
      'The rule reports Flask, Quart and FastAPI route handlers (`@app.post(...)`, `@router.get(...)`, ' +
      '`@bp.route(...)`, `add_url_rule`, `add_api_route`) that run a model, themselves or through a helper in the ' +
      'same file: an LLM client call (OpenAI, Anthropic, LangChain, Ollama, LiteLLM and others), a Hugging Face ' +
      '`pipeline` or a loaded model called or asked to `predict` / `generate`, an ONNX Runtime session. It stays ' +
      'quiet when the handler has any sign of authentication: a FastAPI `Security(...)` parameter, or a ' +
      '`Depends(...)` on a security scheme or on something named like an auth check (`get_current_user`, ' +
      '`verify_api_key`; a dependency defined in the file is looked into); `dependencies=[...]` on the route, the ' +
      'router, `include_router` or the app; a decorator whose name mentions login, auth, token, permission or ' +
      'require (`@login_required`, `@auth.login_required`, `@jwt_required()`); an API-key or token header ' +
      'parameter; a check in the body (`Authorization`, `current_user`, `abort(401)`); or, anywhere in the file, ' +
      'auth middleware (`app.add_middleware(AuthenticationMiddleware, ...)`) or a `before_request` / ' +
      '`@app.middleware("http")` hook that checks credentials. Authentication done by a gateway in front of the ' +
      'service cannot be seen from the code, so the confidence is medium; suppress with the reason when that is ' +
      'the design.',
    example:
      'from fastapi import FastAPI\nfrom openai import OpenAI\n\napp = FastAPI()\nclient = OpenAI()\n\n\n' +
      '@app.post("/chat")\ndef chat(question: str):\n' +
      '    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])\n' +
      '    return {"answer": reply.choices[0].message.content}',
    useInstead:
      'from fastapi import Depends, FastAPI\nfrom fastapi.security import OAuth2PasswordBearer\nfrom openai import OpenAI\n\n' +
      'app = FastAPI()\nclient = OpenAI()\noauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")\n\n\n' +
      '@app.post("/chat")\ndef chat(question: str, token: str = Depends(oauth2_scheme)):\n' +
      '    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])\n' +
      '    return {"answer": reply.choices[0].message.content}',
    references: [
      'https://fastapi.tiangolo.com/tutorial/security/',
      'https://flask-login.readthedocs.io/en/latest/#protecting-views',
      'https://owasp.org/www-project-machine-learning-security-top-10/docs/ML05_2023-Model_Theft',
      'https://atlas.mitre.org/techniques/AML.T0024',
      'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development',
    ],
  },
  check(ctx) {
    const model = ctx.model;
    for (const h of routeHandlers(model)) {
      const inference = handlerInference(model, h);
      if (!inference || handlerAuth(model, h)) continue;
      ctx.report({
        node: h.name,
        message:
          `Route \`${h.name.text}\` runs the model (\`${inference.what}\`) with no authentication (no auth ` +
          'dependency, login decorator or auth middleware), so anyone who can reach the service can query, exhaust ' +
          'or copy the model.',
      });
    }
  },
};
