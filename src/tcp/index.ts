export { TcpReassembler, TcpConnection, TcpDirection } from './reassembly.ts';
export type { StreamSink, PacketContext, Dir } from './reassembly.ts';
