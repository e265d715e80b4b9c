// Public surface of the iSCSI PDU codec (RFC 7143). Runs in Node and in a Web Worker: no Buffer,
// no node: imports.

export {
  u16, u24, u32, u32le, putU16, putU24, putU32, putU32le, toHex, fromHex, hexNum, byteSwap32,
} from './bytes.ts';
export * from './bhs.ts';
export * from './rules.ts';
export { crc32c } from './crc32c.ts';
export {
  opcodeName, tmfFunctionName, tmfResponseName, loginStatusName, loginStatusClassName, loginStageName,
  logoutReasonName, logoutResponseName, rejectReasonName, asyncEventName, snackTypeName, iscsiResponseName,
  taskAttributeName, ahsTypeName, AHS_EXTENDED_CDB, AHS_BIDI_READ_LENGTH,
} from './names.ts';
export {
  scsiOpcodeName, scsiCommandName, scsiStatusName, isScsiStatus, senseKeyName, ascAscqName, parseSense, buildSense,
} from './scsi.ts';
export { parseTextKeys, encodeTextKeys, textKeyProblems, textKey } from './textkeys.ts';
export { decodePdu, lunNumber } from './decode.ts';
export {
  encodePdu, encodePduInto, encodeHeaderInto, encodedLength, dataSegmentOf, ahsOf, writeLun,
} from './encode.ts';
export { bhsProblem, collectBhsProblems } from './check.ts';
export type { BhsCheckOptions } from './check.ts';
export {
  explainLogLine, explainExcerpt, explainErrorCode, connStateName, connStateMeaning, EXCERPT_MAX_LINE, EXCERPT_MAX_LINES,
} from './explain.ts';
export type {
  Explanation, ExplanationKind, ExcerptLine, ErrorCodeInfo, LogSource, PingTimeoutNumbers,
} from './explain.ts';
export type * from './types.ts';
