/** The project's addresses, kept in one place so the SARIF output and the rules listing agree. */

export const REPOSITORY_URL = 'https://github.com/secure-ai-dev/secure-ai-dev';

/** The page that documents one rule: `docs/rules/<ID>.md` in the repository. */
export function ruleDocsUrl(ruleId: string): string {
  return `${REPOSITORY_URL}/blob/main/docs/rules/${encodeURIComponent(ruleId)}.md`;
}
