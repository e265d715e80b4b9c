export { decodeTcp, isSupportedLinkType, MAX_EXTENSION_HEADERS, SkipReason } from './decode.ts';
export { newTcpSegment, formatAddress, parseAddress, TCP_FIN, TCP_SYN, TCP_RST, TCP_ACK, TCP_PSH } from './segment.ts';
export type { TcpSegment } from './segment.ts';
export { buildTcpFrame, tcpOptions } from './encode.ts';
export type { FrameSpec } from './encode.ts';
