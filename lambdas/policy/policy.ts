import { readFileSync } from 'node:fs';
import ipaddr from 'ipaddr.js';
import type { RouteRequirement } from '../authz/route-authz';
import type * as z from '../shared/schema';
import {
  DEFAULT_INSPECT_HEADERS,
  DEFAULT_ROUTE_SETTINGS,
  DEFAULT_WINDOWS,
  type ResolvedRouteSettings,
} from './defaults';
import { type CompiledRoute, compileRoute, routeMatches } from './route-match';
import {
  type PolicyFile,
  policySchema,
  type RequireInput,
  type RouteSettingsInput,
  type SignalName,
} from './schema';

/** A policy file that failed validation; `issues` name each field (`routes[2].thresholds.ipPerShort: ...`). */
export class PolicyError extends Error {
  constructor(
    message: string,
    public readonly issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PolicyError';
  }
}

export const isPolicyError = (e: unknown): e is PolicyError => e instanceof PolicyError;

export interface ClientClass {
  readonly name: string;
  readonly clientIds: ReadonlySet<string>;
  readonly certificateSubjects: ReadonlySet<string>;
  readonly volumeMultiplier: number;
  readonly ignoreSignals: ReadonlySet<SignalName>;
}

export interface Journey {
  readonly route: CompiledRoute;
  readonly routePattern: string;
  readonly after: CompiledRoute;
  readonly afterPattern: string;
  readonly withinSeconds: number;
}

/** A validated policy with every default filled in. */
export interface Policy {
  readonly mode: 'enforce' | 'shadow';
  readonly windows: { readonly shortSeconds: number; readonly longSeconds: number };
  readonly deviceHeader: string | undefined;
  readonly inspectHeaders: readonly string[];
  readonly journeys: readonly Journey[];
  readonly clientClasses: readonly ClientClass[];
  /** Settings for a request route; first matching policy route wins, else the defaults. */
  settingsFor(route: string): ResolvedRouteSettings;
  /**
   * The `require` of the first policy route matching `route` (a template, or a concrete `METHOD /path` for TOKEN
   * events), with that route's pattern; undefined when the matching route requires nothing.
   */
  requirementFor(
    route: string,
  ): { readonly requirement: RouteRequirement; readonly pattern: string } | undefined;
  /** True when any route has a `require`. */
  readonly hasRequirements: boolean;
  isAllowlistedIp(ip: string | undefined): boolean;
  isAllowlistedSubject(subject: string | undefined): boolean;
  isAllowlistedClient(clientId: string | undefined): boolean;
}

function formatIssues(error: z.core.$ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path
      .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
      .join('');
    return `${path || '(root)'}: ${issue.message}`;
  });
}

function merge(base: ResolvedRouteSettings, input: RouteSettingsInput | undefined): ResolvedRouteSettings {
  if (!input) return base;
  return {
    access: input.access ?? base.access,
    failMode: input.failMode ?? base.failMode,
    browserFacing: input.browserFacing ?? base.browserFacing,
    honeypot: input.honeypot ?? base.honeypot,
    scoring: input.scoring ?? base.scoring,
    weights: { ...base.weights, ...input.weights } as Record<SignalName, number>,
    thresholds: { ...base.thresholds, ...input.thresholds },
    bands: { ...base.bands, ...input.bands },
    block: { ...base.block, ...input.block },
  };
}

/** The names of a route pattern's path parameters (`{id}`, `{proxy+}`). */
const patternParams = (pattern: string): string[] =>
  [...pattern.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]!);

function checkRequire(
  match: string,
  require: RequireInput | undefined,
  where: string,
  issues: string[],
): void {
  if (!require) return;
  if (Object.keys(require).length === 0) issues.push(`${where}.require: lists no requirement`);
  if (require.owner && !patternParams(match).includes(require.owner.param)) {
    issues.push(
      `${where}.require.owner.param: "${require.owner.param}" is not a path parameter of "${match}" (use a {${require.owner.param}} segment)`,
    );
  }
}

function checkBands(settings: ResolvedRouteSettings, where: string, issues: string[]): void {
  const { flag, deny, block } = settings.bands;
  if (!(flag <= deny && deny <= block)) {
    issues.push(`${where}.bands: must satisfy flag <= deny <= block (got ${flag}, ${deny}, ${block})`);
  }
}

/** Validates a parsed policy document and fills in defaults. Throws {@link PolicyError} naming each bad field. */
export function resolvePolicy(document: unknown): Policy {
  const parsed = policySchema.safeParse(document ?? {});
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw new PolicyError(`Invalid policy: ${issues.join('; ')}`, issues);
  }
  const file: PolicyFile = parsed.data;
  const issues: string[] = [];
  const defaults = merge(DEFAULT_ROUTE_SETTINGS, file.defaults);
  checkBands(defaults, 'defaults', issues);
  const routes = (file.routes ?? []).map((r, i) => {
    const settings = merge(defaults, r);
    checkBands(settings, `routes[${i}]`, issues);
    checkRequire(r.match, r.require, `routes[${i}]`, issues);
    return { compiled: compileRoute(r.match), settings, pattern: r.match, require: r.require };
  });
  const windows = { ...DEFAULT_WINDOWS, ...file.windows };
  if (windows.longSeconds < windows.shortSeconds) {
    issues.push('windows.longSeconds: must be at least windows.shortSeconds');
  }
  const cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  (file.allowlist?.cidrs ?? []).forEach((c, i) => {
    try {
      cidrs.push(
        c.includes('/') ? ipaddr.parseCIDR(c) : ipaddr.parseCIDR(`${c}/${c.includes(':') ? 128 : 32}`),
      );
    } catch {
      issues.push(`allowlist.cidrs[${i}]: "${c}" is not an IP address or CIDR`);
    }
  });
  if (issues.length > 0) throw new PolicyError(`Invalid policy: ${issues.join('; ')}`, issues);

  const subjects = new Set(file.allowlist?.subjects ?? []);
  const clientIds = new Set(file.allowlist?.clientIds ?? []);
  const cache = new Map<string, ResolvedRouteSettings>();
  const requireCache = new Map<string, { requirement: RouteRequirement; pattern: string } | null>();
  return {
    mode: file.mode ?? 'enforce',
    windows,
    deviceHeader: file.deviceHeader?.toLowerCase(),
    inspectHeaders: (file.inspectHeaders ?? DEFAULT_INSPECT_HEADERS).map((h) => h.toLowerCase()),
    journeys: (file.journeys ?? []).map((j) => ({
      route: compileRoute(j.route),
      routePattern: j.route,
      after: compileRoute(j.after),
      afterPattern: j.after,
      withinSeconds: j.withinSeconds,
    })),
    clientClasses: (file.clientClasses ?? []).map((c) => ({
      name: c.name,
      clientIds: new Set(c.clientIds ?? []),
      certificateSubjects: new Set(c.certificateSubjects ?? []),
      volumeMultiplier: c.volumeMultiplier ?? 1,
      ignoreSignals: new Set(c.ignoreSignals ?? []),
    })),
    settingsFor(route: string): ResolvedRouteSettings {
      let hit = cache.get(route);
      if (!hit) {
        hit = routes.find((r) => routeMatches(r.compiled, route))?.settings ?? defaults;
        if (cache.size < 10_000) cache.set(route, hit);
      }
      return hit;
    },
    hasRequirements: routes.some((r) => r.require !== undefined),
    requirementFor(route: string) {
      let hit = requireCache.get(route);
      if (hit === undefined) {
        const first = routes.find((r) => routeMatches(r.compiled, route));
        hit = first?.require ? { requirement: first.require, pattern: first.pattern } : null;
        if (requireCache.size < 10_000) requireCache.set(route, hit);
      }
      return hit ?? undefined;
    },
    isAllowlistedIp(ip: string | undefined): boolean {
      if (!ip || cidrs.length === 0) return false;
      try {
        let addr = ipaddr.parse(ip);
        if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
          addr = (addr as ipaddr.IPv6).toIPv4Address();
        }
        return cidrs.some(
          ([range, bits]) => range.kind() === addr.kind() && addr.match([range, bits] as never),
        );
      } catch {
        return false;
      }
    },
    isAllowlistedSubject: (s) => s !== undefined && subjects.has(s),
    isAllowlistedClient: (c) => c !== undefined && clientIds.has(c),
  };
}

/**
 * Reads and validates the policy file the Lambda is given. JSON only: a YAML parser would be 115 KB more to load on
 * every cold start, for a conversion the CLI and the CDK construct already do before deployment.
 */
export function loadPolicyFile(path: string): Policy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyError(
      `GATEWARDEN_POLICY: cannot read policy file "${path}" (${(error as NodeJS.ErrnoException).code ?? 'error'}). Point it at a readable JSON file, or unset it for the built-in defaults.`,
      [],
      { cause: error },
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new PolicyError(
      `GATEWARDEN_POLICY: "${path}" is not JSON (${(error as Error).message}). The authorizer reads JSON policies only: convert a YAML policy with \`gatewarden policy compile <file.yaml> > policy.json\`, or deploy it through the CDK construct's policyFile, which converts it at synth.`,
      [],
      { cause: error },
    );
  }
  try {
    return resolvePolicy(document);
  } catch (error) {
    if (isPolicyError(error))
      throw new PolicyError(`${path}: ${error.message}`, error.issues, { cause: error });
    throw error;
  }
}

/** The built-in policy (every default). */
export const defaultPolicy = (): Policy => resolvePolicy({});
