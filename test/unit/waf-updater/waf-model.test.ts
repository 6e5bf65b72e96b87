import { GetIPSetCommand, UpdateIPSetCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { afterEach, describe, expect, it } from 'vitest';
import { mockWafClient, WafModel } from '../../../lib/local/waf-model';

describe('WafModel (the WAF fake must behave like WAF)', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  function setup(options?: ConstructorParameters<typeof WafModel>[0]) {
    const model = new WafModel(options);
    const v4 = model.createIpSet({ name: 'v4', version: 'IPV4' });
    const stub = mockWafClient(model);
    restore = () => stub.restore();
    const client = new WAFV2Client({ region: 'us-east-1' });
    const key = { Name: v4.name, Id: v4.id, Scope: v4.scope };
    return { model, v4, client, key };
  }

  it('changes the LockToken on every update and refuses a stale one', async () => {
    // Prepare
    const { client, key, model } = setup();
    const first = await client.send(new GetIPSetCommand(key));
    await client.send(
      new UpdateIPSetCommand({ ...key, Addresses: ['192.0.2.1/32'], LockToken: first.LockToken }),
    );

    // Act
    const stale = client.send(new UpdateIPSetCommand({ ...key, Addresses: [], LockToken: first.LockToken }));

    // Assess
    await expect(stale).rejects.toMatchObject({ name: 'WAFOptimisticLockException' });
    const second = await client.send(new GetIPSetCommand(key));
    expect(second.LockToken).not.toBe(first.LockToken);
    expect(second.IPSet?.Addresses).toEqual(['192.0.2.1/32']);
    expect(model.stats.lockConflicts).toBe(1);
  });

  it('refuses more than 10,000 addresses with WAFLimitsExceededException', async () => {
    // Prepare
    const { client, key } = setup();
    const { LockToken } = await client.send(new GetIPSetCommand(key));
    const addresses = Array.from(
      { length: 10_001 },
      (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`,
    );

    // Act
    const update = client.send(new UpdateIPSetCommand({ ...key, Addresses: addresses, LockToken }));

    // Assess
    await expect(update).rejects.toMatchObject({ name: 'WAFLimitsExceededException' });
  });

  it.each([
    ['not CIDR', '192.0.2.1'],
    ['the other IP version', '2001:db8::1/128'],
    ['/0', '0.0.0.0/0'],
    ['host bits set', '192.0.2.1/24'],
    ['garbage', 'nope/32'],
  ])('refuses %s with WAFInvalidParameterException', async (_label, address) => {
    // Prepare
    const { client, key } = setup();
    const { LockToken } = await client.send(new GetIPSetCommand(key));

    // Act
    const update = client.send(new UpdateIPSetCommand({ ...key, Addresses: [address], LockToken }));

    // Assess
    await expect(update).rejects.toMatchObject({ name: 'WAFInvalidParameterException' });
  });

  it('throttles updates above the configured rate on its clock', async () => {
    // Prepare
    let now = 0;
    const { client, key } = setup({ now: () => now, maxUpdatesPerSecond: 1 });
    const first = await client.send(new GetIPSetCommand(key));
    await client.send(new UpdateIPSetCommand({ ...key, Addresses: [], LockToken: first.LockToken }));
    const second = await client.send(new GetIPSetCommand(key));

    // Act
    const tooSoon = client.send(
      new UpdateIPSetCommand({ ...key, Addresses: [], LockToken: second.LockToken }),
    );

    // Assess
    await expect(tooSoon).rejects.toMatchObject({ name: 'ThrottlingException' });
    now += 1000;
    await expect(
      client.send(new UpdateIPSetCommand({ ...key, Addresses: [], LockToken: second.LockToken })),
    ).resolves.toBeDefined();
  });

  it('answers an unknown set with WAFNonexistentItemException', async () => {
    // Prepare
    const { client, key } = setup();

    // Act
    const get = client.send(new GetIPSetCommand({ ...key, Scope: 'CLOUDFRONT' }));

    // Assess
    await expect(get).rejects.toMatchObject({ name: 'WAFNonexistentItemException' });
  });
});
