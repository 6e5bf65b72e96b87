import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/setup-env.ts'],
    env: {
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_WAFV2: 'http://127.0.0.1:9',
      POWERTOOLS_DEV: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'Gatewarden',
      POWERTOOLS_SERVICE_NAME: 'gatewarden',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    // Generous: files share 2 cores and one DynamoDB Local; no test asserts speed through these limits.
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
