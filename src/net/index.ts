export { decodeTcp, isSupportedLinkType, SkipReason } from './decode.ts';
export { newTcpSegment, formatAddress, TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK, TCP_PSH } from './segment.ts';
export type { TcpSegment } from './segment.ts';
export { buildTcpFrame } from './encode.ts';
export type { FrameSpec } from './encode.ts';
