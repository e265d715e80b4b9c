/** One packet record as the capture file holds it. The reader reuses one object for every packet:
 *  a sink must copy what it keeps, and must not hold `data` past the call. */
export interface PacketRecord {
  /** 1-based, in file order, counting every packet block of every section (as Wireshark numbers frames). */
  frame: number;
  /** false where the record has no timestamp (pcapng Simple Packet Block). */
  hasTime: boolean;
  /** Whole seconds since the epoch (may be negative for odd files). */
  tsSec: number;
  /** Nanoseconds within the second, 0..999_999_999. */
  tsNsec: number;
  capLen: number;
  origLen: number;
  /** pcapng interface index within its section (0 for classic pcap). */
  interfaceId: number;
  /** LINKTYPE_ value of the packet's interface. */
  linkType: number;
  /** The packet's captured bytes are data[dataOffset, dataOffset + capLen). */
  data: Uint8Array;
  dataOffset: number;
  /** Offset of the first captured packet byte in the (decompressed) capture file. */
  fileOffset: number;
}

export interface PacketSink {
  packet(p: PacketRecord): void;
}
