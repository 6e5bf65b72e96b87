import { restRequestEvent } from '../lib/local/events';
import type { TokenIssuer } from '../lib/local/token-issuer';

/**
 * The benchmark's workload (issue 9): valid RS256 tokens for 500 subjects, each subject calling from its own IP
 * (500 IPs spread over public /24s), 3,000 measured requests in random order, each token used six times, so token
 * and key caches help exactly as much as they would for API clients that reuse a token.
 */
export const SUBJECTS = 500;
export const USES_PER_TOKEN = 6;
export const MEASURED_REQUESTS = SUBJECTS * USES_PER_TOKEN;
/** Synthetic arrival rate of the measured traffic: it sets request times, hence counter windows and log batches. */
export const REQUESTS_PER_SECOND = 100;
/**
 * Warm-up clients and their rate. The engine's surge detector treats a container with no history (its first two
 * minutes) and over 50% new IPs above 300 requests/min as a distributed surge, and denies new clients; a container
 * that has served the API for a while has a baseline. So Gatewarden's warm-up gives it one: 6,000 requests over
 * 200 s of request time (30/s) from other clients, before the measured 100/s.
 */
export const WARMUP_SUBJECTS = 1000;
export const WARMUP_REQUESTS_PER_SECOND = 30;
/** OAuth client ids the tokens carry (a B2B API: one per integration); one id at 100/s trips volume-client. */
export const CLIENT_IDS = 10;

/** Deterministic PRNG (mulberry32), so every run replays the same workload. */
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

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const FIRST_OCTETS = [23, 31, 45, 52, 66, 73, 81, 98, 104, 142, 151, 172, 185, 203, 212];

function publicIp(random: () => number): string {
  const o = () => Math.floor(random() * 254) + 1;
  return `${FIRST_OCTETS[Math.floor(random() * FIRST_OCTETS.length)]}.${o()}.${o()}.${o()}`;
}

const ROUTES: readonly {
  method: string;
  resource: string;
  path: (r: () => number) => { path: string; pathParameters?: Record<string, string> };
}[] = [
  {
    method: 'GET',
    resource: '/items/{id}',
    path: (r) => {
      const id = String(1 + Math.floor(r() * 5000));
      return { path: `/items/${id}`, pathParameters: { id } };
    },
  },
  { method: 'GET', resource: '/items', path: () => ({ path: '/items' }) },
  { method: 'GET', resource: '/profile', path: () => ({ path: '/profile' }) },
  { method: 'POST', resource: '/orders', path: () => ({ path: '/orders' }) },
];

const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'okhttp/4.12.0',
  'MyShop-iOS/5.2.1 CFNetwork/1494.0.7 Darwin/23.4.0',
];

/** One client: a subject, its IP and its token. */
export interface Client {
  readonly subject: string;
  readonly ip: string;
  readonly userAgent: string;
  readonly clientId: string;
  readonly token: string;
}

/** One request of the workload, ready to become a REST REQUEST event. */
export interface WorkItem {
  readonly client: Client;
  readonly method: string;
  readonly resource: string;
  readonly path: string;
  readonly pathParameters: Record<string, string>;
  /** Synthetic request time, epoch ms. */
  readonly timeMs: number;
}

export async function makeClients(
  issuer: TokenIssuer,
  count: number,
  prefix: string,
  random: () => number,
): Promise<Client[]> {
  const at = Math.floor(Date.now() / 1000);
  const clients: Client[] = [];
  for (let i = 0; i < count; i += 1) {
    const subject = `${prefix}-${String(i).padStart(4, '0')}`;
    const clientId = `integration-${i % CLIENT_IDS}`;
    clients.push({
      subject,
      ip: publicIp(random),
      userAgent: USER_AGENTS[i % USER_AGENTS.length]!,
      clientId,
      token: await issuer.sign(
        { sub: subject, scope: 'orders:read orders:write', client_id: clientId, iat: at, exp: at + 3600 },
        { kid: 'rs-1', at },
      ),
    });
  }
  return clients;
}

/** Each client `uses` times, in random order, at `rps` synthetic requests per second from `startMs`. */
export function makeRequests(
  clients: readonly Client[],
  uses: number,
  startMs: number,
  rps: number,
  random: () => number,
): WorkItem[] {
  const order = shuffle(
    clients.flatMap((c) => Array.from({ length: uses }, () => c)),
    random,
  );
  return order.map((client, i) => {
    const route = ROUTES[Math.floor(random() * ROUTES.length)]!;
    const { path, pathParameters } = route.path(random);
    return {
      client,
      method: route.method,
      resource: route.resource,
      path,
      pathParameters: pathParameters ?? {},
      timeMs: startMs + Math.round((i * 1000) / rps),
    };
  });
}

/** The REST REQUEST event API Gateway would send for `item` (shape of the official sample). */
export function toEvent(item: WorkItem): Record<string, unknown> {
  return restRequestEvent({
    method: item.method,
    path: item.path,
    resource: item.resource,
    pathParameters: item.pathParameters,
    headers: {
      Accept: 'application/json',
      Authorization: `Bearer ${item.client.token}`,
      'User-Agent': item.client.userAgent,
      'Accept-Language': 'en-GB,en;q=0.9',
    },
    sourceIp: item.client.ip,
    timeMs: item.timeMs,
  });
}

/**
 * The benchmark's traffic: warm-up requests from WARMUP_SUBJECTS clients, then the measured requests from SUBJECTS
 * others, each token used USES_PER_TOKEN times; seeded, so every run and tool sees the same requests.
 */
export async function benchWorkload(
  issuer: TokenIssuer,
  seed = 9,
): Promise<{ warmup: WorkItem[]; measured: WorkItem[] }> {
  const random = prng(seed);
  const warmClients = await makeClients(issuer, WARMUP_SUBJECTS, 'warm', random);
  const clients = await makeClients(issuer, SUBJECTS, 'user', random);
  const warmup = makeRequests(warmClients, USES_PER_TOKEN, Date.now(), WARMUP_REQUESTS_PER_SECOND, random);
  const measuredStart = warmup.at(-1)!.timeMs + 1000;
  return {
    warmup,
    measured: makeRequests(clients, USES_PER_TOKEN, measuredStart, REQUESTS_PER_SECOND, random),
  };
}
