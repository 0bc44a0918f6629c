/**
 * TEST SUPPORT: a separate process that applies a lab inside an existing sandbox and announces every wave
 * boundary on stdout ("wave K"), pausing there until the parent kill -9s it (or says "go" on stdin).
 * Usage: tsx crashChild.ts SANDBOX_PID STATE_DIR LAB_JSON_FILE
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { openEngine } from '../engine';
import { prefixedRunner } from '../runner';

const [pid, stateDir, labFile] = process.argv.slice(2) as [string, string, string];
const runner = prefixedRunner(['nsenter', '-t', pid, '-n', '-m', '--'], 'sandbox');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const engine = await openEngine({
  stateDir,
  runner,
  // The parent's NETLOOM_TEST_DRIVER (see kernelDriver() in kernel.ts, not imported here: it pulls in vitest).
  driver: process.env.NETLOOM_TEST_DRIVER === 'netlink' ? 'netlink' : 'ip-batch',
  skipProbe: true,
  hooks: {
    afterWave: async (k) => {
      process.stdout.write(`wave ${k}\n`);
      await lines.next();
    },
  },
});
const out = await engine.apply(JSON.parse(readFileSync(labFile, 'utf8')));
process.stdout.write(`done ${JSON.stringify(out)}\n`);
process.exit(0);
