// Adds up the gates, vitest's (ip-batch run + netlink kernel run) and Playwright's JSON reports into one line "N passed, N failed[, N skipped]".
// Fails (exit 1) on any failure, on a missing report, or when CI=true and any test was skipped:
// kernel and browser tests must run in CI, never skip.
import { existsSync, readFileSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';

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
    // Name every failed test here too: CI shows only the end of the output, so the names must be next to the total.
    for (const a of f.assertionResults ?? []) {
      if (a.status === 'failed') {
        const why = (a.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
        problems.push(`${label}: FAILED ${f.name.replace(`${process.cwd()}/`, '')} > ${a.fullName}: ${why}`);
      }
    }
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
  const walk = (suite, file) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status === 'unexpected') {
          const err = t.results?.at(-1)?.error?.message ?? '';
          const why = stripVTControlCharacters(err).split('\n')[0].slice(0, 300);
          problems.push(`playwright: FAILED ${spec.file ?? file} > ${spec.title}: ${why}`);
        }
      }
    }
    for (const s of suite.suites ?? []) walk(s, s.file ?? file);
  };
  for (const s of p.suites ?? []) walk(s, s.file);
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
