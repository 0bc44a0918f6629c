/**
 * Classroom mode (issue #17 item 4): a teacher pushes the veth-pair lesson; Alice and Bob (two browser
 * contexts, two personal links) each get their own sandbox and solve the same exercise in their own
 * terminal; neither sees the other's objects (goals, labs, kernel); the teacher's dashboard shows both
 * progressing live, opens Alice's canvas read-only, and exports the results as CSV.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { EditorPage } from './pages/EditorPage';
import { ExercisePage } from './pages/ExercisePage';
import { ToolsPage } from './pages/ToolsPage';
import { type ClassroomServer, startClassroomServer } from './support/classroomServer';

test.use({ viewport: { width: 1440, height: 900 } });

let cls: ClassroomServer;
test.beforeAll(async () => {
  cls = await startClassroomServer(['Alice', 'Bob']);
});
test.afterAll(async () => {
  await cls?.stop();
});

const SOLUTION = [
  'ip -n red link add name veth-red type veth peer name veth-blue netns blue',
  'ip -n red addr add 10.0.0.1/24 dev veth-red',
  'ip -n blue addr add 10.0.0.2/24 dev veth-blue',
  'ip -n red link set veth-red up',
  'ip -n blue link set veth-blue up',
];

async function join(ctx: BrowserContext, link: string): Promise<{ page: Page; app: EditorPage; ex: ExercisePage }> {
  const page = await ctx.newPage();
  await page.goto(link);
  const app = new EditorPage(page);
  await expect(app.tid('status.connection')).toHaveAttribute('data-state', 'connected');
  await expect(app.node('red')).toBeVisible();
  return { page, app, ex: new ExercisePage(app) };
}

test('two students, two sandboxes, one exercise; the teacher sees both progressing', async ({ browser }) => {
  test.setTimeout(180_000);
  const teacherCtx = await browser.newContext();
  const aliceCtx = await browser.newContext();
  const bobCtx = await browser.newContext();
  try {
    // The teacher pushes the lesson before anyone joined.
    const teacher = await teacherCtx.newPage();
    await teacher.goto(`${cls.base}/?token=${cls.teacherToken}&view=classroom`);
    const t = (id: string) => teacher.getByTestId(id);
    await expect(t('classroom.row.alice')).toHaveAttribute('data-joined', 'false');
    await t('classroom.choose').selectOption('01-veth-pair.yaml');
    await t('classroom.push').click();
    await expect(t('classroom.exercise')).toHaveText('Connect two namespaces with a veth pair');

    const alice = await join(aliceCtx, cls.links.get('Alice')!);
    const bob = await join(bobCtx, cls.links.get('Bob')!);
    await alice.ex.expectGoal('cable', 'fail', 'there is no interface veth-red in red');
    await bob.ex.expectGoal('cable', 'fail', 'there is no interface veth-red in red');
    await expect(t('classroom.row.alice')).toHaveAttribute('data-joined', 'true');
    await expect(t('classroom.row.bob')).toHaveAttribute('data-joined', 'true');
    await expect(t('classroom.goal.alice.cable')).toHaveAttribute('data-met', 'unmet');

    // Alice solves it in a terminal of HER sandbox.
    const aliceTools = new ToolsPage(alice.app);
    await aliceTools.openTerminalFromMenu('red');
    for (const line of SOLUTION) await aliceTools.run('red', line);
    await alice.ex.expectGoal('cable', 'met');
    await alice.ex.expectGoal('ping', 'met');
    await expect(alice.ex.panel).toHaveAttribute('data-complete', 'true', { timeout: 30_000 });

    // Bob's kernel has none of it: his goals still fail, with the reason his own kernel gives.
    await bob.ex.expectGoal('cable', 'fail', 'there is no interface veth-red in red');
    // Nor does he see Alice's labs: her scratch lab is a 404 for him, and his list has only his own.
    const made = await aliceCtx.request.post(`${cls.base}/api/labs`, {
      headers: { origin: cls.base },
      data: { lab: { version: 1, name: 'alice-notes', nodes: [], links: [] } },
    });
    expect(made.status()).toBe(201);
    expect((await bobCtx.request.get(`${cls.base}/api/labs/alice-notes`)).status()).toBe(404);
    const bobLabs = (await (await bobCtx.request.get(`${cls.base}/api/labs`)).json()) as { labs: { name: string }[] };
    expect(bobLabs.labs.map((l) => l.name)).toEqual(['ex-veth-pair']);
    // A student is not the teacher.
    expect((await bobCtx.request.get(`${cls.base}/api/classroom`)).status()).toBe(404);

    // The dashboard, live: Alice done, Bob not yet.
    await expect(t('classroom.goal.alice.cable')).toHaveAttribute('data-met', 'met');
    await expect(t('classroom.progress.alice')).toHaveText('8/8', { timeout: 30_000 });
    await expect(t('classroom.goal.bob.cable')).toHaveAttribute('data-met', 'unmet');

    // Bob gets halfway: the cable and addresses, ends still down.
    const bobTools = new ToolsPage(bob.app);
    await bobTools.openTerminalFromMenu('red');
    for (const line of SOLUTION.slice(0, 3)) await bobTools.run('red', line);
    await bob.ex.expectGoal('cable', 'met');
    await expect(t('classroom.goal.bob.cable')).toHaveAttribute('data-met', 'met');
    await expect(t('classroom.goal.bob.carrier')).toHaveAttribute('data-met', 'unmet');
    await expect(t('classroom.progress.bob')).toHaveText('4/8');

    // The teacher opens Alice's canvas: read only.
    const [view] = await Promise.all([teacherCtx.waitForEvent('page'), t('classroom.view.alice').click()]);
    const viewApp = new EditorPage(view);
    await expect(viewApp.tid('readonly.banner')).toHaveText('Viewing Alice — read only');
    await expect(viewApp.node('red')).toBeVisible();
    await expect(viewApp.tid('goal.cable')).toHaveAttribute('data-state', 'met');
    await expect(viewApp.applyButton).toBeDisabled();
    await expect(viewApp.tid('palette.namespace')).toHaveCount(0);
    // The server refuses a write through the view, whatever the page does.
    const write = await teacherCtx.request.post(`${cls.base}/classroom/view/alice/api/labs/ex-veth-pair/apply`, {
      headers: { origin: cls.base },
      data: {},
    });
    expect(write.status()).toBe(403);
    expect(((await write.json()) as { message: string }).message).toBe('viewing Alice is read only');

    // Bob finishes; both complete on the dashboard.
    for (const line of SOLUTION.slice(3)) await bobTools.run('red', line);
    await expect(bob.ex.panel).toHaveAttribute('data-complete', 'true', { timeout: 30_000 });
    await expect(t('classroom.progress.bob')).toHaveText('8/8', { timeout: 30_000 });

    // Results as CSV: one row per student and goal.
    const csv = await (await teacherCtx.request.get(`${cls.base}/api/classroom/results.csv`)).text();
    const rows = csv.trim().split('\r\n');
    expect(rows[0]).toBe('student,goal,points,passed,time');
    expect(rows.filter((r) => r.startsWith('Alice,')).length).toBe(6);
    expect(rows.filter((r) => r.startsWith('Bob,') && r.includes(',yes,')).length).toBe(6);
  } finally {
    await Promise.all([teacherCtx.close(), aliceCtx.close(), bobCtx.close()]);
  }
});
