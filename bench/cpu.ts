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
 * CPU microseconds per decision of the risk engine alone: default policy, an in-memory store (no I/O), no telemetry
 * sink, the workload's requests after a warm-up on other clients. Median of `passes` fresh engines.
 */
export async function engineCpuUsPerDecision(
  warmup: readonly WorkItem[],
  measured: readonly WorkItem[],
  passes = 3,
): Promise<number> {
  const warm = prepared(warmup);
  const work = prepared(measured);
  const results: number[] = [];
  for (let p = 0; p < passes; p += 1) {
    const engine = new RiskEngine({ policy: defaultPolicy(), store: new MemoryCounterStore() });
    for (const { request, auth } of warm) await engine.decide(request, auth);
    const start = process.cpuUsage();
    for (const { request, auth } of work) {
      const d = await engine.decide(request, auth);
      if (d.effect !== 'allow') throw new Error(`bench: engine denied a workload request (${d.effect})`);
    }
    results.push(cpuSince(start) / work.length);
  }
  return percentile(results, 50);
}

/** CPU microseconds of one RS256 signature check (node:crypto, key object prepared once), median of 3 passes. */
export function rs256VerifyUs(tokens: readonly string[], jwk: JWK, passes = 3): number {
  const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const parts = tokens.map((t) => {
    const i = t.lastIndexOf('.');
    return { data: Buffer.from(t.slice(0, i)), sig: Buffer.from(t.slice(i + 1), 'base64url') };
  });
  for (const { data, sig } of parts.slice(0, 200)) verify('sha256', data, key, sig);
  const results: number[] = [];
  for (let p = 0; p < passes; p += 1) {
    const start = process.cpuUsage();
    for (const { data, sig } of parts) {
      if (!verify('sha256', data, key, sig)) throw new Error('bench: signature did not verify');
    }
    results.push(cpuSince(start) / parts.length);
  }
  return percentile(results, 50);
}
