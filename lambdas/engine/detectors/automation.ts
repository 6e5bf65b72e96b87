/**
 * Automation fingerprints: tool user agents and header sets no browser sends. Only judged on routes the policy
 * marks browser-facing (an API used by scripts and servers legitimately sees curl and SDKs).
 */
const TOOL_AGENTS =
  /\b(?:curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/\d|apache-httpclient|okhttp|libwww-perl|lwp::|scrapy|httpie|postmanruntime|insomnia|node-fetch|axios|undici|got\b|ruby|php\/|guzzle|headlesschrome|phantomjs|selenium|puppeteer|playwright|nikto|sqlmap|nmap|masscan|zgrab|nuclei|gobuster|dirbuster|wfuzz|ffuf|hydra|bot\b|crawler|spider)/i;

export interface AutomationFinding {
  /** 0..1 */
  readonly strength: number;
  readonly reason: string;
}

/** Judges a request's headers for automation. Header names must be lower-case. */
export function automationFingerprint(
  headers: Readonly<Record<string, string>>,
): AutomationFinding | undefined {
  const ua = headers['user-agent'] ?? '';
  if (ua.trim() === '') return { strength: 1, reason: 'no user agent' };
  const tool = TOOL_AGENTS.exec(ua);
  if (tool) return { strength: 1, reason: `tool user agent: ${tool[0].toLowerCase()}` };
  const claimsBrowser = /mozilla\/5\.0/i.test(ua);
  if (!claimsBrowser) return { strength: 0.6, reason: 'non-browser user agent' };
  // Browsers always send Accept and Accept-Language; modern Chromium also sends sec-fetch-* headers.
  const missing = ['accept', 'accept-language'].filter((h) => !headers[h]);
  if (missing.length === 2) return { strength: 1, reason: 'browser user agent without accept headers' };
  if (missing.length === 1) return { strength: 0.6, reason: `browser user agent without ${missing[0]}` };
  return undefined;
}
