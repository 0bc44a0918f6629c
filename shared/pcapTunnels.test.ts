/**
 * Tunnel decoding on REAL bytes (issue #15): captured with tcpdump on the underlay veth between two
 * namespaces of a throwaway sandbox — a VXLAN (VNI 42) on port 4789 and on port 9000, and two wireguard-go
 * daemons (Netloom's supervisor) exchanging a handshake, pings and keepalives. Expected values are what
 * `tcpdump -r` printed for the same files (it decodes the VXLAN inner frames; WireGuard it shows as UDP).
 */
import { describe, expect, it } from 'vitest';
import { type DecodedPacket, type DecodeOptions, decodeRecord, parsePcap } from './pcap';

const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => Number.parseInt(b, 16)));
const decodeAll = (h: string, opts?: DecodeOptions): DecodedPacket[] => {
  const { header, records } = parsePcap(hex(h));
  return records.map((r) => decodeRecord(header, r, opts));
};
const line = (d: DecodedPacket) => `${d.src} > ${d.dst} ${d.protocol}: ${d.info}`;

/** tcpdump -i u0 -w (Ethernet, µs) on the underlay veth: VXLAN VNI 42 on UDP 4789 between 192.168.1.1 and 192.168.1.2, carrying ICMPv6 NS, MLDv2 reports, ARP request/reply and an ICMP echo request/reply between 10.50.0.1 and 10.50.0.2 on the overlay. */
const VXLAN_PCAP =
  'd4c3b2a10200040000000000000000000000040001000000cf6d0f6b6ddc0e008800000088000000ea8cac55e3cc7666894a' +
  '8b7708004500007a83db000040117344c0a80102c0a80101e9bd12b5006683cb0800000000002a003333ffec4ddfda0b4eec' +
  '4ddf86dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ffec4ddf8700678f0000' +
  '0000fe80000000000000d80b4efffeec4ddf0e01499fd18b28c1cf6d0f6b92dc0e0088000000880000007666894a8b77ea8c' +
  'ac55e3cc08004500007a2a0900004011cd16c0a80101c0a801029ff512b5006683cb0800000000002a003333ff2c37ac66dc' +
  '5f2c37ac86dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff2c37ac8700bf57' +
  '00000000fe8000000000000064dc5ffffe2c37ac0e0137e0a8dc9b7cd06d0f6b9dfb01008c0000008c000000ea8cac55e3cc' +
  '7666894a8b7708004500007e83e2000040117339c0a80102c0a80101ea1712b5006a83cf0800000000002a00333300000016' +
  'da0b4eec4ddf86dd600000000024000100000000000000000000000000000000ff0200000000000000000000000000163a00' +
  '0502000001008f0020bf0000000104000000ff0200000000000000000001ffec4ddfd06d0f6bc2fb01008c0000008c000000' +
  '7666894a8b77ea8cac55e3cc08004500007e2a1000004011cd0bc0a80101c0a80102ea1712b5006a83cf0800000000002a00' +
  '33330000001666dc5f2c37ac86dd600000000024000100000000000000000000000000000000ff0200000000000000000000' +
  '000000163a000502000001008f0037b20000000104000000ff0200000000000000000001ff2c37acd06d0f6beb750b005c00' +
  '00005c0000007666894a8b77ea8cac55e3cc08004500004e2a3a00004011cd11c0a80101c0a80102ecec12b5003a839f0800' +
  '000000002a00ffffffffffff66dc5f2c37ac0806000108000604000166dc5f2c37ac0a3200010000000000000a320002d06d' +
  '0f6b14760b005c0000005c000000ea8cac55e3cc7666894a8b7708004500004e840a000040117341c0a80102c0a80101ecec' +
  '12b5003a839f0800000000002a0066dc5f2c37acda0b4eec4ddf08060001080006040002da0b4eec4ddf0a32000266dc5f2c' +
  '37ac0a320001d06d0f6b1e760b0094000000940000007666894a8b77ea8cac55e3cc0800450000862a3b00004011ccd8c0a8' +
  '0101c0a80102a24212b5007283d70800000000002a00da0b4eec4ddf66dc5f2c37ac0800450000549648400040018ffa0a32' +
  '00010a3200020800156c15720001d06d0f6b0000000023750b0000000000101112131415161718191a1b1c1d1e1f20212223' +
  '2425262728292a2b2c2d2e2f3031323334353637d06d0f6b41760b009400000094000000ea8cac55e3cc7666894a8b770800' +
  '45000086840b000040117308c0a80102c0a80101a24212b5007283d70800000000002a0066dc5f2c37acda0b4eec4ddf0800' +
  '45000054e803000040017e3f0a3200020a32000100001d6c15720001d06d0f6b0000000023750b0000000000101112131415' +
  '161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';

/** The same exchange on a VXLAN with dstport 9000 (a lab's own port). */
const VXLAN_9000_PCAP =
  'd4c3b2a10200040000000000000000000000040001000000016e0f6b466500008800000088000000f6ad171f4671f6322b59' +
  '5ad208004500007ae05e0000401116c1c0a80101c0a80102dc962328006683cb0800000000002a003333ffe62ba912eb2ee6' +
  '2ba986dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ffe62ba98700a9660000' +
  '0000fe8000000000000010eb2efffee62ba90e01c152436b28f0016e0f6b60e200008c0000008c000000f6ad171f4671f632' +
  '2b595ad208004500007ee0630000401116b8c0a80101c0a80102ea172328006a83cf0800000000002a0033330000001612eb' +
  '2ee62ba986dd600000000024000100000000000000000000000000000000ff0200000000000000000000000000163a000502' +
  '000001008f0042fb0000000104000000ff0200000000000000000001ffe62ba9016e0f6b3fc405008800000088000000f632' +
  '2b595ad2f6ad171f467108004500007a4cc200004011aa5dc0a80102c0a80101bf692328006683cb0800000000002a003333' +
  'ff3419a44acf483419a486dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff34' +
  '19a4870041cd00000000fe8000000000000048cf48fffe3419a40e01c6c32203800a016e0f6bc21707008c0000008c000000' +
  'f6322b595ad2f6ad171f467108004500007e4cc700004011aa54c0a80102c0a80101ea172328006a83cf0800000000002a00' +
  '3333000000164acf483419a486dd600000000024000100000000000000000000000000000000ff0200000000000000000000' +
  '000000163a000502000001008f0055b20000000104000000ff0200000000000000000001ff3419a4016e0f6bd1de0e005c00' +
  '00005c000000f6ad171f4671f6322b595ad208004500004ee0f6000040111655c0a80101c0a80102ecec2328003a839f0800' +
  '000000002a00ffffffffffff12eb2ee62ba90806000108000604000112eb2ee62ba90a3200010000000000000a320002016e' +
  '0f6bfede0e005c0000005c000000f6322b595ad2f6ad171f467108004500004e4cf300004011aa58c0a80102c0a80101ecec' +
  '2328003a839f0800000000002a0012eb2ee62ba94acf483419a4080600010800060400024acf483419a40a32000212eb2ee6' +
  '2ba90a320001016e0f6b0adf0e009400000094000000f6ad171f4671f6322b595ad2080045000086e0f700004011161cc0a8' +
  '0101c0a80102a2422328007283d70800000000002a004acf483419a412eb2ee62ba90800450000545bfc40004001ca460a32' +
  '00010a3200020800eadc1b980001016e0f6b0000000013de0e0000000000101112131415161718191a1b1c1d1e1f20212223' +
  '2425262728292a2b2c2d2e2f3031323334353637016e0f6b2ddf0e009400000094000000f6322b595ad2f6ad171f46710800' +
  '450000864cf400004011aa1fc0a80102c0a80101a2422328007283d70800000000002a0012eb2ee62ba94acf483419a40800' +
  '4500005431f400004001344f0a3200020a3200010000f2dc1b980001016e0f6b0000000013de0e0000000000101112131415' +
  '161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';

/** tcpdump on the underlay between two wireguard-go daemons (UDP 51820 both ways, keepalive 1 s): handshake initiation (148 bytes), response (92), the initiator's first keepalive, two pings each way (128-byte transport data), two keepalives. */
const WIREGUARD_PCAP =
  'd4c3b2a10200040000000000000000000000040001000000e66d0f6b8c4b0d00be000000be0000009e7617d5ee607a662cc0' +
  '75f00800450000b0e98340004011cd65c0a80101c0a80102ca6cca6c009c840101000000508e7ee7dd6e62a5f47d8924e231' +
  'c514e70a7dce3cc3d584db38268502734864225e142dfc08d6a0fb5ba1f533709030b70f7e838a61e3a4c5543a4b74fbd7c0' +
  '48037316c594fb1dee2e1d9c959d26a96e953a602623fc6d0c97fadb5b62ac744165880186542768f270893c2335c2b6d8de' +
  'e7aa9382e9dddf470f11bb3fbcf600000000000000000000000000000000e66d0f6b1d4f0d0086000000860000007a662cc0' +
  '75f09e7617d5ee60080045000078d76840004011dfb8c0a80102c0a80101ca6cca6c006483c90200000096148e1c508e7ee7' +
  '795c353ba5192c6330c60cd6bbf1f77fd4fb7777962b5acf82dfb01ba822014cc43404756588881c95e70e1922a2f3820fd7' +
  '48422439cfab4a0d9199a1fb37fd00000000000000000000000000000000e66d0f6b9b510d004a0000004a0000009e7617d5' +
  'ee607a662cc075f008004500003ce98440004011cdd8c0a80101c0a80102ca6cca6c0028838d0400000096148e1c00000000' +
  '0000000001941957683b68e841bed02751940130e66d0f6bd0510d00aa000000aa0000009e7617d5ee607a662cc075f00800' +
  '4500009ce98540004011cd77c0a80101c0a80102ca6cca6c008883ed0400000096148e1c01000000000000005c2220c43204' +
  'a81f2f2c25709a7d1d6d40aea90cce753464cecb15e43ef435e7ada866065c406596c46c35fede91b70ec930d83be2e9e439' +
  'ccee526f79cfedf82434c53408b6449417706382ce4e036a7dfbaee93822bc31e80b3baf459cf987dd9f4621479bae42df7c' +
  '780d2fceebc1e66d0f6bd8510d00aa000000aa0000009e7617d5ee607a662cc075f008004500009ce98640004011cd76c0a8' +
  '0101c0a80102ca6cca6c008883ed0400000096148e1c0200000000000000a5c71388d1632cb5005449570f67228c1fa0b7ca' +
  '5d9449684e78d827f9080f2bc42f471d5770cc9586d199f6acf75c29e0cb228326bc1cd8a5308b1e438f08a50042763596a2' +
  '967eba4a171ee37071423730ebad7d317625f0bb00a69d758e4485dfe2b3edc19f4fd98fbf48974abf4ae66d0f6bf1520d00' +
  'aa000000aa0000007a662cc075f09e7617d5ee6008004500009cd76940004011df93c0a80102c0a80101ca6cca6c008883ed' +
  '04000000508e7ee70000000000000000daf35531525d2aced4c2a27c57a48f95c28ee8f6d5483bc5f924f0300f38561ce347' +
  '2628e165669fcae53be75992bef420fe767385d61325f309d56f14595d7eee252401620ad849fdc682d7e4c94d40ec715a70' +
  '87163d24c556ddb86aab9a502ae3b76483b365c77d6ce561002e9418e66d0f6b44530d00aa000000aa0000007a662cc075f0' +
  '9e7617d5ee6008004500009cd76a40004011df92c0a80102c0a80101ca6cca6c008883ed04000000508e7ee7010000000000' +
  '0000d845afdc020c0f736c501c9f7c9e6fcfa2ed4e89dcdffa1ed657ecfbc74582460e3e51979e81b624386cd2d3a90b0a06' +
  '0868f10cc837e58e2cfff6c22ea249a9fdbad1ba3ac9c0636a08a41ae69ecdb29159b800c2d725331d59a517a960d295db6f' +
  '5530db20427bdb305bf4f0494deae76d0f6b37580d004a0000004a0000009e7617d5ee607a662cc075f008004500003ce9d3' +
  '40004011cd89c0a80101c0a80102ca6cca6c0028838d0400000096148e1c03000000000000008ac3c1314cbeab60da56924c' +
  '145ba615e86d0f6b835c0d004a0000004a0000009e7617d5ee607a662cc075f008004500003ceabe40004011cc9ec0a80101' +
  'c0a80102ca6cca6c0028838d0400000096148e1c0400000000000000444c7528b2c816f75bc467be8a4c0abd';

describe('VXLAN', () => {
  it('decodes the inner frame on UDP 4789: columns are the inner packet, the tunnel is a tag and a layer', () => {
    const p = decodeAll(VXLAN_PCAP);
    expect(p.map(line)).toEqual([
      ':: > ff02::1:ffec:4ddf ICMPv6: [VXLAN 42 192.168.1.2 → 192.168.1.1] Neighbor solicitation for fe80::d80b:4eff:feec:4ddf',
      ':: > ff02::1:ff2c:37ac ICMPv6: [VXLAN 42 192.168.1.1 → 192.168.1.2] Neighbor solicitation for fe80::64dc:5fff:fe2c:37ac',
      ':: > ff02::16 ICMPv6: [VXLAN 42 192.168.1.2 → 192.168.1.1] Multicast listener report v2',
      ':: > ff02::16 ICMPv6: [VXLAN 42 192.168.1.1 → 192.168.1.2] Multicast listener report v2',
      '66:dc:5f:2c:37:ac > ff:ff:ff:ff:ff:ff ARP: [VXLAN 42 192.168.1.1 → 192.168.1.2] Who has 10.50.0.2? Tell 10.50.0.1',
      'da:0b:4e:ec:4d:df > 66:dc:5f:2c:37:ac ARP: [VXLAN 42 192.168.1.2 → 192.168.1.1] 10.50.0.2 is at da:0b:4e:ec:4d:df',
      '10.50.0.1 > 10.50.0.2 ICMP: [VXLAN 42 192.168.1.1 → 192.168.1.2] Echo (ping) request id=0x1572, seq=1',
      '10.50.0.2 > 10.50.0.1 ICMP: [VXLAN 42 192.168.1.2 → 192.168.1.1] Echo (ping) reply id=0x1572, seq=1',
    ]);
    expect(p[6]!.tunnels).toEqual([{ kind: 'vxlan', vni: 42, outerSrc: '192.168.1.1', outerDst: '192.168.1.2' }]);
    // The outer lengths stay the packet's: 148 bytes on the wire for a 98-byte inner echo request.
    expect(p[6]!.len).toBe(148);
  });

  it('on a lab’s own port only when told (else it is plain UDP, as for any unknown port)', () => {
    expect(decodeAll(VXLAN_9000_PCAP).map((d) => d.protocol)).toEqual(new Array(8).fill('UDP'));
    const p = decodeAll(VXLAN_9000_PCAP, { vxlanPorts: [9000] });
    expect(p.slice(4).map(line)).toEqual([
      '12:eb:2e:e6:2b:a9 > ff:ff:ff:ff:ff:ff ARP: [VXLAN 42 192.168.1.1 → 192.168.1.2] Who has 10.50.0.2? Tell 10.50.0.1',
      '4a:cf:48:34:19:a4 > 12:eb:2e:e6:2b:a9 ARP: [VXLAN 42 192.168.1.2 → 192.168.1.1] 10.50.0.2 is at 4a:cf:48:34:19:a4',
      '10.50.0.1 > 10.50.0.2 ICMP: [VXLAN 42 192.168.1.1 → 192.168.1.2] Echo (ping) request id=0x1b98, seq=1',
      '10.50.0.2 > 10.50.0.1 ICMP: [VXLAN 42 192.168.1.2 → 192.168.1.1] Echo (ping) reply id=0x1b98, seq=1',
    ]);
  });

  it('a header without the VNI flag, or a cut inner frame, never throws', () => {
    const bytes = hex(VXLAN_PCAP);
    const { header, records } = parsePcap(bytes);
    const echo = records[6]!;
    // Ethernet 14 + IPv4 20 + UDP 8: the VXLAN flags byte.
    const noFlag = echo.data.slice();
    noFlag[42] = 0;
    expect(decodeRecord(header, { ...echo, data: noFlag }).protocol).toBe('UDP');
    const cut = decodeRecord(header, { ...echo, data: echo.data.subarray(0, 56) });
    expect(cut).toMatchObject({
      protocol: 'VXLAN',
      info: '[VXLAN 42 192.168.1.1 → 192.168.1.2] [truncated inner frame]',
    });
    for (let n = 0; n <= echo.data.byteLength; n++) decodeRecord(header, { ...echo, data: echo.data.subarray(0, n) });
  });
});

describe('WireGuard', () => {
  it('is encrypted UDP: message type and indexes on its port, never an inner packet', () => {
    const p = decodeAll(WIREGUARD_PCAP);
    expect(p.map(line)).toEqual([
      '192.168.1.1 > 192.168.1.2 WireGuard: 51820 → 51820 Handshake initiation, sender 0xe77e8e50',
      '192.168.1.2 > 192.168.1.1 WireGuard: 51820 → 51820 Handshake response, sender 0x1c8e1496, receiver 0xe77e8e50',
      '192.168.1.1 > 192.168.1.2 WireGuard: 51820 → 51820 Keepalive, receiver 0x1c8e1496, counter 0',
      '192.168.1.1 > 192.168.1.2 WireGuard: 51820 → 51820 Transport data, receiver 0x1c8e1496, counter 1, 96 bytes encrypted',
      '192.168.1.1 > 192.168.1.2 WireGuard: 51820 → 51820 Transport data, receiver 0x1c8e1496, counter 2, 96 bytes encrypted',
      '192.168.1.2 > 192.168.1.1 WireGuard: 51820 → 51820 Transport data, receiver 0xe77e8e50, counter 0, 96 bytes encrypted',
      '192.168.1.2 > 192.168.1.1 WireGuard: 51820 → 51820 Transport data, receiver 0xe77e8e50, counter 1, 96 bytes encrypted',
      '192.168.1.1 > 192.168.1.2 WireGuard: 51820 → 51820 Keepalive, receiver 0x1c8e1496, counter 3',
      '192.168.1.1 > 192.168.1.2 WireGuard: 51820 → 51820 Keepalive, receiver 0x1c8e1496, counter 4',
    ]);
    expect(p.map((d) => d.tunnels?.[0]?.kind === 'wireguard' && d.tunnels[0].message)).toEqual([
      'initiation',
      'response',
      'keepalive',
      'transport',
      'transport',
      'transport',
      'transport',
      'keepalive',
      'keepalive',
    ]);
  });

  /** The same records with both UDP ports rewritten (the checksum is not checked). */
  const onPort = (port: number) => {
    const { header, records } = parsePcap(hex(WIREGUARD_PCAP));
    return records.map((r) => {
      const data = r.data.slice();
      new DataView(data.buffer).setUint16(34, port);
      new DataView(data.buffer).setUint16(36, port);
      return { header, record: { ...r, data } };
    });
  };

  it('is recognised by its shape on any port, and on a lab’s listen port by the port', () => {
    const moved = onPort(40000).map(({ header, record }) => decodeRecord(header, record));
    expect(moved.map((d) => d.protocol)).toEqual(new Array(9).fill('WireGuard'));
    expect(moved[0]!.info).toBe('40000 → 40000 Handshake initiation, sender 0xe77e8e50');
    const told = onPort(40000).map(({ header, record }) => decodeRecord(header, record, { wireguardPorts: [40000] }));
    expect(told.map((d) => d.info)).toEqual(moved.map((d) => d.info));
  });

  it('shapes that do not fit stay plain UDP off its ports (a 148-byte type 1 is a handshake, 100 bytes is not)', () => {
    const { header, record } = onPort(40000)[0]!;
    const data = record.data.slice(0, 42 + 100);
    const v = new DataView(data.buffer);
    v.setUint16(16, 20 + 8 + 100); // IPv4 total length
    v.setUint16(38, 8 + 100); // UDP length
    expect(decodeRecord(header, { ...record, data }).protocol).toBe('UDP');
    // Transport data off a WireGuard port needs a length of 32 + 16k.
    const t = onPort(40000)[3]!;
    const odd = t.record.data.slice(0, t.record.data.byteLength - 1);
    const w = new DataView(odd.buffer);
    w.setUint16(16, odd.byteLength - 14);
    w.setUint16(38, odd.byteLength - 34);
    expect(decodeRecord(t.header, { ...t.record, data: odd }).protocol).toBe('UDP');
  });

  it('decodes a cookie reply (64 bytes; built here: a daemon sends one only under load)', () => {
    const { header, records } = parsePcap(hex(WIREGUARD_PCAP));
    const base = records[1]!.data; // the handshake response: Ethernet + IPv4 + UDP headers to reuse
    const data = new Uint8Array(42 + 64);
    data.set(base.subarray(0, 42));
    const v = new DataView(data.buffer);
    v.setUint16(16, 20 + 8 + 64);
    v.setUint16(38, 8 + 64);
    data[42] = 3;
    v.setUint32(46, 0xe77e8e50, true);
    for (let i = 50; i < data.byteLength; i++) data[i] = (i * 37) & 0xff;
    expect(decodeRecord(header, { ...records[1]!, data, origLen: data.byteLength })).toMatchObject({
      protocol: 'WireGuard',
      info: '51820 → 51820 Cookie reply, receiver 0xe77e8e50',
      tunnels: [{ kind: 'wireguard', message: 'cookie' }],
    });
  });
});
