/** What a synthetic frame carries; used by tests and the benchmark to write captures. */
export interface FrameSpec {
  /** IPv4 addresses as 32-bit numbers, or IPv6 as 16-byte arrays. */
  src: number | Uint8Array;
  dst: number | Uint8Array;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload?: Uint8Array;
  /** 802.1Q VLAN ids to push, outermost first. */
  vlans?: number[];
  /** The window field as sent (default 65535). */
  window?: number;
  /** Raw TCP option bytes (padded with End of Option List to a multiple of 4). */
  options?: Uint8Array;
}

/** TCP option bytes for `FrameSpec.options`, as a SYN carries them. */
export function tcpOptions(o: { mss?: number; windowScale?: number; sackPermitted?: boolean }): Uint8Array {
  const bytes: number[] = [];
  if (o.mss !== undefined) bytes.push(2, 4, (o.mss >> 8) & 255, o.mss & 255);
  if (o.sackPermitted) bytes.push(4, 2);
  if (o.windowScale !== undefined) bytes.push(1, 3, 3, o.windowScale);
  return Uint8Array.from(bytes);
}

/** Ethernet II + IPv4/IPv6 + TCP (20-byte header unless options are given) around a payload.
 *  Checksums are left zero: nothing in this project reads them, as with captures of
 *  checksum-offloading hosts. */
export function buildTcpFrame(spec: FrameSpec): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const opts = spec.options ?? new Uint8Array(0);
  const tcpLen = 20 + ((opts.length + 3) & ~3);
  const v6 = typeof spec.src !== 'number';
  const vlans = spec.vlans ?? [];
  const ipLen = v6 ? 40 : 20;
  const l2 = 14 + vlans.length * 4;
  const out = new Uint8Array(l2 + ipLen + tcpLen + payload.length);
  const dv = new DataView(out.buffer);
  // MACs stay zero, as on the loopback captures of the lab.
  let p = 12;
  for (const id of vlans) {
    dv.setUint16(p, 0x8100);
    dv.setUint16(p + 2, id & 0x0fff);
    p += 4;
  }
  dv.setUint16(p, v6 ? 0x86dd : 0x0800);
  p += 2;
  if (v6) {
    out[p] = 0x60;
    dv.setUint16(p + 4, tcpLen + payload.length);
    out[p + 6] = 6;
    out[p + 7] = 64;
    out.set(spec.src as Uint8Array, p + 8);
    out.set(spec.dst as Uint8Array, p + 24);
  } else {
    out[p] = 0x45;
    dv.setUint16(p + 2, 20 + tcpLen + payload.length);
    out[p + 6] = 0x40; // don't fragment
    out[p + 8] = 64;
    out[p + 9] = 6;
    dv.setUint32(p + 12, spec.src as number);
    dv.setUint32(p + 16, spec.dst as number);
  }
  p += ipLen;
  dv.setUint16(p, spec.srcPort);
  dv.setUint16(p + 2, spec.dstPort);
  dv.setUint32(p + 4, spec.seq >>> 0);
  dv.setUint32(p + 8, spec.ack >>> 0);
  out[p + 12] = (tcpLen >> 2) << 4 | ((spec.flags >> 8) & 1);
  out[p + 13] = spec.flags & 255;
  dv.setUint16(p + 14, spec.window ?? 65535);
  out.set(opts, p + 20);
  out.set(payload, p + tcpLen);
  return out;
}
