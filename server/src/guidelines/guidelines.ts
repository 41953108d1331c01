/**
 * The one data file of guideline ids that findings may cite.
 *
 * The NCSC/CISA "Guidelines for Secure AI System Development" (27 Nov 2023) number their four sections but not the
 * seventeen items inside them; the ids `NCSC-1.1` … `NCSC-4.4` are derived from the order in which the items appear.
 */

export type Catalogue = 'NCSC' | 'G7' | 'OWASP-ML' | 'OWASP-LLM' | 'ATLAS' | 'CWE';

export interface Guideline {
  id: string;
  catalogue: Catalogue;
  title: string;
  /** Section title (NCSC only). */
  section?: string;
  /** What the item asks of code, in one line (NCSC only). */
  asks?: string;
}

const NCSC_SECTIONS: Record<string, string> = {
  '1': 'Secure design',
  '2': 'Secure development',
  '3': 'Secure deployment',
  '4': 'Secure operation and maintenance',
};

const ncsc: Array<[string, string, string]> = [
  ['1.1', 'Raise staff awareness of threats and risks', 'people know AI threats; docs and hovers teach'],
  ['1.2', 'Model the threats to your system', 'a documented threat model exists and is current'],
  ['1.3', 'Design for security as well as functionality and performance', 'treat third-party models and serialised weights as untrusted code; restrict what model output may trigger; secure defaults'],
  ['1.4', 'Consider security trade-offs when selecting your AI model', 'know the provenance of the model and its data'],
  ['2.1', 'Secure your supply chain', 'get models, data and libraries from verified sources, pinned and checked'],
  ['2.2', 'Identify, track and protect your assets', 'models, data, prompts, logs and secrets are tracked, versioned and protected'],
  ['2.3', 'Document your data, models and prompts', 'record data sources, hashes or signatures and retention; model and data cards'],
  ['2.4', 'Manage your technical debt', 'shortcuts are tracked, not forgotten'],
  ['3.1', 'Secure your infrastructure', 'access control on APIs, models, data and pipelines'],
  ['3.2', 'Protect your model continuously', 'guard the query interface; hash or sign weights and checkpoints right after training'],
  ['3.3', 'Develop incident management procedures', 'audit logs, backups, response plans'],
  ['3.4', 'Release AI responsibly', 'evaluate security before release'],
  ['3.5', 'Make it easy for users to do the right things', 'secure by default, guidance for users'],
  ['4.1', "Monitor your system's behaviour", 'watch outputs for security-relevant change'],
  ['4.2', "Monitor your system's inputs", 'log inference requests and prompts (privacy-aware)'],
  ['4.3', 'Follow a secure by design approach to updates', 'data, model and prompt changes are versioned changes'],
  ['4.4', 'Collect and share lessons learned', 'disclosure channel, shared lessons'],
];

const g7: string[] = [
  'Risks across the AI lifecycle',
  'Vulnerabilities and misuse after deployment',
  'Public transparency about capabilities and limits',
  'Information sharing and incident reporting',
  'Governance and risk management policies',
  'Robust security controls',
  'Content authentication and provenance',
  'Research on risk mitigation',
  'AI for global challenges',
  'International technical standards',
  'Data quality, personal data and IP protection',
];

const owaspMl: Array<[string, string]> = [
  ['ML01', 'Input Manipulation Attack'],
  ['ML02', 'Data Poisoning Attack'],
  ['ML03', 'Model Inversion Attack'],
  ['ML04', 'Membership Inference Attack'],
  ['ML05', 'Model Theft'],
  ['ML06', 'AI Supply Chain Attacks'],
  ['ML07', 'Transfer Learning Attack'],
  ['ML08', 'Model Skewing'],
  ['ML09', 'Output Integrity Attack'],
  ['ML10', 'Model Poisoning'],
];

const owaspLlm2025: Array<[string, string]> = [
  ['LLM01:2025', 'Prompt Injection'],
  ['LLM02:2025', 'Sensitive Information Disclosure'],
  ['LLM03:2025', 'Supply Chain'],
  ['LLM04:2025', 'Data and Model Poisoning'],
  ['LLM05:2025', 'Improper Output Handling'],
  ['LLM06:2025', 'Excessive Agency'],
  ['LLM07:2025', 'System Prompt Leakage'],
  ['LLM08:2025', 'Vector and Embedding Weaknesses'],
  ['LLM09:2025', 'Misinformation'],
  ['LLM10:2025', 'Unbounded Consumption'],
];

const atlas: Array<[string, string]> = [
  ['AML.T0010', 'AI Supply Chain Compromise'],
  ['AML.T0010.001', 'AI Supply Chain Compromise: AI Software'],
  ['AML.T0010.002', 'AI Supply Chain Compromise: Data'],
  ['AML.T0010.003', 'AI Supply Chain Compromise: Model'],
  ['AML.T0011.000', 'User Execution: Unsafe AI Artifacts'],
  ['AML.T0018', 'Manipulate AI Model'],
  ['AML.T0018.002', 'Manipulate AI Model: Embed Malware'],
  ['AML.T0020', 'Poison Training Data'],
  ['AML.T0024', 'Exfiltration via AI Inference API'],
  ['AML.T0040', 'AI Model Inference API Access'],
  ['AML.T0050', 'Command and Scripting Interpreter'],
  ['AML.T0051', 'LLM Prompt Injection'],
  ['AML.T0053', 'AI Agent Tool Invocation'],
  ['AML.T0055', 'Unsecured Credentials'],
  ['AML.M0004', 'Restrict Number of AI Model Queries'],
  ['AML.M0013', 'Code Signing'],
  ['AML.M0014', 'Verify AI Artifacts'],
  ['AML.M0016', 'Vulnerability Scanning'],
  ['AML.M0023', 'AI Bill of Materials'],
  ['AML.M0024', 'AI Telemetry Logging'],
  ['AML.M0025', 'Maintain AI Dataset Provenance'],
];

const cwe: Array<[number, string]> = [
  [78, 'Improper Neutralization of Special Elements used in an OS Command'],
  [89, 'Improper Neutralization of Special Elements used in an SQL Command (SQL Injection)'],
  [94, 'Improper Control of Generation of Code (Code Injection)'],
  [95, 'Eval Injection'],
  [295, 'Improper Certificate Validation'],
  [306, 'Missing Authentication for Critical Function'],
  [319, 'Cleartext Transmission of Sensitive Information'],
  [345, 'Insufficient Verification of Data Authenticity'],
  [353, 'Missing Support for Integrity Check'],
  [427, 'Uncontrolled Search Path Element'],
  [489, 'Active Debug Code'],
  [494, 'Download of Code Without Integrity Check'],
  [502, 'Deserialization of Untrusted Data'],
  [749, 'Exposed Dangerous Method or Function'],
  [778, 'Insufficient Logging'],
  [798, 'Use of Hard-coded Credentials'],
  [829, 'Inclusion of Functionality from Untrusted Control Sphere'],
  [918, 'Server-Side Request Forgery (SSRF)'],
  [1104, 'Use of Unmaintained Third Party Components'],
  [1327, 'Binding to an Unrestricted IP Address'],
  [1357, 'Reliance on Insufficiently Trustworthy Component'],
  [1426, 'Improper Validation of Generative AI Output'],
  [1427, 'Improper Neutralization of Input Used for LLM Prompting'],
];

function build(): Map<string, Guideline> {
  const all: Guideline[] = [
    ...ncsc.map(([n, title, asks]) => ({
      id: `NCSC-${n}`,
      catalogue: 'NCSC' as const,
      title,
      asks,
      section: NCSC_SECTIONS[n.split('.')[0]],
    })),
    ...g7.map((title, i) => ({ id: `G7-${i + 1}`, catalogue: 'G7' as const, title })),
    ...owaspMl.map(([id, title]) => ({ id: `OWASP-${id}`, catalogue: 'OWASP-ML' as const, title })),
    ...owaspLlm2025.map(([id, title]) => ({ id: `OWASP-${id}`, catalogue: 'OWASP-LLM' as const, title })),
    ...atlas.map(([id, title]) => ({ id, catalogue: 'ATLAS' as const, title })),
    ...cwe.map(([n, title]) => ({ id: `CWE-${n}`, catalogue: 'CWE' as const, title })),
  ];
  return new Map(all.map((g) => [g.id, g]));
}

export const GUIDELINES: ReadonlyMap<string, Guideline> = build();

export function guideline(id: string): Guideline {
  const g = GUIDELINES.get(id);
  if (!g) throw new Error(`unknown guideline id: ${id}`);
  return g;
}

/** "NCSC 2.1 Secure your supply chain" — the short label a message carries. */
export function ncscLabel(id: string): string {
  const g = guideline(id);
  return `${g.id.replace('-', ' ')} ${g.title}`;
}

/** A link for each catalogue entry, where the catalogue has a stable address. */
export function guidelineUrl(id: string): string | undefined {
  if (id.startsWith('CWE-')) return `https://cwe.mitre.org/data/definitions/${id.slice(4)}.html`;
  if (id.startsWith('AML.')) {
    const kind = id.startsWith('AML.M') ? 'mitigations' : 'techniques';
    return `https://atlas.mitre.org/${kind}/${id}`;
  }
  if (id.startsWith('NCSC-')) return 'https://www.ncsc.gov.uk/collection/guidelines-secure-ai-system-development';
  if (id.startsWith('OWASP-ML')) return 'https://owasp.org/www-project-machine-learning-security-top-10/';
  if (id.startsWith('OWASP-LLM')) return 'https://genai.owasp.org/llm-top-10/';
  return undefined;
}
