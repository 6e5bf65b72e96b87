import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import ipaddr from 'ipaddr.js';
import { listActiveBlocks } from '../../lambdas/adapters/active-blocks';
import { DynamoCounterStore } from '../../lambdas/adapters/dynamo-counter-store';
import { canonicalIp, networkPrefix } from '../../lambdas/engine/network';
import { isStoreUnavailable } from '../../lambdas/engine/ports';
import { policyJsonSchema } from '../../lambdas/policy/json-schema';
import { isPolicyError } from '../../lambdas/policy/policy';
import { tokenHash } from '../../lambdas/shared/token-hash';
import { type RegionLayout, regionLayout } from '../../lambdas/store/regions';
import { BLOCK_SCOPES, type BlockRecord, type BlockScope } from '../../lambdas/store/table-schema';
import { type CompiledPolicy, compilePolicyFile } from '../policy-file';
import { CliError } from './errors';

/** Parses `90s`, `15m`, `2h`, `7d` (or plain seconds) to seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!m) throw new CliError(`--for "${text}": expected a duration like 90s, 15m, 2h or 7d`, { exitCode: 2 });
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const seconds = Math.round(Number(m[1]) * unit);
  if (seconds < 1 || seconds > 365 * 86_400) {
    throw new CliError(`--for "${text}": a block lasts from 1 second to 365 days`, { exitCode: 2 });
  }
  return seconds;
}

/** Checks a scope name. */
export function parseScope(text: string): BlockScope {
  if (!(BLOCK_SCOPES as readonly string[]).includes(text)) {
    throw new CliError(`--scope "${text}": choose one of ${BLOCK_SCOPES.join(', ')}`, { exitCode: 2 });
  }
  return text as BlockScope;
}

/** What a block value becomes in the table, and a note for the operator when enforcement differs by layer. */
export function normaliseBlockValue(scope: BlockScope, value: string): { value: string; note?: string } {
  const v = value.trim();
  if (scope === 'ip') {
    const ip = canonicalIp(v);
    if (!ip) throw new CliError(`"${value}" is not an IP address`, { exitCode: 2 });
    return { value: ip };
  }
  if (scope === 'prefix') {
    let cidr: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      cidr = ipaddr.parseCIDR(v);
    } catch {
      throw new CliError(`"${value}" is not a CIDR prefix (e.g. 203.0.113.0/24 or 2001:db8::/64)`, {
        exitCode: 2,
      });
    }
    const [addr, bits] = cidr;
    const network =
      addr.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(v).toString()
        : ipaddr.IPv6.networkAddressFromCIDR(v).toString();
    const normalised = `${network}/${bits}`;
    const enginePrefix = networkPrefix(network);
    return enginePrefix === normalised
      ? { value: normalised }
      : {
          value: normalised,
          note: `the authorizer tracks ${addr.kind() === 'ipv4' ? '/24' : '/64'} prefixes: a /${bits} block is enforced by WAF only`,
        };
  }
  if (scope === 'token') {
    // A raw JWT is hashed here so it never reaches the table or the terminal history of others.
    if (v.split('.').length === 3) return { value: tokenHash(v.replace(/^Bearer\s+/i, '')) };
    if (!/^[0-9a-f]{16}$/.test(v)) {
      throw new CliError(
        `a token block takes the token's hash (16 hex characters, the tokenHash in logs) or the token itself`,
        { exitCode: 2 },
      );
    }
    return { value: v };
  }
  if (v.length === 0) throw new CliError('the subject is empty', { exitCode: 2 });
  return { value: v };
}

/**
 * The table's Regions for `block` and `unblock` (`--regions` / GATEWARDEN_REGIONS, and `--region` or AWS_REGION as
 * this one): on a global table the flag the authorizers read goes on this Region's copy of the counter item, and an
 * unblock clears it from every Region's copy.
 */
export function cliRegions(list: string | undefined, own: string | undefined): RegionLayout | undefined {
  try {
    return regionLayout(list, own || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
  } catch (error) {
    throw new CliError(`${(error as Error).message} (--regions)`, { cause: error });
  }
}

/**
 * Writes an operator block (enforced, never simulated) and returns the record. With `regions` (a global table) the
 * flag goes on this Region's copy of the counter item, which every Region's authorizer reads.
 */
export async function blockClient(
  client: DynamoDBClient,
  tableName: string,
  scope: BlockScope,
  rawValue: string,
  seconds: number,
  reason = 'operator block',
  nowSeconds = Math.floor(Date.now() / 1000),
  regions?: RegionLayout,
): Promise<{ record: BlockRecord; note?: string }> {
  const { value, note } = normaliseBlockValue(scope, rawValue);
  const record: BlockRecord = {
    scope,
    value,
    createdAt: nowSeconds,
    expiresAt: nowSeconds + seconds,
    score: 100,
    reason,
    offences: 1,
    simulated: false,
    origin: 'operator',
  };
  const store = new DynamoCounterStore({ tableName, client, ...(regions ? { regions } : {}) });
  try {
    await store.putBlock(record);
  } catch (error) {
    throw CliError.fromAws(
      isStoreUnavailable(error) ? (error.cause ?? error) : error,
      'write the block',
      tableName,
    );
  }
  return { record, ...(note ? { note } : {}) };
}

/** Removes a block (and, with `resetEscalation`, the offence history that lengthens the next one). */
export async function unblockClient(
  client: DynamoDBClient,
  tableName: string,
  scope: BlockScope,
  rawValue: string,
  resetEscalation: boolean,
  regions?: RegionLayout,
): Promise<string> {
  const { value } = normaliseBlockValue(scope, rawValue);
  const store = new DynamoCounterStore({ tableName, client, ...(regions ? { regions } : {}) });
  try {
    await store.deleteBlock(scope, value, resetEscalation);
  } catch (error) {
    throw CliError.fromAws(
      isStoreUnavailable(error) ? (error.cause ?? error) : error,
      'remove the block',
      tableName,
    );
  }
  return value;
}

/** Active blocks from the `active-blocks` index (no scan). */
export async function listBlocks(
  client: DynamoDBClient,
  tableName: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<readonly BlockRecord[]> {
  try {
    const { records } = await listActiveBlocks(client, tableName, nowSeconds);
    return [...records].sort((a, b) => a.expiresAt - b.expiresAt);
  } catch (error) {
    throw CliError.fromAws((error as Error).cause ?? error, 'list blocks', tableName);
  }
}

/** A table of blocks for the terminal. */
export function formatBlocks(
  records: readonly BlockRecord[],
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  if (records.length === 0) return 'no active blocks';
  const rows = records.map((r) => [
    r.scope,
    r.value,
    `${Math.max(0, Math.round((r.expiresAt - nowSeconds) / 60))}m`,
    new Date(r.expiresAt * 1000).toISOString().replace('.000', ''),
    String(r.score),
    String(r.offences),
    r.simulated ? 'shadow' : 'enforced',
    r.origin ?? 'engine',
    r.reason,
  ]);
  const headers = ['scope', 'value', 'left', 'until', 'score', 'offences', 'mode', 'origin', 'reason'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Reads and validates a JSON or YAML policy file; a {@link CliError} lists every problem with its field. */
function compileForCli(path: string): CompiledPolicy {
  try {
    return compilePolicyFile(path);
  } catch (error) {
    if (isPolicyError(error)) {
      const detail = error.issues.length > 0 ? `\n  - ${error.issues.join('\n  - ')}` : '';
      throw new CliError(`${error.issues.length > 0 ? `${path}: invalid policy` : error.message}${detail}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Validates a policy file; returns a summary, throws a {@link CliError} listing every problem. */
export function validatePolicyFile(path: string): string {
  const { policy } = compileForCli(path);
  const d = policy.settingsFor('');
  return `${path}: valid (mode ${policy.mode}; bands flag ${d.bands.flag} / deny ${d.bands.deny} / block ${d.bands.block}; ${policy.journeys.length} journey(s), ${policy.clientClasses.length} client class(es))`;
}

/**
 * A JSON or YAML policy file, validated, as the JSON the authorizer reads (GATEWARDEN_POLICY takes JSON only).
 * Throws a {@link CliError} listing every problem, so an invalid policy never gets as far as a file to deploy.
 */
export function compilePolicy(path: string): string {
  return compileForCli(path).json;
}

/** The policy JSON Schema, pretty-printed. */
export function policySchemaText(): string {
  return JSON.stringify(policyJsonSchema(), null, 2);
}
