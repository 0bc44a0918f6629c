/**
 * Decoder tests on REAL bytes: captured once with tcpdump in a throwaway sandbox (two namespaces on a veth,
 * 10.0.0.1/24 + fd00::1/64 ↔ 10.0.0.2/24 + fd00::2/64; ping, ping -6, a TCP connect to a closed port, a DNS
 * query to a port nobody listens on) and embedded as hex. Expected values are what `tcpdump -r` printed.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  decodeRecord,
  formatIpv6,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  PcapFormatError,
  parsePcap,
  parsePcapHeader,
  parseRecord,
  tcpFlags,
  writePcap,
} from './pcap';

/** tcpdump -i veth -w (Ethernet, µs, little-endian): IPv6 chatter, ARP, ICMP echo, TCP SYN/RST, DNS query + ICMP port unreachable, ICMPv6 NS/NA/echo. */
const ETH_PCAP =
  'd4c3b2a1020004000000000000000000000004000100000066de056b3ea408006e0000006e00000033330000001632881889' +
  '152086dd600000000038000100000000000000000000000000000000ff0200000000000000000000000000163a0005020000' +
  '01008f0057c60000000204000000ff0200000000000000000001ff89152004000000ff0200000000000000000001ff000001' +
  '66de056b07c70a006e0000006e000000333300000016bed68325dcc686dd6000000000380001000000000000000000000000' +
  '00000000ff0200000000000000000000000000163a000502000001008f0090820000000204000000ff020000000000000000' +
  '0001ff25dcc604000000ff0200000000000000000001ff00000266de056b4bfd0e0056000000560000003333ff25dcc6bed6' +
  '8325dcc686dd6000000000203aff00000000000000000000000000000000ff0200000000000000000001ff25dcc6870095fc' +
  '00000000fe80000000000000bcd683fffe25dcc60e01161072f9566967de056b103800006e0000006e000000333300000016' +
  '32881889152086dd6000000000380001fe80000000000000308818fffe891520ff0200000000000000000000000000163a00' +
  '0502000001008f00fc130000000204000000ff0200000000000000000001ff89152004000000ff0200000000000000000001' +
  'ff00000167de056b21380000460000004600000033330000000232881889152086dd6000000000103afffe80000000000000' +
  '308818fffe891520ff0200000000000000000000000000028500becb00000000010132881889152067de056b7b1308002a00' +
  '00002a000000ffffffffffff328818891520080600010800060400013288188915200a0000010000000000000a00000267de' +
  '056b8e1308002a0000002a000000328818891520bed68325dcc608060001080006040002bed68325dcc60a00000232881889' +
  '15200a00000167de056b931308006200000062000000bed68325dcc632881889152008004500005413a04000400113070a00' +
  '00010a00000208000e8a6e45000167de056b000000004713080000000000101112131415161718191a1b1c1d1e1f20212223' +
  '2425262728292a2b2c2d2e2f303132333435363767de056b9d1308006200000062000000328818891520bed68325dcc60800' +
  '45000054156d00004001513a0a0000020a0000010000168a6e45000167de056b000000004713080000000000101112131415' +
  '161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363767de056b7af608004a0000004a000000' +
  'bed68325dcc632881889152008004500003ca839400040067e800a0000010a000002de980050288cfc4a00000000a002faf0' +
  '14310000020405b40402080aa62b80a3000000000103030a67de056b90f608003600000036000000328818891520bed68325' +
  'dcc608004500002800004000400626ce0a0000020a0000010050de9800000000288cfc4b50140000980d000067de056b1902' +
  '09006e0000006e00000033330000001632881889152086dd6000000000380001fe80000000000000308818fffe891520ff02' +
  '00000000000000000000000000163a000502000001008f00fc130000000204000000ff0200000000000000000001ff891520' +
  '04000000ff0200000000000000000001ff00000167de056b9c1109006e0000006e000000333300000016bed68325dcc686dd' +
  '600000000038000100000000000000000000000000000000ff0200000000000000000000000000163a000502000001008f00' +
  '90820000000204000000ff0200000000000000000001ff25dcc604000000ff0200000000000000000001ff00000267de056b' +
  '71730e004700000047000000bed68325dcc63288188915200800450000399f814000401187300a0000010a000002a8e80035' +
  '00251439123401000001000000000000076578616d706c6503636f6d000001000167de056b92730e00630000006300000032' +
  '8818891520bed68325dcc6080045c0005515930000400150530a0000020a00000103035ddf00000000450000399f81400040' +
  '1187300a0000010a000002a8e8003500251439123401000001000000000000076578616d706c6503636f6d000001000168de' +
  '056bd41800006e0000006e000000333300000016bed68325dcc686dd6000000000380001fe80000000000000bcd683fffe25' +
  'dcc6ff0200000000000000000000000000163a000502000001008f00763e0000000204000000ff0200000000000000000001' +
  'ff25dcc604000000ff0200000000000000000001ff00000268de056be41800004600000046000000333300000002bed68325' +
  'dcc686dd6000000000103afffe80000000000000bcd683fffe25dcc6ff020000000000000000000000000002850041a80000' +
  '00000101bed68325dcc668de056b1c61020056000000560000003333ff00000232881889152086dd6000000000203afffd00' +
  '0000000000000000000000000001ff0200000000000000000001ff00000287001f6700000000fd0000000000000000000000' +
  '00000002010132881889152068de056b516102005600000056000000328818891520bed68325dcc686dd6000000000203aff' +
  'fd000000000000000000000000000002fd0000000000000000000000000000018800ffd860000000fd000000000000000000' +
  '0000000000020201bed68325dcc668de056b566102007600000076000000bed68325dcc632881889152086dd6005263e0040' +
  '3a40fd000000000000000000000000000001fd0000000000000000000000000000028000dfa16e60000168de056b00000000' +
  '0861020000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363768de' +
  '056b5d6102007600000076000000328818891520bed68325dcc686dd600db2f000403a40fd00000000000000000000000000' +
  '0002fd0000000000000000000000000000018100dea16e60000168de056b0000000008610200000000001011121314151617' +
  '18191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363768de056b855a0a006e0000006e0000003333' +
  '00000016bed68325dcc686dd6000000000380001fe80000000000000bcd683fffe25dcc6ff02000000000000000000000000' +
  '00163a000502000001008f00763e0000000204000000ff0200000000000000000001ff25dcc604000000ff02000000000000' +
  '00000001ff000002';

/** tcpdump -i any -y LINUX_SLL: header + ARP request + ICMP echo request. */
const SLL_PCAP =
  'd4c3b2a1020004000000000000000000000004007100000067de056b771308002c0000002c00000000040001000632881889' +
  '15200000080600010800060400013288188915200a0000010000000000000a00000267de056b921308006400000064000000' +
  '000400010006328818891520000008004500005413a04000400113070a0000010a00000208000e8a6e45000167de056b0000' +
  '00004713080000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';

/** tcpdump -i any -y LINUX_SLL2: header + ICMP echo reply. */
const SLL2_PCAP =
  'd4c3b2a1020004000000000000000000000004001401000067de056b9c130800680000006800000008000000000000020001' +
  '0006bed68325dcc6000045000054156d00004001513a0a0000020a0000010000168a6e45000167de056b0000000047130800' +
  '00000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';

/** --time-stamp-precision=nano: two MLD reports. */
const NANO_PCAP =
  '4d3cb2a1020004000000000000000000000004000100000066de056b4992c1216e0000006e00000033330000001632881889' +
  '152086dd600000000038000100000000000000000000000000000000ff0200000000000000000000000000163a0005020000' +
  '01008f0057c60000000204000000ff0200000000000000000001ff89152004000000ff0200000000000000000001ff000001' +
  '66de056b8976192a6e0000006e000000333300000016bed68325dcc686dd6000000000380001000000000000000000000000' +
  '00000000ff0200000000000000000000000000163a000502000001008f0090820000000204000000ff020000000000000000' +
  '0001ff25dcc604000000ff0200000000000000000001ff000002';

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));

describe('pcap container', () => {
  it('reads the global header (little-endian, µs, Ethernet)', () => {
    expect(parsePcapHeader(bytes(ETH_PCAP))).toEqual({
      littleEndian: true,
      nanos: false,
      versionMajor: 2,
      versionMinor: 4,
      snaplen: 262144,
      linktype: LINKTYPE_ETHERNET,
    });
  });

  it('reads every record of the capture', () => {
    const { records } = parsePcap(bytes(ETH_PCAP));
    expect(records).toHaveLength(22);
    expect(records[7]!.data.byteLength).toBe(98);
  });

  it('nanosecond timestamps', () => {
    const { header, records } = parsePcap(bytes(NANO_PCAP));
    expect(header.nanos).toBe(true);
    expect(records).toHaveLength(2);
    const d = decodeRecord(header, records[0]!);
    expect(records[0]!.tsFrac).toBeGreaterThan(1_000_000); // ns, not µs
    expect(d.ts).toBeCloseTo(records[0]!.tsSec + records[0]!.tsFrac / 1e9, 6);
    expect(d.protocol).toBe('ICMPv6');
  });

  it('refuses what is not pcap', () => {
    expect(() => parsePcapHeader(new Uint8Array(24))).toThrow(PcapFormatError);
    expect(() => parsePcapHeader(new Uint8Array(3))).toThrow(PcapFormatError);
  });

  it('parseRecord waits for a whole record', () => {
    const all = bytes(ETH_PCAP);
    const header = parsePcapHeader(all);
    expect(parseRecord(header, all.subarray(0, 24 + 20), 24)).toBeNull();
    expect(parseRecord(header, all, 24)?.record.origLen).toBe(110);
  });

  it('writePcap gives back the exact bytes tcpdump wrote', () => {
    const all = bytes(ETH_PCAP);
    const { header, records } = parsePcap(all);
    expect(writePcap(header, records)).toEqual(all);
  });

  it('big-endian files read the same (header and records swapped)', () => {
    const { header, records } = parsePcap(bytes(ETH_PCAP));
    const be = writePcap({ ...header, littleEndian: false }, records);
    expect(Array.from(be.subarray(0, 4))).toEqual([0xa1, 0xb2, 0xc3, 0xd4]);
    const back = parsePcap(be);
    expect(back.header.littleEndian).toBe(false);
    expect(back.records.map((r) => decodeRecord(back.header, r))).toEqual(records.map((r) => decodeRecord(header, r)));
  });
});

describe('Ethernet frames', () => {
  const { header, records } = parsePcap(bytes(ETH_PCAP));
  const d = (i: number) => decodeRecord(header, records[i]!);

  it('ARP request and reply', () => {
    expect(d(5)).toMatchObject({
      src: '32:88:18:89:15:20',
      dst: 'ff:ff:ff:ff:ff:ff',
      protocol: 'ARP',
      info: 'Who has 10.0.0.2? Tell 10.0.0.1',
      len: 42,
    });
    expect(d(6)).toMatchObject({
      src: 'be:d6:83:25:dc:c6',
      dst: '32:88:18:89:15:20',
      protocol: 'ARP',
      info: '10.0.0.2 is at be:d6:83:25:dc:c6',
    });
  });

  it('ICMP echo request and reply with id and seq (tcpdump: id 28229, seq 1)', () => {
    expect(d(7)).toMatchObject({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 'ICMP',
      info: 'Echo (ping) request id=0x6e45, seq=1',
      len: 98,
    });
    expect(d(8)).toMatchObject({ src: '10.0.0.2', dst: '10.0.0.1', info: 'Echo (ping) reply id=0x6e45, seq=1' });
    expect(0x6e45).toBe(28229);
    expect(d(8).ts).toBeCloseTo(1795546727.529309, 6);
  });

  it('TCP SYN and RST/ACK with seq, ack and window', () => {
    expect(d(9)).toMatchObject({
      protocol: 'TCP',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      info: '56984 → 80 [SYN] Seq=680328266 Win=64240 Len=0',
    });
    expect(d(10).info).toBe('80 → 56984 [RST, ACK] Seq=0 Ack=680328267 Win=0 Len=0');
    expect(tcpFlags(0x12)).toBe('[SYN, ACK]');
  });

  it('UDP: a DNS query names the question; the answer is an ICMP port unreachable', () => {
    expect(d(13)).toMatchObject({ protocol: 'DNS', info: 'Standard query 0x1234 A example.com' });
    expect(d(14)).toMatchObject({ protocol: 'ICMP', info: 'Destination unreachable (port unreachable)' });
  });

  it('ICMPv6 neighbor solicitation / advertisement, echo, router solicitation, MLD', () => {
    expect(d(17)).toMatchObject({
      src: 'fd00::1',
      dst: 'ff02::1:ff00:2',
      protocol: 'ICMPv6',
      info: 'Neighbor solicitation for fd00::2',
    });
    expect(d(18)).toMatchObject({ src: 'fd00::2', dst: 'fd00::1', info: 'Neighbor advertisement fd00::2' });
    expect(d(19)).toMatchObject({ protocol: 'ICMPv6', info: 'Echo (ping) request id=0x6e60, seq=1', len: 118 });
    expect(d(20).info).toBe('Echo (ping) reply id=0x6e60, seq=1');
    expect(d(4)).toMatchObject({ src: 'fe80::3088:18ff:fe89:1520', dst: 'ff02::2', info: 'Router solicitation' });
    // Behind a hop-by-hop extension header.
    expect(d(0)).toMatchObject({ src: '::', dst: 'ff02::16', info: 'Multicast listener report v2' });
  });

  it('an 802.1Q tag is read and the inner packet decoded', () => {
    const arp = records[5]!.data;
    const tagged = new Uint8Array(arp.byteLength + 4);
    tagged.set(arp.subarray(0, 12), 0);
    tagged.set([0x81, 0x00, 0x20, 0x64], 12); // PCP 1, VID 100
    tagged.set(arp.subarray(12), 16);
    const s = decodeFrame(LINKTYPE_ETHERNET, tagged);
    expect(s).toMatchObject({ protocol: 'ARP', vlan: [100], info: '[VLAN 100] Who has 10.0.0.2? Tell 10.0.0.1' });
  });

  it('unknown ethertypes and IP protocols say what they are', () => {
    const lldp = new Uint8Array(60);
    lldp.set([0x88, 0xcc], 12);
    expect(decodeFrame(LINKTYPE_ETHERNET, lldp)).toMatchObject({ protocol: 'ETH', info: 'Ethertype 0x88cc' });
    const sctp = Uint8Array.from(records[7]!.data);
    sctp[14 + 9] = 132;
    expect(decodeFrame(LINKTYPE_ETHERNET, sctp)).toMatchObject({ protocol: 'IPv4', src: '10.0.0.1' });
    expect(decodeFrame(LINKTYPE_ETHERNET, sctp).info).toContain('proto 132');
  });

  it('never throws on cut-short packets', () => {
    for (const r of records)
      for (let n = 0; n <= r.data.byteLength; n++)
        expect(() => decodeFrame(LINKTYPE_ETHERNET, r.data.subarray(0, n))).not.toThrow();
  });
});

describe('Linux cooked captures (tcpdump -i any)', () => {
  it('SLL v1: ARP and ICMP', () => {
    const { header, records } = parsePcap(bytes(SLL_PCAP));
    expect(header.linktype).toBe(LINKTYPE_LINUX_SLL);
    expect(decodeRecord(header, records[0]!)).toMatchObject({
      protocol: 'ARP',
      src: '32:88:18:89:15:20',
      info: 'Who has 10.0.0.2? Tell 10.0.0.1',
      len: 44,
    });
    expect(decodeRecord(header, records[1]!)).toMatchObject({
      protocol: 'ICMP',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      info: 'Echo (ping) request id=0x6e45, seq=1',
    });
  });

  it('SLL v2: ICMP echo reply', () => {
    const { header, records } = parsePcap(bytes(SLL2_PCAP));
    expect(header.linktype).toBe(LINKTYPE_LINUX_SLL2);
    expect(decodeRecord(header, records[0]!)).toMatchObject({
      protocol: 'ICMP',
      src: '10.0.0.2',
      dst: '10.0.0.1',
      info: 'Echo (ping) reply id=0x6e45, seq=1',
      len: 104,
    });
  });
});

describe('IPv6 text', () => {
  it('follows RFC 5952', () => {
    const a = (hex: string) => formatIpv6(bytes(hex), 0);
    expect(a('20010db8000000000000000000000001')).toBe('2001:db8::1');
    expect(a('00000000000000000000000000000000')).toBe('::');
    expect(a('20010db8000100000001000100010001')).toBe('2001:db8:1:0:1:1:1:1');
    expect(a('20010db8000000010000000000000001')).toBe('2001:db8:0:1::1');
    // The same text as `ip` and tcpdump print: an IPv4-mapped address ends in a dotted quad.
    expect(a('00000000000000000000ffff0a000001')).toBe('::ffff:10.0.0.1');
    expect(a('fe800000000000000000000000000001')).toBe('fe80::1');
  });
});
