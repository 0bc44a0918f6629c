/**
 * Node-attached interfaces on a private copy of the default veth-pair lab: a TAP and a VXLAN added to red
 * in the inspector (name, VNI, underlay proposed) show as chips on the node; an out-of-range VNI is flagged
 * on its field and blocks Apply; fixed, the lab applies and the chips turn ready (live status of the objects
 * `red/tap0`, `red/vxlan0`); made a port of a bridge in red, the VXLAN is drawn as a dashed line to it; removed,
 * they leave the node and the host.
 */
import { expect, test } from '@playwright/test';
import { EditorPage } from './pages/EditorPage';
import { InterfacesPage } from './pages/InterfacesPage';

test.use({ viewport: { width: 1440, height: 900 } });

test('interfaces: add a tap and a vxlan, invalid VNI blocks Apply, apply → ready, remove', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new EditorPage(page);
  const ifs = new InterfacesPage(app);
  await app.openCopyOfDefault();

  await ifs.openNode('red');
  await expect(app.tid('inspector.interfaces.empty')).toBeVisible();
  const tap = await ifs.add('tap');
  await expect(ifs.field(tap, 'name')).toHaveValue('tap0');
  const vx = await ifs.add('vxlan');
  await expect(ifs.field(vx, 'name')).toHaveValue('vxlan0');
  await expect(ifs.field(vx, 'vni')).toHaveValue('42');
  await expect(ifs.field(vx, 'dstPort')).toHaveValue('4789');
  // The underlay is red's veth: local = its address, remote = blue's end.
  await expect(ifs.field(vx, 'remote')).toHaveValue('10.0.0.2');
  await expect(ifs.field(vx, 'local')).toHaveValue('10.0.0.1');

  // Chips on the node, not applied yet.
  await expect(ifs.chips('red')).toHaveCount(2);
  await expect(ifs.chip('red', 'tap0')).toContainText('tap0');
  await expect(ifs.chip('red', 'vxlan0')).toContainText('vxlan0 · VNI 42');
  await expect(ifs.chip('red', 'vxlan0')).toHaveAttribute('data-state', 'absent');

  // An out-of-range VNI: flagged on the field (validate() by JSON path), on the chip, and Apply is blocked.
  await ifs.set(vx, 'vni', '99999999');
  await expect(ifs.fieldError(vx, 'vni')).toContainText('at most 16777215');
  await expect(ifs.field(vx, 'vni')).toHaveAttribute('aria-invalid', 'true');
  await expect(ifs.chip('red', 'vxlan0')).toHaveClass(/has-error/);
  await expect(app.applyButton).toBeDisabled();
  await expect(app.applyButton.locator('xpath=..')).toHaveAttribute('title', /problem.* must be fixed/);
  await ifs.field(vx, 'vni').scrollIntoViewIfNeeded();
  await app.screenshot('interfaces-invalid-vni');

  await ifs.set(vx, 'vni', '4242');
  await expect(ifs.fieldError(vx, 'vni')).toHaveCount(0);
  await expect(ifs.chip('red', 'vxlan0')).toContainText('vxlan0 · VNI 4242');
  await expect(ifs.chip('red', 'vxlan0')).not.toHaveClass(/has-error/);

  await app.apply();
  await app.expectAllStates('ready');
  await expect(ifs.chip('red', 'tap0')).toHaveAttribute('data-state', 'ready');
  await expect(ifs.chip('red', 'vxlan0')).toHaveAttribute('data-state', 'ready');
  await expect(ifs.field(vx, 'status')).toHaveAttribute('data-state', 'ready');
  await app.screenshot('interfaces-applied');

  // The VXLAN as a port of a bridge inside red: a dashed line from red to the bridge, named by the port.
  const br = await app.dragFromPalette('bridge', 330, 120);
  const brName = await app.tid('inspector.name').inputValue();
  await app.tid('inspector.namespace').selectOption('red');
  await ifs.openNode('red');
  await ifs.field(vx, 'bridge').selectOption(br);
  await expect(ifs.chip('red', 'vxlan0')).toContainText(`vxlan0 · VNI 4242 → ${brName}`);
  await expect(ifs.attachEdge('red', 'vxlan0')).toBeVisible();
  await app.apply();
  await app.expectAllStates('ready');
  await expect(ifs.chip('red', 'vxlan0')).toHaveAttribute('data-state', 'ready');
  await expect(ifs.attachEdge('red', 'vxlan0')).toHaveAttribute('data-attach-state', 'ready');
  await app.screenshot('interfaces-bridge-port');

  // Remove the VXLAN, then the TAP: the chips go, and the next apply takes them off the host.
  await ifs.remove(vx);
  await expect(ifs.chip('red', 'vxlan0')).toHaveCount(0);
  await expect(ifs.attachEdge('red', 'vxlan0')).toHaveCount(0);
  await ifs.remove(tap);
  await expect(ifs.chips('red')).toHaveCount(0);
  await expect(app.tid('inspector.interfaces.empty')).toBeVisible();
  await app.apply();
  await app.expectAllStates('ready');

  await app.destroy();
});
