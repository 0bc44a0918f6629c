/**
 * The per-student process quota (issue #17 item 4), for real: two students' world sandboxes, their tools
 * confined as the terminal is (confine.ts, with the runner's `tools` identity). Each student's tools run as a
 * uid of their own with RLIMIT_NPROC = the quota: a student's fork past it fails at once, while another
 * student's tools, running at the same moment, are not counted against them. Root only; in CI it fails,
 * never skips.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Sandbox } from '../engine/contract';
import { describeKernel } from '../engine/testing/kernel';
import { waitUntil } from '../testing/wait';
import { confinedInNetns } from '../tools/confine';
import { createWorldSandbox } from './holder';
import { STUDENT_UID_BASE, studentTools } from './world';

/** PIDs whose real uid is `uid` (from /proc/PID/status). */
function processesOf(uid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${e}/status`, 'utf8'));
      if (m && Number(m[1]) === uid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

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

    // Student A holds the whole quota: the shell + 3 sleeps, all four as A's uid (seen in /proc) …
    const A = STUDENT_UID_BASE + 1;
    const holding = run(a, 'sleep 60 & sleep 60 & sleep 60 & wait');
    await waitUntil(() => processesOf(A).length >= 4, 30_000, "student A's processes to reach the quota");
    // … so another tool of A's cannot fork (the kernel lets its exec through at the limit, not its forks),
    // while B (another uid) starts 3 of its own meanwhile.
    const probe = 'sleep 0.1 & echo forked; wait';
    const over = await run(a, probe);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/Resource temporarily unavailable|Cannot fork|cannot fork/i);
    const other = await run(b, 'sleep 0.2 & sleep 0.2 & sleep 0.2 & echo three; wait; id -u');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toBe(`three\n${STUDENT_UID_BASE + 2}\n`);
    // A's holder ends (its processes are this test's own: the uid exists only here), and A forks again.
    for (const pid of processesOf(A)) process.kill(pid, 'SIGKILL');
    await holding;
    await waitUntil(() => processesOf(A).length === 0, 30_000, "student A's processes to end");
    expect((await run(a, probe)).stdout).toBe('forked\n');
  });
});
