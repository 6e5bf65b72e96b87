import { describe, expect, it } from 'vitest';
import {
  BLOCK_RECORD_STREAM_FILTER,
  isBlockStreamKey,
  WAF_UPDATER_STREAM_FILTER_PATTERNS,
} from '../../../lambdas/waf-updater/stream-filter';
import { matchesPattern } from '../../helpers/event-pattern';

const record = (eventName: string, sk: string) => ({
  eventName,
  dynamodb: { Keys: { pk: { S: `block#ip#192.0.2.1` }, sk: { S: sk } } },
});

describe('WAF updater stream filter', () => {
  it.each(['INSERT', 'MODIFY', 'REMOVE'])('Compliance: a block record %s is delivered', (eventName) => {
    // Prepare / Act / Assess
    expect(matchesPattern(BLOCK_RECORD_STREAM_FILTER, record(eventName, 'block'))).toBe(true);
  });

  it.each(['counter', 'offences'])('Noncompliance: a %s record is not delivered', (sk) => {
    // Prepare / Act / Assess
    expect(WAF_UPDATER_STREAM_FILTER_PATTERNS.some((p) => matchesPattern(p, record('MODIFY', sk)))).toBe(
      false,
    );
  });

  it('serialises to the JSON Lambda expects in FilterCriteria', () => {
    // Prepare / Act
    const json = JSON.stringify(BLOCK_RECORD_STREAM_FILTER);

    // Assess
    expect(json).toBe(
      '{"eventName":["INSERT","MODIFY","REMOVE"],"dynamodb":{"Keys":{"sk":{"S":["block"]}}}}',
    );
  });

  it('the handler guard agrees with the filter', () => {
    // Prepare / Act / Assess
    expect(isBlockStreamKey({ sk: { S: 'block' } })).toBe(true);
    expect(isBlockStreamKey({ sk: { S: 'counter' } })).toBe(false);
    expect(isBlockStreamKey(undefined)).toBe(false);
  });
});
