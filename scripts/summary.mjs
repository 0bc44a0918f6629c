// Adds up the gates, vitest's (ip-batch run + netlink kernel run) and Playwright's JSON reports into one line "N passed, N failed[, N skipped]".
// Fails (exit 1) on any failure, on a missing report, or when CI=true and any test was skipped:
// kernel and browser tests must run in CI, never skip.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
const read = (f) => (existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : null);

// vitest.json: unit + kernel with the ip-batch driver; vitest-netlink.json: the kernel tests again on netlink.
for (const [file, label] of [
  ['reports/vitest.json', 'vitest'],
  ['reports/vitest-netlink.json', 'vitest (netlink)'],
]) {
  const v = read(file);
  if (!v) {
    problems.push(`no ${label} report`);
    continue;
  }
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
  // A test file that failed to load (syntax error, throwing import) reports no tests: count it once.
  for (const f of v.testResults ?? []) {
    if (f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')) {
      failed += 1;
      problems.push(`${label}: ${f.name} failed to run: ${(f.message ?? '').split('\n')[0]}`);
    }
  }
}

const p = read('reports/playwright.json');
if (p) {
  passed += p.stats.expected + p.stats.flaky;
  failed += p.stats.unexpected;
  skipped += p.stats.skipped;
  for (const e of p.errors ?? []) problems.push(`playwright: ${e.message?.split('\n')[0]}`);
  if (p.errors?.length) failed += p.errors.length;
} else problems.push('no playwright report');

// Gates (lint, typecheck, schema freshness, build) are checks too: each counts once, so a red gate can
// never hide behind an all-green test count.
if (existsSync('reports/gates.txt')) {
  for (const line of readFileSync('reports/gates.txt', 'utf8').split('\n').filter(Boolean)) {
    const [result, ...name] = line.split(' ');
    if (result === 'passed') passed += 1;
    else {
      failed += 1;
      problems.push(`gate ${name.join(' ')} failed`);
    }
  }
}

for (const pr of problems) console.log(`summary: ${pr}`);
if (process.env.CI === 'true' && skipped > 0) {
  console.log(`summary: ${skipped} test(s) skipped under CI=true; kernel and browser tests must run in CI`);
  failed += skipped;
}
if (problems.some((x) => x.startsWith('no '))) failed += 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
