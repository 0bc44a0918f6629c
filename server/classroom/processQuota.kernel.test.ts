/**
 * The per-student process quota (issue #17 item 4), for real: two students' world sandboxes, their tools
 * confined as the terminal is (confine.ts, with the runner's `tools` identity). Each student's tools run as a
 * uid of their own with RLIMIT_NPROC = the quota: a student's fork past it fails at once, while another
 * student's tools, running at the same moment, are not counted against them. Root only; in CI it fails,
 * never skips.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../engine/contract';
import { describeKernel } from '../engine/testing/kernel';
import { confinedInNetns } from '../tools/confine';
import { createWorldSandbox } from './holder';
import { STUDENT_UID_BASE, studentTools } from './world';

/** The shell (dash) reports a failed fork at once ("Cannot fork"), where bash would retry for seconds. */
const run = (sb: Sandbox, script: string) =>
  sb.runner.run(confinedInNetns(null, ['/bin/sh', '-c', script], sb.runner.tools), { timeoutMs: 20_000 });

describeKernel('per-student process quota', () => {
  let a: Sandbox;
  let b: Sandbox;
  beforeAll(async () => {
    a = await createWorldSandbox({ tools: studentTools(1, { processes: 4 }) });
    b = await createWorldSandbox({ tools: studentTools(2, { processes: 4 }) });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('each student is their own uid, limited to the quota; one student at the limit does not stop another', async () => {
    const who = await run(a, 'id -u; grep "Max processes" /proc/self/limits');
    expect(who.code, who.stderr).toBe(0);
    expect(who.stdout.split('\n')[0]).toBe(String(STUDENT_UID_BASE + 1));
    expect(who.stdout).toMatch(/Max processes\s+4\s+4\s+processes/);

    // Student A holds the whole quota (the shell + 3 sleeps) for a while …
    const holding = run(a, 'sleep 3 & sleep 3 & sleep 3 & echo holding; wait');
    // … so another tool of A's cannot fork (the kernel lets its exec through at the limit, not its forks),
    // while B (another uid) starts 3 of its own meanwhile.
    const probe = 'sleep 0.1 & echo forked; wait';
    const started = Date.now();
    let over = await run(a, probe);
    // A's holder may not have forked all three yet: ask again until the quota is really full.
    while (over.code === 0 && Date.now() - started < 2000) over = await run(a, probe);
    const other = await run(b, 'sleep 0.2 & sleep 0.2 & sleep 0.2 & echo three; wait; id -u');
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/Resource temporarily unavailable|Cannot fork|cannot fork/i);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toBe(`three\n${STUDENT_UID_BASE + 2}\n`);
    const held = await holding;
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toBe('holding\n');
    // Once A's processes ended, A's tools fork again.
    expect((await run(a, probe)).stdout).toBe('forked\n');
  });
});
