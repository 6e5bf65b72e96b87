import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../../lambdas/policy/policy';
import { parseAlbLine } from '../../../lib/replay/formats/alb';
import { parseApigwClfLine } from '../../../lib/replay/formats/apigw-clf';
import { parseClfTime } from '../../../lib/replay/formats/clf-time';
import { cloudfrontParser } from '../../../lib/replay/formats/cloudfront';
import { FieldMapError, parseFieldMap } from '../../../lib/replay/formats/context-json';
import { stripPort } from '../../../lib/replay/formats/fields';
import { detectFormat, parseLog } from '../../../lib/replay/formats/read-log';
import { approximations, notJudged } from '../../../lib/replay/not-judged';
import { authFromLine, requestFromLine } from '../../../lib/replay/requests';

/**
 * Each format with lines from the AWS documentation. The ALB and CloudFront lines are the documentation's own example
 * entries, as printed; API Gateway documents its CLF and JSON formats as `$context` templates but prints no output
 * line, so those lines are the documented templates filled with the documented sample values of the same variables
 * (the Lambda proxy integration's sample event: sourceIp 127.0.0.1, requestTime 09/Apr/2015:12:34:56 +0000,
 * requestTimeEpoch 1428582896000, requestId c6af9ac6-7b61-11e6-9a41-93e8deadbeef, "Custom User Agent String").
 */

// Elastic Load Balancing User Guide, "Access logs for your Application Load Balancer", Example HTTP Entry
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html#access-log-entry-examples);
// the page wraps it over several lines "only to make them easier to read".
const ALB_HTTP_ENTRY =
  'http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 ' +
  '192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 ' +
  '"GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - ' +
  'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 ' +
  '"Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" ' +
  '0 2018-07-02T22:22:48.364000Z "forward" "-" "-"';
// Same page, the entry for a Lambda target that failed (no target, target status `-`).
const ALB_LAMBDA_FAILED =
  'http 2018-11-30T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 ' +
  '192.168.131.39:2817 - 0.000 0.001 0.000 502 - 34 366 ' +
  '"GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - ' +
  'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 ' +
  '"Root=1-58337364-23a8c76965a2ef7629b185e3" "-" "-" ' +
  '0 2018-11-30T22:22:48.364000Z "forward" "-" "LambdaInvalidResponse"';

// Amazon CloudFront Developer Guide, "Standard log file format", the example log file for a distribution
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/AccessLogs.html#LogFileFormat): header lines,
// the first entry and the last (a curl request answered 502).
const CLOUDFRONT_FILE = [
  '#Version: 1.0',
  '#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end',
  [
    '2019-12-04',
    '21:02:31',
    'LAX1',
    '392',
    '192.0.2.100',
    'GET',
    'd111111abcdef8.cloudfront.net',
    '/index.html',
    '200',
    '-',
    'Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/78.0.3904.108%20Safari/537.36',
    '-',
    '-',
    'Hit',
    'SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==',
    'd111111abcdef8.cloudfront.net',
    'https',
    '23',
    '0.001',
    '-',
    'TLSv1.2',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'Hit',
    'HTTP/2.0',
    '-',
    '-',
    '11040',
    '0.001',
    'Hit',
    'text/html',
    '78',
    '-',
    '-',
  ].join('\t'),
  [
    '2019-12-13',
    '22:37:02',
    'SEA19-C2',
    '900',
    '192.0.2.200',
    'GET',
    'd111111abcdef8.cloudfront.net',
    '/',
    '502',
    '-',
    'curl/7.55.1',
    '-',
    '-',
    'Error',
    'kBkDzGnceVtWHqSCqBUqtA_cEs2T3tFUBbnBNkB9El_uVRhHgcZfcw==',
    'www.example.com',
    'http',
    '387',
    '0.103',
    '-',
    '-',
    '-',
    'Error',
    'HTTP/1.1',
    '-',
    '-',
    '12644',
    '0.103',
    'OriginDnsError',
    'text/html',
    '507',
    '-',
    '-',
  ].join('\t'),
].join('\n');

// Amazon API Gateway Developer Guide, "Set up CloudWatch logging for REST APIs", CLF example format:
// $context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime]
// "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html), with the sample values of
// "Input format of a Lambda function for proxy integration"
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
const REST_CLF =
  '127.0.0.1 - - [09/Apr/2015:12:34:56 +0000] "POST /{proxy+} HTTP/1.1" 200 58 c6af9ac6-7b61-11e6-9a41-93e8deadbeef';
// "Configure logging for HTTP APIs", CLF: `$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod
// $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId`
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html).
const HTTP_CLF =
  '127.0.0.1 - - [09/Apr/2015:12:34:56 +0000] "GET GET /items/{id} HTTP/1.1" 404 41 c6af9ac6-7b61-11e6-9a41-93e8deadbeef KdNRFiKBoAMEcnw=';
// The REST console's JSON example format (set-up-logging.html) with the same sample values.
const REST_CONSOLE_JSON = JSON.stringify({
  requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  ip: '127.0.0.1',
  caller: '-',
  user: '-',
  requestTime: '09/Apr/2015:12:34:56 +0000',
  httpMethod: 'POST',
  resourcePath: '/{proxy+}',
  status: '200',
  protocol: 'HTTP/1.1',
  responseLength: '58',
});

describe('replay input formats', () => {
  it('Compliance 1: an ALB entry (documented example) gives the client, request time, status and user agent', () => {
    // Act
    const line = parseAlbLine(ALB_HTTP_ENTRY)!;
    // Assess
    expect(line).toMatchObject({
      ip: '192.168.131.39',
      // request_creation_time, not the response time
      requestTimeEpoch: Date.parse('2018-07-02T22:22:48.364Z'),
      httpMethod: 'GET',
      path: '/',
      status: 200,
      userAgent: 'curl/7.46.0',
      requestId: 'Root=1-58337262-36d228ad5d99923122bbe354',
      recordedBy: 'other',
    });
    expect(parseAlbLine(ALB_LAMBDA_FAILED)?.status).toBe(502);
  });

  it('Compliance 2: ALB keeps the query string, so query-string input can be judged', () => {
    // Prepare: the documented entry with a query on its URL
    const withQuery = ALB_HTTP_ENTRY.replace(
      'http://www.example.com:80/ ',
      "http://www.example.com:80/items/7?id=1'%20OR%20'1'='1 ",
    );
    // Act
    const line = parseAlbLine(withQuery)!;
    const request = requestFromLine(line, line.requestTimeEpoch);
    // Assess
    expect(line.path).toBe('/items/7');
    expect(line.resource).toBe('/items/{id}');
    expect(request.query).toEqual({ id: "1' OR '1'='1" });
    expect(request.route).toBe('GET /items/{id}');
  });

  it('Compliance 3: CloudFront (documented example file) follows #Fields and decodes the user agent', () => {
    // Act
    const log = parseLog(CLOUDFRONT_FILE)!;
    // Assess
    expect(log.format).toBe('cloudfront');
    expect(log.badLines).toBe(0);
    expect(log.lines).toHaveLength(2);
    expect(log.lines[0]).toMatchObject({
      ip: '192.0.2.100',
      requestTimeEpoch: Date.parse('2019-12-04T21:02:31Z'),
      httpMethod: 'GET',
      path: '/index.html',
      status: 200,
      requestId: 'SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==',
    });
    expect(log.lines[0]!.userAgent).toMatch(/^Mozilla\/5\.0 \(Windows NT 10\.0; Win64; x64\)/);
    expect(log.lines[1]).toMatchObject({ ip: '192.0.2.200', status: 502, userAgent: 'curl/7.55.1' });
    expect(log.capabilities.query).toBe(true);
  });

  it('Compliance 4: CloudFront without its header lines is read in the documented field order', () => {
    // Act
    const parse = cloudfrontParser();
    const line = parse(CLOUDFRONT_FILE.split('\n')[3]!);
    // Assess
    expect(line).toMatchObject({ ip: '192.0.2.200', status: 502 });
  });

  it('Compliance 5: API Gateway CLF (REST and HTTP API) gives the client, time, route template and status', () => {
    // Act
    const rest = parseApigwClfLine(REST_CLF)!;
    const http = parseApigwClfLine(HTTP_CLF)!;
    // Assess
    expect(rest).toMatchObject({
      ip: '127.0.0.1',
      requestTimeEpoch: 1428582896000,
      httpMethod: 'POST',
      resource: '/{proxy+}',
      status: 200,
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    });
    expect(requestFromLine(rest, rest.requestTimeEpoch).route).toBe('POST /{proxy+}');
    expect(http).toMatchObject({ resource: 'GET /items/{id}', status: 404 });
    expect(requestFromLine(http, http.requestTimeEpoch)).toMatchObject({
      route: 'GET /items/{id}',
      kind: 'http-v2',
    });
  });

  it('Compliance 6: the console JSON format is read with the default field names, CLF time included', () => {
    // Act
    const log = parseLog(REST_CONSOLE_JSON)!;
    // Assess
    expect(log.format).toBe('apigw-json');
    expect(log.lines[0]).toMatchObject({
      ip: '127.0.0.1',
      requestTimeEpoch: 1428582896000,
      httpMethod: 'POST',
      resource: '/{proxy+}',
      status: 200,
      recordedBy: 'other',
    });
  });

  it('Compliance 7: --map reads any $context JSON (nested or dotted keys), epoch times included', () => {
    // Prepare: a stage that logged its own names
    const line = JSON.stringify({
      ts: 1428582896000,
      client: { addr: '127.0.0.1' },
      'req.method': 'GET',
      routeKey: 'GET /items/{id}',
      rawPath: '/items/42',
      code: 403,
      who: 'user-7',
      ua: 'Custom User Agent String',
    });
    const map = parseFieldMap(
      'requestTime=ts,ip=client.addr,method=req.method,status=code,principal=who,userAgent=ua',
    );
    // Act
    const log = parseLog(line, { map })!;
    // Assess
    expect(log.lines[0]).toMatchObject({
      ip: '127.0.0.1',
      requestTimeEpoch: 1428582896000,
      httpMethod: 'GET',
      resource: 'GET /items/{id}',
      path: '/items/42',
      status: 403,
      principalId: 'user-7',
      userAgent: 'Custom User Agent String',
    });
    expect(authFromLine(log.lines[0]!, 0).status).toBe('authenticated');
  });

  it('Noncompliance 1: a malformed --map names the problem and the accepted fields', () => {
    expect(() => parseFieldMap('when=ts')).toThrow(FieldMapError);
    expect(() => parseFieldMap('ip')).toThrow(/fields: requestTime, ip/);
  });

  it('Compliance 8: Gatewarden JSON is detected and read as before', () => {
    // Prepare
    const text = readFileSync('test/e2e/fixtures/recorded-access-log.jsonl', 'utf8');
    // Act
    const log = parseLog(text)!;
    // Assess
    expect(log.format).toBe('gatewarden');
    expect(log.lines).toHaveLength(302);
    expect(log.badLines).toBe(1);
    expect(log.capabilities).toMatchObject({ principal: true, tokenHash: true, query: false, path: true });
  });

  it('Compliance 9: each file is detected on its own lines', () => {
    expect(detectFormat([ALB_HTTP_ENTRY, ALB_LAMBDA_FAILED])).toBe('alb');
    expect(detectFormat(CLOUDFRONT_FILE.split('\n'))).toBe('cloudfront');
    expect(detectFormat([REST_CLF, HTTP_CLF])).toBe('apigw-clf');
    expect(detectFormat([REST_CONSOLE_JSON])).toBe('apigw-json');
    expect(detectFormat(['hello world', 'not a log'])).toBeUndefined();
  });

  it('Noncompliance 2: lines of another format are skipped and counted, not guessed', () => {
    // Act
    const log = parseLog([ALB_HTTP_ENTRY, REST_CLF, ALB_LAMBDA_FAILED].join('\n'), { format: 'alb' })!;
    // Assess
    expect(log.lines).toHaveLength(2);
    expect(log.badLines).toBe(1);
  });

  it('Compliance 10: CLF times honour their offset; client addresses lose their port', () => {
    expect(parseClfTime('09/Apr/2015:18:04:56 +0530')).toBe(1428582896000);
    expect(parseClfTime('09/Apr/2015:12:34:56')).toBeNaN();
    expect(stripPort('192.168.131.39:2817')).toBe('192.168.131.39');
    expect(stripPort('[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(stripPort('2001:db8::7')).toBe('2001:db8::7');
  });

  it('Compliance 11: the report lists what each format cannot show', () => {
    // Prepare
    const policy = resolvePolicy({ routes: [{ match: 'GET /shop', browserFacing: true }] });
    const clf = parseLog([REST_CLF, HTTP_CLF].join('\n'))!;
    const alb = parseLog(ALB_HTTP_ENTRY)!;
    // Act
    const clfGaps = notJudged(clf.capabilities, policy, ['GET /shop']).join('\n');
    const albGaps = notJudged(alb.capabilities, policy, ['GET /shop']).join('\n');
    // Assess
    expect(clfGaps).toMatch(/no user agent/);
    expect(clfGaps).toMatch(/no query string/);
    expect(clfGaps).toMatch(/only the route template/);
    expect(clfGaps).toMatch(/every caller replays as anonymous/);
    expect(albGaps).not.toMatch(/no query string/);
    expect(albGaps).toMatch(/header fingerprints .* on 1 browser-facing route/);
    expect(approximations(alb.capabilities)).toHaveLength(1);
    expect(approximations(clf.capabilities)).toHaveLength(0);
  });
});
