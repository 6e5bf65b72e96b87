import { createPublicKey, verify } from 'node:crypto';
import type { JWK } from 'jose';
import { normaliseRestEvent } from '../lambdas/authorizer/events';
import type { AuthResult } from '../lambdas/authorizer/types';
import { RiskEngine } from '../lambdas/engine/engine';
import { defaultPolicy } from '../lambdas/policy/policy';
import { tokenHash } from '../lambdas/shared/token-hash';
import { MemoryCounterStore } from '../lib/local/memory-counter-store';
import { cpuSince, percentile } from './stats';
import { toEvent, type WorkItem } from './workload';

function prepared(items: readonly WorkItem[]) {
  return items.map((item) => {
    const n = normaliseRestEvent(toEvent(item), { trustedProxyCount: 0 });
    if (!n.ok) throw new Error(`bench: workload event rejected: ${n.problem}`);
    const auth: AuthResult = {
      status: 'authenticated',
      identity: {
        subject: item.client.subject,
        tokenHash: tokenHash(item.client.token),
        scope: 'orders:read orders:write',
        clientId: item.client.clientId,
        issuedAt: undefined,
        expiresAt: Math.floor(item.timeMs / 1000) + 3600,
      },
    };
    return { request: n.request, auth };
  });
}

/**
 * CPU microseconds per decision of the risk engine alone (default policy, an in-memory store, no I/O, no telemetry
 * sink, the workload's requests after a warm-up on other clients, a fresh engine each pass) and of one RS256
 * signature check (node:crypto, key object prepared once), in interleaved passes: a slow spell of a shared machine
 * then weighs on both figures alike, so their ratio is the one to read. Medians of `passes`.
 */
export async function cpuFigures(
  warmup: readonly WorkItem[],
  measured: readonly WorkItem[],
  tokens: readonly string[],
  jwk: JWK,
  passes = 5,
): Promise<{ engineUs: number; rs256Us: number }> {
  const warm = prepared(warmup);
  const work = prepared(measured);
  const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const parts = tokens.map((t) => {
    const i = t.lastIndexOf('.');
    return { data: Buffer.from(t.slice(0, i)), sig: Buffer.from(t.slice(i + 1), 'base64url') };
  });
  for (const { data, sig } of parts.slice(0, 200)) verify('sha256', data, key, sig);
  const engine: number[] = [];
  const rs256: number[] = [];
  for (let p = 0; p < passes; p += 1) {
    const risk = new RiskEngine({ policy: defaultPolicy(), store: new MemoryCounterStore() });
    for (const { request, auth } of warm) await risk.decide(request, auth);
    let start = process.cpuUsage();
    for (const { request, auth } of work) {
      const d = await risk.decide(request, auth);
      if (d.effect !== 'allow') throw new Error(`bench: engine denied a workload request (${d.effect})`);
    }
    engine.push(cpuSince(start) / work.length);
    start = process.cpuUsage();
    for (const { data, sig } of parts) {
      if (!verify('sha256', data, key, sig)) throw new Error('bench: signature did not verify');
    }
    rs256.push(cpuSince(start) / parts.length);
  }
  return { engineUs: percentile(engine, 50), rs256Us: percentile(rs256, 50) };
}
