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
  col('scsiOpcode', 'uint8'), col('scsiOpcodeName', 'string'), col('cdb', 'string'), col('read', 'bool'), col('write', 'bool'),
  col('expectedDataTransferLength', 'uint32'), col('response', 'uint8'), col('status', 'uint8'), col('statusPresent', 'bool'),
  col('residualCount', 'uint32'), col('expDataSN', 'uint32'), col('bufferOffset', 'uint32'), col('desiredDataTransferLength', 'uint32'),
  col('senseKey', 'uint8'), col('asc', 'uint8'), col('ascq', 'uint8'),
  // Task Management
  col('tmfFunction', 'uint8'), col('tmfFunctionName', 'string'), col('referencedTaskTag', 'uint32'), col('refCmdSN', 'uint32'),
  // Login, Text, Logout
  col('transit', 'bool'), col('continue', 'bool'), col('csg', 'uint8'), col('nsg', 'uint8'), col('isid', 'string'),
  col('tsih', 'uint16'), col('cid', 'uint16'), col('loginStatusClass', 'uint8'), col('loginStatusDetail', 'uint8'),
  col('loginStatusText', 'string'), col('keys', 'json'), col('logoutReason', 'uint8'), col('time2Wait', 'uint16'), col('time2Retain', 'uint16'),
  // SNACK, Async Message, Reject
  col('snackType', 'uint8'), col('begRun', 'uint32'), col('runLength', 'uint32'),
  col('asyncEvent', 'uint8'), col('asyncVCode', 'uint8'), col('parameter1', 'uint16'), col('parameter2', 'uint16'), col('parameter3', 'uint16'),
  col('rejectReason', 'uint8'), col('rejectedOpcode', 'uint8'), col('rejectedItt', 'uint32'),
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
  const w = await ParquetFileWriter.create(path, SCHEMAS[kind], { metadata: { 'iscsi-inspect.table': kind, 'iscsi-inspect.capture': capture } }).catch(failed);
  return {
    add: (row) => w.add(kind === 'findings' ? { ...findingRow(row as Finding), capture } : { ...row, capture }).catch(failed),
    close: () => w.close().catch(failed),
    // Not a Parquet file without its footer: no file is better than one no reader can open (only
    // ever a regular file: -o /dev/stdout or a FIFO is not ours to remove).
    abandon: async () => {
      await w.abandon().catch(() => {});
      if ((await lstat(path).catch(() => undefined))?.isFile()) await rm(path, { force: true }).catch(() => {});
    },
  };
}
