// Placeholder demo until the local gateway and simulator land: synthesises the CDK app offline.
import { spawnSync } from 'node:child_process';

console.log('Gatewarden demo: the local gateway is not built yet; running an offline `cdk synth` instead.');
const result = spawnSync('cdk', ['synth', '--quiet'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
