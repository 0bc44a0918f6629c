/**
 * Splits tcpdump's `-w -` byte stream into the pcap global header and whole records, so each WebSocket frame
 * carries exactly one of them. Pure (no I/O); tolerant of any chunking; refuses a stream that is not pcap.
 */

export const PCAP_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;
/** Larger than any snaplen we ask for (262144): a bigger record length means a corrupt stream. */
const MAX_RECORD = 1 << 20;

export type PcapChunk = { kind: 'header'; bytes: Buffer } | { kind: 'record'; bytes: Buffer };

export class PcapSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private littleEndian: boolean | null = null;

  /** Feeds bytes; returns the complete pieces now available. Throws on a stream that is not pcap. */
  push(chunk: Buffer): PcapChunk[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: PcapChunk[] = [];
    let off = 0;
    if (this.littleEndian === null) {
      if (this.buf.length < PCAP_HEADER_LEN) return out;
      const magicLe = this.buf.readUInt32LE(0);
      if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) this.littleEndian = true;
      else if (magicLe === 0xd4c3b2a1 || magicLe === 0x4d3cb2a1) this.littleEndian = false;
      else throw new Error('not a pcap stream (bad magic number)');
      out.push({ kind: 'header', bytes: Buffer.from(this.buf.subarray(0, PCAP_HEADER_LEN)) });
      off = PCAP_HEADER_LEN;
    }
    for (;;) {
      if (this.buf.length - off < PCAP_RECORD_HEADER_LEN) break;
      const incl = this.littleEndian ? this.buf.readUInt32LE(off + 8) : this.buf.readUInt32BE(off + 8);
      if (incl > MAX_RECORD) throw new Error(`corrupt pcap stream (record of ${incl} bytes)`);
      const end = off + PCAP_RECORD_HEADER_LEN + incl;
      if (this.buf.length < end) break;
      out.push({ kind: 'record', bytes: Buffer.from(this.buf.subarray(off, end)) });
      off = end;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
    return out;
  }
}
