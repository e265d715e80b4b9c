// Public surface of the logs layer: host logs (syslog, journal, dmesg, iscsid, LIO, tgtd) read as
// streams of lines, each with its timestamp and the explainer's meaning, then put on the capture's
// clock by matching the events both show. Imports only from src/codec; the engine hands it wire
// events (events.ts) and connections, and fills findings / incidents from the matches.

export { LineSplitter, DEFAULT_MAX_LINE_BYTES } from './lines.ts';
export type { LineSink, LineSplitterOptions } from './lines.ts';
export { LOG_FORMATS, PrefixReader } from './prefix.ts';
export type { LogFormat, Prefix } from './prefix.ts';
export { clockOf, logClockSeconds, noYearValue } from './stamp.ts';
export type { LogClock, Stamp, StampKind } from './stamp.ts';
export { LogReader, readLog, collectLog, parseLogText } from './reader.ts';
export type { CollectedLog, LineHandler, LogFileSummary, LogLine, LogReaderOptions } from './reader.ts';
export type {
  WireEvent, WireEventKind, WireConn, PingTimeoutEvent, TargetPingTimeoutEvent, ConnCloseEvent, LoginOkEvent,
  LoginFailedEvent, LogoutEvent, TmfEvent, ConnectFailedEvent,
} from './events.ts';
export { alignLogs, placeLine, dominantClock, DEFAULT_TOLERANCE_S, DEFAULT_MAX_SKEW_S } from './align.ts';
export type { AlignOptions, Alignment, FileOffset, LineMatch } from './align.ts';
export { timeline } from './timeline.ts';
export type { PlacedLine, TieReason, TimelineOptions } from './timeline.ts';
export { logsJson } from './report.ts';
export type { Belongs, LogsJson, LogsJsonLine, LogsJsonOffset } from './report.ts';
