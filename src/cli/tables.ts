/**
 * The CLI's tables as Parquet: one typed column per key of the JSONL contract (docs/findings.md),
 * plus `capture`, the capture's name, so the files of a whole fleet can be queried as one table.
 * Loaded only when `--format parquet` is asked for.
 */
import { lstat, rm } from 'node:fs/promises';
import type { Finding } from '../engine/index.ts';
import { outputError } from './exit.ts';
import { ParquetFileWriter } from './parquet.ts';
import type { ParquetColumn, ParquetType } from './parquet.ts';

const col = (name: string, type: ParquetType, required = false): ParquetColumn => ({ name, type, required });
/** A column most rows leave empty: no statistics (they cost more than they help there). */
const sparse = (name: string, type: ParquetType): ParquetColumn => ({ name, type, statistics: false });

/** `pdus`: the contract's keys, then the keys PDU types add (null where a PDU type has no such field). */
export const PDU_COLUMNS: readonly ParquetColumn[] = [
  col('capture', 'string', true), col('conn', 'int32', true), col('dir', 'string', true),
  col('frame', 'int64', true), col('firstFrame', 'int64'), col('headerFrame', 'int64'), col('time', 'timestampNs'),
  col('opcode', 'uint8', true), col('name', 'string', true), col('immediate', 'bool'), col('final', 'bool'),
  col('itt', 'uint32'), col('ttt', 'uint32'), col('lun', 'uint16'),
  col('cmdSN', 'uint32'), col('expStatSN', 'uint32'), col('statSN', 'uint32'), col('expCmdSN', 'uint32'),
  col('maxCmdSN', 'uint32'), col('dataSN', 'uint32'), col('r2tSN', 'uint32'),
  col('dataSegmentLength', 'uint32'), col('totalAHSLength', 'uint8'), col('truncated', 'bool'),
  // SCSI Command / Response, Data-In, R2T
  sparse('scsiOpcode', 'uint8'), sparse('scsiOpcodeName', 'string'), sparse('cdb', 'string'), sparse('read', 'bool'), sparse('write', 'bool'),
  sparse('expectedDataTransferLength', 'uint32'), sparse('response', 'uint8'), sparse('status', 'uint8'), sparse('statusPresent', 'bool'),
  sparse('residualCount', 'uint32'), sparse('expDataSN', 'uint32'), sparse('bufferOffset', 'uint32'), sparse('desiredDataTransferLength', 'uint32'),
  sparse('senseKey', 'uint8'), sparse('asc', 'uint8'), sparse('ascq', 'uint8'),
  // Task Management
  sparse('tmfFunction', 'uint8'), sparse('tmfFunctionName', 'string'), sparse('referencedTaskTag', 'uint32'), sparse('refCmdSN', 'uint32'),
  // Login, Text, Logout
  sparse('transit', 'bool'), sparse('continue', 'bool'), sparse('csg', 'uint8'), sparse('nsg', 'uint8'), sparse('isid', 'string'),
  sparse('tsih', 'uint16'), sparse('cid', 'uint16'), sparse('loginStatusClass', 'uint8'), sparse('loginStatusDetail', 'uint8'),
  sparse('loginStatusText', 'string'), sparse('keys', 'json'), sparse('logoutReason', 'uint8'), sparse('time2Wait', 'uint16'), sparse('time2Retain', 'uint16'),
  // SNACK, Async Message, Reject
  sparse('snackType', 'uint8'), sparse('begRun', 'uint32'), sparse('runLength', 'uint32'),
  sparse('asyncEvent', 'uint8'), sparse('asyncVCode', 'uint8'), sparse('parameter1', 'uint16'), sparse('parameter2', 'uint16'), sparse('parameter3', 'uint16'),
  sparse('rejectReason', 'uint8'), sparse('rejectedOpcode', 'uint8'), sparse('rejectedItt', 'uint32'),
];

/** `findings`: the keys every finding has, typed; the detail keys of its kind as one JSON object. */
export const FINDING_COLUMNS: readonly ParquetColumn[] = [
  col('capture', 'string', true), col('kind', 'string', true), col('severity', 'string', true),
  col('conn', 'int32'), col('conns', 'json'), col('time', 'timestampNs'), col('frame', 'int64'), col('frames', 'json'),
  col('field', 'string'), col('message', 'string', true), col('details', 'json'),
];

/** `tcp` (docs/findings.md "tcp --format jsonl"): one row per TCP event; `events` as a JSON array of names. */
export const TCP_COLUMNS: readonly ParquetColumn[] = [
  col('capture', 'string', true), col('frame', 'int64', true), col('time', 'timestampNs'), col('tcpConn', 'int32', true),
  col('conn', 'int32'), col('dir', 'string'), col('events', 'json'), col('seq', 'uint32'), col('ack', 'uint32'),
  col('len', 'uint32'), col('win', 'uint32'),
];

const FINDING_KEYS = new Set(FINDING_COLUMNS.map((c) => c.name));

export function findingRow(f: Finding): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(f)) {
    if (FINDING_KEYS.has(k) || v === undefined) continue;
    details[k] = v;
    any = true;
  }
  return { ...f, details: any ? details : undefined };
}

export interface TableWriter {
  add(row: Readonly<Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
  abandon(): Promise<void>;
}

export type TableKind = 'pdus' | 'findings' | 'tcp';

const SCHEMAS: Record<TableKind, readonly ParquetColumn[]> = { pdus: PDU_COLUMNS, findings: FINDING_COLUMNS, tcp: TCP_COLUMNS };

/** A Parquet file of one of the CLI's tables, every row stamped with the capture's name. */
export async function openTable(kind: TableKind, path: string, capture: string): Promise<TableWriter> {
  const failed = (e: unknown): never => { throw outputError(path, e); };
  const w = await ParquetFileWriter.create(path, SCHEMAS[kind], {
    metadata: { 'iscsi-inspect.table': kind, 'iscsi-inspect.capture': capture }, fixed: { capture },
  }).catch(failed);
  return {
    add: (row) => w.add(kind === 'findings' ? findingRow(row as Finding) : row).catch(failed),
    close: () => w.close().catch(failed),
    // Not a Parquet file without its footer: no file is better than one no reader can open (only
    // ever a regular file: -o /dev/stdout or a FIFO is not ours to remove).
    abandon: async () => {
      await w.abandon().catch(() => {});
      if ((await lstat(path).catch(() => undefined))?.isFile()) await rm(path, { force: true }).catch(() => {});
    },
  };
}
