/**
 * Exercises graded live (issue #17), on the "broken router" lesson: start it from the exercises dialog, the
 * checklist shows failing goals with the reasons the server saw and badges on the objects; fix one fault on
 * the canvas (forwarding on rtr, Apply) and the other with a hand-made `ip route add` in the sandbox (as a
 * student in a terminal would): the goals turn green one by one, then the exercise is complete.
 */
import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/EditorPage';
import { ExercisePage } from './pages/ExercisePage';
import { inSandbox } from './support/hostShell';

test.use({ viewport: { width: 1440, height: 900 } });

test('a lesson: failing goals, fixed on the canvas and with ip, turn green live', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new EditorPage(page);
  const ex = new ExercisePage(app);
  await app.open();
  await ex.start('ex-broken-router');

  // As given: every goal fails, each with what the server saw on the host.
  await ex.expectGoal('forwarding', 'fail', 'IPv4 forwarding is off in rtr');
  await ex.expectGoal('return', 'fail', 'right has no route for 10.1.1.2');
  await ex.expectGoal('arrives', 'fail');
  await ex.expectGoal('ping', 'fail', /left → 10\.1\.2\.2: no reply/);
  await expect(ex.progress).toHaveAttribute('data-earned', '0');
  await expect(ex.progress).toContainText('0/7 points · 0/4 goals');
  // Goals are drawn on the objects they are about.
  await expect(ex.badge('rtr')).toHaveAttribute('data-state', 'fail');
  await expect(ex.badge('right')).toHaveAttribute('data-state', 'fail');
  // The hint on demand.
  await expect(page.getByText('ip netns exec rtr sysctl -w net.ipv4.ip_forward=1', { exact: false })).toHaveCount(0);
  await app.tid('goal.forwarding.hint').click();
  await expect(ex.goal('forwarding')).toContainText('sysctl -w net.ipv4.ip_forward=1');
  await app.screenshot('exercise-failing');

  // Fault 1 on the canvas: make rtr a router, Apply.
  await app.tid('panel.inspector').click();
  await app.node('rtr').click({ position: { x: 40, y: 16 } });
  await app.tid('inspector').getByText('Router (IP forwarding)').click();
  await expect(app.tid('inspector.forwarding')).toBeChecked();
  await app.apply();
  await ex.expectGoal('forwarding', 'met', 'IPv4 forwarding is on in rtr');
  await ex.expectGoal('arrives', 'met');
  await expect(ex.badge('rtr')).toHaveAttribute('data-state', 'met');
  await ex.expectGoal('ping', 'fail');

  // Fault 2 by hand, outside Netloom: the return route, typed as a student would in a terminal.
  await inSandbox(['ip', '-n', 'right', 'route', 'add', '10.1.1.0/24', 'via', '10.1.2.254']);
  await ex.expectGoal('return', 'met', 'right sends 10.1.1.2 by 10.1.1.0/24 via 10.1.2.254 dev eth0');
  await ex.expectGoal('ping', 'met', 'left → 10.1.2.2: replies');
  await expect(ex.progress).toContainText('7/7 points · 4/4 goals');
  await expect(app.tid('exercise.done')).toBeVisible();
  await expect(ex.panel).toHaveAttribute('data-complete', 'true');
  await app.screenshot('exercise-complete');

  await app.destroy();
});
