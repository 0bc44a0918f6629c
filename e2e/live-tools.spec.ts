/**
 * Live tools on a running lab (issue #7), on a copy of the default veth-pair lab applied through the UI:
 * terminal, ping with path highlight, packet capture + .pcap download, reachability matrix with the reason
 * of a failure, and no shell or tcpdump left behind once the tabs are closed.
 */
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { LINKTYPE_ETHERNET, parsePcap } from '../shared/pcap';
import { EditorPage } from './pages/EditorPage';
import { serverToolProcesses, ToolsPage } from './pages/ToolsPage';

test.use({ viewport: { width: 1440, height: 900 } });

const PORT = Number(process.env.E2E_PORT ?? 7420);

test('live tools: terminal, ping + path, capture + pcap, matrix, clean close', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new EditorPage(page);
  const tools = new ToolsPage(app);
  const lab = await app.openCopyOfDefault();
  const [red, blue] = ['red', 'blue'];
  const link = 'red-blue';
  await expect(app.node(red)).toBeVisible();
  await expect(app.edge(link)).toBeAttached();

  await app.apply();
  await app.expectAllStates('ready');
  await app.tid('result').getByRole('button', { name: 'Dismiss' }).click();
  const baseline = serverToolProcesses(PORT);

  // A terminal on red (double-click): its address shows in `ip -br addr`.
  const term = await tools.openTerminalByDoubleClick(red);
  await tools.run(red, 'ip -br addr');
  await expect(term).toContainText('10.0.0.1/24');
  // A second one on blue, from the context menu: both tabs live at once.
  await tools.openTerminalFromMenu(blue);
  await expect(tools.dock.locator('[role="tab"]')).toHaveCount(2);
  await tools.expectOpenSockets(2);

  // Capture on red's end of the link.
  const capture = await tools.startCapture(link, 0);
  await tools.expectOpenSockets(3);
  await expect.poll(() => serverToolProcesses(PORT).length).toBeGreaterThanOrEqual(baseline.length + 3);

  // Ping blue from red's context menu: success, and the path is highlighted.
  const result = await tools.ping(red, 'blue');
  await expect(result).toHaveAttribute('data-ok', 'true');
  await expect(result).toContainText(/1\/1 received · [\d.]+ ms/);
  await expect(app.node(red)).toHaveAttribute('data-path', 'true');
  await expect(app.node(blue)).toHaveAttribute('data-path', 'true');
  await expect(app.edge(link)).toHaveAttribute('data-path', 'true');
  await app.screenshot('live-tools-ping');
  await app.press('Escape');
  await expect(tools.onPath).toHaveCount(0);
  await expect(app.tid('ping.result')).toHaveCount(0);

  // The capture saw the echo request and its reply.
  await expect(tools.rows(link, 0, 'ICMP').filter({ hasText: 'Echo (ping) request' }).first()).toBeVisible();
  await expect(tools.rows(link, 0, 'ICMP').filter({ hasText: 'Echo (ping) reply' }).first()).toBeVisible();
  await expect(capture.getByTestId('capture.stats')).toContainText(/[1-9]\d* packets/);
  await app.screenshot('live-tools-capture');

  // Download .pcap: a real pcap file with the packets.
  const dl = await tools.downloadPcap(link, 0);
  expect(dl.suggestedFilename()).toBe(`${lab}-veth-red.pcap`);
  const bytes = new Uint8Array(await readFile((await dl.path())!));
  expect([
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
  ]).toContainEqual([...bytes.subarray(0, 4)]);
  const pcap = parsePcap(bytes);
  expect(pcap.header.linktype).toBe(LINKTYPE_ETHERNET);
  expect(pcap.records.length).toBeGreaterThanOrEqual(2);

  // Pause keeps the socket; a filter restarts the capture, and one that does not compile is refused with a reason.
  await capture.getByTestId('capture.pause').click();
  await expect(capture).toHaveAttribute('data-paused', 'true');
  await capture.getByTestId('capture.pause').click();
  await expect(capture).toHaveAttribute('data-paused', 'false');
  await capture.getByTestId('capture.filter').fill('tcp port');
  await capture.getByTestId('capture.filter').press('Enter');
  await expect(capture).toHaveAttribute('data-state', 'error');
  await expect(capture.getByTestId('capture.error')).toContainText('filter');
  await capture.getByTestId('capture.filter').fill('icmp');
  await capture.getByTestId('capture.filter').press('Enter');
  await expect(capture).toHaveAttribute('data-state', 'running');
  await expect(capture.getByTestId('capture.error')).toHaveCount(0);
  await capture.getByTestId('capture.clear').click();
  await expect(tools.rows(link, 0)).toHaveCount(0);

  // The shell exiting is shown; closing every tab closes the sockets and the server ends its processes.
  await tools.run(blue, 'exit');
  await expect(tools.terminal(blue)).toContainText('[process exited]');
  await tools.closeTab(`capture.${link}.0`);
  await tools.closeTab(red);
  await tools.closeTab(blue);
  await expect(tools.dock).toHaveCount(0);
  await tools.expectOpenSockets(0);
  await expect.poll(() => serverToolProcesses(PORT), { timeout: 15_000 }).toEqual(baseline);

  // Set red's end down, apply, run the matrix: the pair is unreachable because of the link.
  await app.selectEndpoint(`${link}#0`);
  await app.tid('inspector.end0.up').locator('xpath=..').click();
  await expect(app.tid('inspector.end0.up')).not.toBeChecked();
  await app.apply();
  await app.tid('result').getByRole('button', { name: 'Dismiss' }).click();
  await tools.runMatrix();
  const cell = tools.cell(red, blue);
  await expect(cell).toHaveAttribute('data-reachable', 'false');
  await expect(cell).toContainText('LinkDown');
  await expect(tools.cell(blue, red)).toHaveAttribute('data-reachable', 'false');
  await cell.click();
  await expect(app.tid('matrix.explain')).toContainText('LinkDown');
  await expect(app.tid(`edge.${link}.note`)).toContainText('LinkDown');
  await app.screenshot('live-tools-matrix');

  await app.destroy();
});
