/**
 * Automation fingerprints: tool user agents and header sets no browser sends. Only judged on routes the policy
 * marks browser-facing (an API used by scripts and servers legitimately sees curl and SDKs) — except vulnerability
 * scanners, which `scannerFingerprint` names on every route: no API has sqlmap or nikto as a legitimate client.
 */
const TOOL_AGENTS =
  /\b(?:curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|java\/\d|apache-httpclient|okhttp|libwww-perl|lwp::|scrapy|httpie|postmanruntime|insomnia|node-fetch|axios|undici|got\b|ruby|php\/|guzzle|headlesschrome|phantomjs|selenium|puppeteer|playwright|nikto|sqlmap|nmap|masscan|zgrab|nuclei|gobuster|dirbuster|wfuzz|ffuf|hydra|bot\b|crawler|spider)/i;

export interface AutomationFinding {
  /** 0..1 */
  readonly strength: number;
  readonly reason: string;
  /** A vulnerability scanner named itself: judged on every route, browser-facing or not. */
  readonly scanner?: boolean;
}

/**
 * Vulnerability scanners and attack tools by the names their default user agents carry, matched as whole tokens
 * (`vega/1.0`, not `veganism.social`). Sources of the names: each tool's documentation of its default agent, and
 * the OWASP CRS scanner list (see test/fixtures/detector/SOURCES.md).
 */
const SCANNER_AGENTS =
  /(?:^|[^a-z0-9])(sqlmap|nikto|nuclei|nessus|openvas|nmap scripting engine|nmap|masscan|zgrab|acunetix|netsparker|invicti|wpscan|joomscan|droopescan|dirbuster|gobuster|feroxbuster|dirsearch|ffuf|fuzz faster u fool|wfuzz|hydra|arachni|w3af|havij|skipfish|zmeu|morfeus|jaeles|xsstrike|commix|whatweb|paros|webinspect|appscan|qualysguard|burpcollaborator|dotdotpwn|jorgee|sqlninja|pangolin|bsqlbf|absinthe|webshag|nsauditor|fimap|grendel-scan|n-stealth|nstealth|brutus|l9explore|l9tcpid|censysinspect|zmap|vega\/\d|user-?agent(?=$))(?=$|[^a-z0-9])/i;

/** A vulnerability scanner's user agent, on any route. Header names must be lower-case. */
export function scannerFingerprint(headers: Readonly<Record<string, string>>): AutomationFinding | undefined {
  const ua = headers['user-agent'];
  if (!ua) return undefined;
  const hit = SCANNER_AGENTS.exec(ua.length > 1024 ? ua.slice(0, 1024) : ua);
  return hit
    ? { strength: 1, reason: `scanner user agent: ${hit[1]!.toLowerCase()}`, scanner: true }
    : undefined;
}

/**
 * Judges a request's headers for automation. Header names must be lower-case. `userAgentOnly`: only the user agent is
 * known (a request rebuilt from an access log), so the header-set checks are skipped.
 */
export function automationFingerprint(
  headers: Readonly<Record<string, string>>,
  { userAgentOnly = false }: { readonly userAgentOnly?: boolean } = {},
): AutomationFinding | undefined {
  const ua = headers['user-agent'] ?? '';
  if (ua.trim() === '') return { strength: 1, reason: 'no user agent' };
  const scanner = scannerFingerprint(headers);
  if (scanner) return scanner;
  const tool = TOOL_AGENTS.exec(ua);
  if (tool) return { strength: 1, reason: `tool user agent: ${tool[0].toLowerCase()}` };
  const claimsBrowser = /mozilla\/5\.0/i.test(ua);
  if (!claimsBrowser) return { strength: 0.6, reason: 'non-browser user agent' };
  if (userAgentOnly) return undefined;
  // Browsers always send Accept and Accept-Language; modern Chromium also sends sec-fetch-* headers.
  const missing = ['accept', 'accept-language'].filter((h) => !headers[h]);
  if (missing.length === 2) return { strength: 1, reason: 'browser user agent without accept headers' };
  if (missing.length === 1) return { strength: 0.6, reason: `browser user agent without ${missing[0]}` };
  return undefined;
}
