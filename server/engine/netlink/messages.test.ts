/**
 * rtnetlink encoding against byte fixtures captured from iproute2 6.1 (`strace -e trace=sendmsg -e write=3
 * ip …` in a fresh network namespace where `d0` has ifindex 2). The sequence number (bytes 8–11) differs
 * per run and is zeroed on both sides.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addrMsg,
  dumpLinks,
  dumpNsids,
  getNsid,
  IFLA_NET_NS_FD,
  ipBytes,
  macBytes,
  NETNSA_FD,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLMSG_DONE,
  NLMSG_ERROR,
  newBridge,
  newNsidAuto,
  newVeth,
  parseAttrs,
  parseCidr,
  parseError,
  parseLink,
  parseNsidEntry,
  parseNsidReply,
  parseReplies,
  RTM_NEWLINK,
  RTM_NEWNSID,
  routeMsg,
  setLink,
} from './messages';

const fixture = (name: string) =>
  Buffer.from(readFileSync(join(import.meta.dirname, 'fixtures', `${name}.hex`), 'utf8').trim(), 'hex');
const noSeq = (b: Buffer) => {
  const c = Buffer.from(b);
  c.writeUInt32LE(0, 8);
  return c.toString('hex');
};

describe('rtnetlink requests match iproute2 bytes', () => {
  it('ip addr add 10.0.0.1/24 dev d0', () => {
    expect(noSeq(addrMsg(1, true, 2, '10.0.0.1/24').buf)).toBe(noSeq(fixture('addr4')));
  });
  it('ip addr add fd00::1/64 dev d0 nodad', () => {
    expect(noSeq(addrMsg(1, true, 2, 'fd00::1/64').buf)).toBe(noSeq(fixture('addr6')));
  });
  it('ip link set dev d0 up', () => {
    expect(noSeq(setLink(1, { index: 2 }, { up: true }).buf)).toBe(noSeq(fixture('up')));
  });
  it('ip link set dev d0 alias netloom:a:b', () => {
    expect(noSeq(setLink(1, { index: 2 }, { alias: 'netloom:a:b' }).buf)).toBe(noSeq(fixture('alias')));
  });
  it('ip route add 10.9.0.0/16 via 10.0.0.254 dev d0 metric 5', () => {
    const m = routeMsg(1, true, { family: 4, to: '10.9.0.0/16', via: '10.0.0.254', metric: 5 }, 2);
    expect(noSeq(m.buf)).toBe(noSeq(fixture('route4')));
  });
  it('ip route del 10.9.0.0/16 via 10.0.0.254 dev d0 metric 5', () => {
    const m = routeMsg(1, false, { family: 4, to: '10.9.0.0/16', via: '10.0.0.254', metric: 5 }, 2);
    expect(noSeq(m.buf)).toBe(noSeq(fixture('routedel')));
  });
  it('ip link add name br9 type bridge stp_state 0', () => {
    expect(noSeq(newBridge(1, { ifname: 'br9', stp: false }).buf)).toBe(noSeq(fixture('bridge')));
  });
  it('ip netns list-id target-nsid 7 (nsid table dump of another namespace)', () => {
    expect(noSeq(dumpNsids(1, 7).buf)).toBe(noSeq(fixture('nsid-dump-target')));
  });
  it('ip netns set b auto (fd 6 in the capture: written where the agent puts its fd)', () => {
    const m = newNsidAuto(1, 'b');
    expect(m.fdSlots).toEqual([{ offset: 24, netns: 'b' }]);
    expect(m.buf.readUInt16LE(22)).toBe(NETNSA_FD);
    m.buf.writeUInt32LE(6, m.fdSlots[0]!.offset);
    expect(noSeq(m.buf)).toBe(noSeq(fixture('nsid-new-auto')));
  });
  it('ip link add name v0 mtu 1400 address 02:00:00:00:00:01 type veth peer name v1', () => {
    const m = newVeth(1, { ifname: 'v0', mtu: 1400, mac: '02:00:00:00:00:01' }, { ifname: 'v1' });
    expect(noSeq(m.buf)).toBe(noSeq(fixture('veth')));
    expect(m.fdSlots).toEqual([]);
  });
});

describe('rtnetlink encoding details', () => {
  it('a veth peer in another namespace gets an IFLA_NET_NS_FD slot for the agent to fill', () => {
    const m = newVeth(7, { ifname: 'v0', master: 3 }, { ifname: 'v1' }, 'red');
    expect(m.fdSlots).toHaveLength(1);
    const slot = m.fdSlots[0]!;
    expect(slot.netns).toBe('red');
    // The slot is the payload of an IFLA_NET_NS_FD attribute, placeholder 0xffffffff.
    expect(m.buf.readUInt16LE(slot.offset - 2)).toBe(IFLA_NET_NS_FD);
    expect(m.buf.readUInt32LE(slot.offset)).toBe(0xffffffff);
    expect(m.buf.readUInt32LE(0)).toBe(m.buf.length);
    expect(m.buf.readUInt32LE(8)).toBe(7);
  });

  it('setLink by name carries IFLA_IFNAME; rename by index carries the new name', () => {
    const byName = parseReplies(setLink(1, { ifname: 'eth0' }, { mtu: 1400 }).buf)[0]!;
    expect(byName.type).toBe(RTM_NEWLINK);
    expect(parseLink(byName)).toMatchObject({ index: 0, ifname: 'eth0' });
    const rename = parseReplies(setLink(1, { index: 9 }, { rename: 'wan0' }).buf)[0]!;
    expect(parseLink(rename)).toMatchObject({ index: 9, ifname: 'wan0' });
  });

  it('a default route has no RTA_DST; an on-link route has link scope', () => {
    const m = routeMsg(1, true, { family: 6, to: 'default', via: 'fd00::ff' }, 4).buf;
    expect(m.readUInt8(16)).toBe(10); // AF_INET6
    expect(m.readUInt8(17)).toBe(0); // dst_len
    const attrs = parseAttrs(m.subarray(28));
    expect(attrs.has(1)).toBe(false);
    expect(attrs.get(5)).toEqual(ipBytes('fd00::ff').bytes);
    const onlink = routeMsg(1, true, { family: 4, to: '10.8.0.0/16' }, 4).buf;
    expect(onlink.readUInt8(22)).toBe(253); // RT_SCOPE_LINK
  });

  it('parses addresses', () => {
    expect(ipBytes('fd00::1').bytes.toString('hex')).toBe('fd000000000000000000000000000001');
    expect(ipBytes('::ffff:10.0.0.1').bytes.toString('hex')).toBe('00000000000000000000ffff0a000001');
    expect(ipBytes('2001:db8::').bytes.toString('hex')).toBe('20010db8000000000000000000000000');
    expect(ipBytes('::').bytes.toString('hex')).toBe('0'.repeat(32));
    expect(parseCidr('10.1.2.0/23')).toMatchObject({ family: 2, prefix: 23 });
    expect(() => ipBytes('1.2.3')).toThrow();
    expect(() => ipBytes('1::2::3')).toThrow();
    expect(macBytes('02:AA:00:00:00:01').toString('hex')).toBe('02aa00000001');
    expect(() => macBytes('02:aa')).toThrow();
  });

  it('a dump request has NLM_F_DUMP and no ACK', () => {
    const b = dumpLinks(5).buf;
    expect(b.readUInt16LE(6)).toBe(0x301);
  });
});

describe('rtnetlink replies', () => {
  it('decodes an error with extended ACK message, and a plain ACK', () => {
    const msg = Buffer.from('File exists\0', 'utf8');
    const tlv = Buffer.alloc(4 + 12);
    tlv.writeUInt16LE(4 + msg.length, 0);
    tlv.writeUInt16LE(1, 2);
    msg.copy(tlv, 4);
    const payload = Buffer.alloc(4 + 16);
    payload.writeInt32LE(-17, 0);
    const body = Buffer.concat([payload, tlv]);
    const hdr = Buffer.alloc(16);
    hdr.writeUInt32LE(16 + body.length, 0);
    hdr.writeUInt16LE(NLMSG_ERROR, 4);
    hdr.writeUInt16LE(NLM_F_CAPPED | NLM_F_ACK_TLVS, 6);
    hdr.writeUInt32LE(42, 8);
    const ack = Buffer.alloc(36);
    ack.writeUInt32LE(36, 0);
    ack.writeUInt16LE(NLMSG_ERROR, 4);
    ack.writeUInt16LE(NLM_F_CAPPED, 6);
    ack.writeUInt32LE(43, 8);
    const replies = parseReplies(Buffer.concat([hdr, body, ack]));
    expect(replies.map((r) => r.seq)).toEqual([42, 43]);
    expect(parseError(replies[0]!)).toEqual({ errno: 17, extack: 'File exists' });
    expect(parseError(replies[1]!)).toEqual({ errno: 0 });
  });
});

describe('nsid tables', () => {
  it('decodes a translated dump (`ip netns list-id target-nsid 0`: nsid 5 current 1, nsid 9 unassigned)', () => {
    const replies = parseReplies(fixture('nsid-dump-reply'));
    expect(replies.map((r) => r.type)).toEqual([RTM_NEWNSID, RTM_NEWNSID, NLMSG_DONE]);
    expect(new Set(replies.map((r) => r.seq)).size).toBe(1);
    expect(replies.slice(0, 2).map(parseNsidEntry)).toEqual([
      { nsid: 5, current: 1 },
      { nsid: 9, current: -1 },
    ]);
    // The plain reader sees the same id; the DONE carries no error.
    expect(parseNsidReply(replies[0]!)).toBe(5);
    expect(replies[2]!.payload.readInt32LE(0)).toBe(0);
  });

  it('an untranslated entry (kernel without NETNSA_CURRENT_NSID) has no current id', () => {
    const m = getNsid(3, null).buf; // same shape as a reply: rtgenmsg + one NETNSA_* u32 attribute
    const r = Buffer.from(m);
    r.writeUInt16LE(RTM_NEWNSID, 4);
    r.writeUInt16LE(1, 22); // NETNSA_NSID
    r.writeInt32LE(4, 24);
    expect(parseNsidEntry(parseReplies(r)[0]!)).toEqual({ nsid: 4 });
    r.writeUInt16LE(2, 22); // no NETNSA_NSID at all
    expect(parseNsidEntry(parseReplies(r)[0]!)).toBeUndefined();
  });

  it('dump requests carry NLM_F_DUMP, the target as s32 and their own sequence number', () => {
    const b = dumpNsids(42, 0x7fffffff).buf;
    expect(b.readUInt16LE(6)).toBe(0x301);
    expect(b.readUInt32LE(8)).toBe(42);
    expect(parseAttrs(b.subarray(20)).get(4)?.readInt32LE(0)).toBe(0x7fffffff);
    const auto = newNsidAuto(9, 'x').buf;
    expect(auto.readUInt16LE(6)).toBe(0x5); // REQUEST | ACK: the native transact waits for the ACK
    expect(parseAttrs(auto.subarray(20)).get(1)?.readInt32LE(0)).toBe(-1);
  });
});
