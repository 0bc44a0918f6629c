/**
 * Waits on a condition, never a fixed time: polls `pred` until it holds, or throws naming `what` after
 * `timeoutMs` (CI machines are loaded; a deadline generous enough for them still fails a hang).
 */
export async function waitUntil(
  pred: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'a condition',
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
