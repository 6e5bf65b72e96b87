import { WAFInternalErrorException, WAFV2ServiceException } from '@aws-sdk/client-wafv2';
import { afterEach, describe, expect, it } from 'vitest';
import { isWafError } from '../../../lambdas/adapters/waf-errors';
import { retryReason, WafIpSets } from '../../../lambdas/adapters/waf-ip-sets';
import { parseIpSetArn } from '../../../lambdas/ipset/ip-set-arn';
import { mockWafClient, WafModel } from '../../../lib/local/waf-model';
import { virtualClock } from '../../helpers/virtual-clock';

describe('WafIpSets', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  function setup(modelOptions?: ConstructorParameters<typeof WafModel>[0]) {
    const clock = virtualClock();
    const model = new WafModel({ now: clock.now, ...modelOptions });
    const v4 = model.createIpSet({ name: 'v4', version: 'IPV4' });
    const v6 = model.createIpSet({ name: 'v6', version: 'IPV6' });
    const stub = mockWafClient(model);
    restore = () => stub.restore();
    const sets = new WafIpSets({ clock, random: () => 0.5 });
    return { clock, model, sets, v4: parseIpSetArn(v4.arn), v6: parseIpSetArn(v6.arn) };
  }

  it('replaces the whole list with the LockToken it just read', async () => {
    // Prepare
    const { sets, model, v4 } = setup();

    // Act
    const outcome = await sets.sync(v4, 'IPV4', ['192.0.2.1/32', '192.0.2.2/32']);

    // Assess
    expect(outcome).toMatchObject({ updated: true, added: 2, removed: 0, size: 2, lockConflicts: 0 });
    expect(model.addresses(v4.arn)).toEqual(['192.0.2.1/32', '192.0.2.2/32']);
  });

  it('does not call UpdateIPSet when the set already matches (saves the 1/s budget)', async () => {
    // Prepare
    const { sets, model, v4 } = setup();
    await sets.sync(v4, 'IPV4', ['192.0.2.1/32']);

    // Act
    const outcome = await sets.sync(v4, 'IPV4', ['192.0.2.1/32']);

    // Assess
    expect(outcome.updated).toBe(false);
    expect(model.stats.updates).toBe(1);
  });

  it('on WAFOptimisticLockException re-reads and retries after a jittered backoff', async () => {
    // Prepare: another writer changes the set between our Get and our Update, twice.
    const { sets, model, v4, clock } = setup();
    let interfere = 2;
    const stub = mockWafClient(model, {
      beforeCall: async (operation) => {
        if (operation !== 'UpdateIPSet' || interfere === 0) return;
        interfere -= 1;
        const other = model.getIPSet({ Name: v4.name, Id: v4.id, Scope: v4.scope });
        model.updateIPSet({
          Name: v4.name,
          Id: v4.id,
          Scope: v4.scope,
          Addresses: ['198.51.100.1/32'],
          LockToken: other.LockToken,
        });
      },
    });
    restore = () => stub.restore();

    // Act
    const outcome = await sets.sync(v4, 'IPV4', ['192.0.2.1/32']);

    // Assess
    expect(outcome.lockConflicts).toBe(2);
    expect(model.addresses(v4.arn)).toEqual(['192.0.2.1/32']);
    // Equal jitter with random()=0.5: 3/4 of 100 ms, then of 200 ms (pacing sleeps are 1000 ms minus elapsed).
    expect(clock.sleeps.filter((ms) => ms === 75 || ms === 150)).toEqual([75, 150]);
  });

  it('paces UpdateIPSet calls at one per second per account', async () => {
    // Prepare
    const { sets, clock, v4, v6 } = setup({ maxUpdatesPerSecond: 1 });
    const start = clock.now();

    // Act
    await sets.sync(v4, 'IPV4', ['192.0.2.1/32']);
    await sets.sync(v6, 'IPV6', ['2001:db8::1/128']);
    await sets.sync(v4, 'IPV4', ['192.0.2.2/32']);

    // Assess: three updates, never throttled, spaced a second apart in virtual time.
    expect(clock.now() - start).toBe(2000);
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  it('backs off on throttling and succeeds when the window reopens', async () => {
    // Prepare: WAF throttles at 1/s, and a second process (unseen by our pacer) has just used the second.
    const { sets, model, v4 } = setup({ maxUpdatesPerSecond: 1 });
    const other = model.getIPSet({ Name: v4.name, Id: v4.id, Scope: v4.scope });
    model.updateIPSet({
      Name: v4.name,
      Id: v4.id,
      Scope: v4.scope,
      Addresses: [],
      LockToken: other.LockToken,
    });

    // Act
    const outcome = await sets.sync(v4, 'IPV4', ['192.0.2.1/32']);

    // Assess
    expect(outcome.throttled).toBe(1);
    expect(model.stats.throttled).toBe(1);
    expect(model.addresses(v4.arn)).toEqual(['192.0.2.1/32']);
  });

  it('gives up after maxAttempts with a lock-conflict WafError (bounded)', async () => {
    // Prepare
    const { model, v4, clock } = setup();
    model.failAlways('UpdateIPSet', () =>
      Object.assign(new Error('conflict'), { name: 'WAFOptimisticLockException' }),
    );
    const sets = new WafIpSets({ clock, random: () => 0, maxAttempts: 4 });

    // Act
    const sync = sets.sync(v4, 'IPV4', ['192.0.2.1/32']);

    // Assess
    await expect(sync).rejects.toSatisfy((e) => isWafError(e, 'lock-conflict') && e.attempts === 4);
  });

  it('does not retry capacity errors: WAFLimitsExceededException is not throttling', async () => {
    // Prepare
    const { sets, model, v4 } = setup();
    const addresses = Array.from(
      { length: 10_001 },
      (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`,
    );

    // Act
    const sync = sets.sync(v4, 'IPV4', addresses);

    // Assess
    await expect(sync).rejects.toSatisfy((e) => isWafError(e, 'capacity') && e.attempts === 1);
    expect(model.stats.updates).toBe(1);
  });

  it('translates a missing set and a version mismatch to clear errors', async () => {
    // Prepare
    const { sets, v4, v6 } = setup();
    const missing = { ...v4, id: 'deadbeef' };

    // Act
    const notFound = sets.sync(missing, 'IPV4', []);
    const mismatch = sets.sync(v6, 'IPV4', []);

    // Assess
    await expect(notFound).rejects.toSatisfy((e) => isWafError(e, 'not-found'));
    await expect(mismatch).rejects.toSatisfy(
      (e) => isWafError(e, 'invalid-request') && /other list/.test(e.message),
    );
  });

  it('retries WAF internal errors', async () => {
    // Prepare
    const { sets, model, v4 } = setup();
    model.failNext('GetIPSet', () => new WAFInternalErrorException({ message: 'boom', $metadata: {} }));

    // Act
    const outcome = await sets.sync(v4, 'IPV4', ['192.0.2.1/32']);

    // Assess
    expect(outcome.updated).toBe(true);
  });
});

describe('retryReason', () => {
  const serviceError = (name: string, status = 400) =>
    new WAFV2ServiceException({
      name,
      $fault: 'client',
      $metadata: { httpStatusCode: status },
      message: name,
    });

  it.each([
    ['WAFOptimisticLockException', 400, 'lock-conflict'],
    ['ThrottlingException', 400, 'throttled'],
    ['TooManyRequestsException', 400, 'throttled'],
    ['SomethingNew', 429, 'throttled'],
    ['WAFInternalErrorException', 500, 'transient'],
    ['WAFLimitsExceededException', 400, undefined],
    ['WAFInvalidParameterException', 400, undefined],
    ['AccessDeniedException', 403, undefined],
  ])('%s (HTTP %i) -> %s', (name, status, expected) => {
    // Prepare / Act / Assess
    expect(retryReason(serviceError(name, status))).toBe(expected);
  });
});
