/**
 * What a side of a connection actually sends in its digest slots (RFC 7143 §13.1), as the bytes prove
 * it. The login says what was agreed; some targets do otherwise (istgt answers DataDigest=Reject and
 * then appends a CRC32C to every data segment it sends), so framing believes the wire once a run of
 * PDUs has shown it, and reports where the two differ.
 */

/** Consecutive PDUs that must show a digest (or its absence) against what the login agreed (or with
 *  no login seen) before the framer holds it as the side's habit: one CRC32C that happens to match —
 *  or was forged — proves nothing about the next PDU. What the login agreed needs one PDU to confirm. */
export const DIGEST_PROOF = 3;

export type DigestLength = -1 | 0 | 4;

export class DigestEvidence {
  /** 4: a CRC32C follows, 0: none, -1: not known. What framing assumes where a PDU's bytes cannot say. */
  value: DigestLength = -1;
  /** `value` was shown by DIGEST_PROOF consecutive PDUs (since the login, or since framing was lost). */
  proven = false;
  /** Frame of the first PDU of the run that proved `value`. */
  fromFrame = 0;
  /** How many PDUs in a row showed `value` when it was proven. */
  provenBy = 0;
  private run = 0;
  private runPresent = false;
  private runFrame = 0;
  /** PDUs that showed anything since the login (or since framing was lost). */
  private seen = 0;

  /** What the login agreed (-1: not seen). */
  private agreed: DigestLength = -1;

  reset(value: DigestLength, agreed: DigestLength = -1): void {
    this.agreed = agreed;
    this.value = value;
    this.proven = false;
    this.fromFrame = 0;
    this.provenBy = 0;
    this.run = 0;
    this.seen = 0;
  }

  /** Framing was lost: what was proven may be why, so watch again. */
  doubt(): void {
    this.proven = false;
    this.run = 0;
    this.seen = 0;
  }

  /** One PDU showed the digest present or absent; true when that proves a value it did not hold. */
  observe(present: boolean, frame: number): boolean {
    this.seen++;
    if (this.run > 0 && this.runPresent === present) this.run++;
    else {
      this.run = 1;
      this.runPresent = present;
      this.runFrame = frame;
    }
    if (this.run < (this.agreed >= 0 && (present ? 4 : 0) === this.agreed ? 1 : DIGEST_PROOF)) return false;
    return this.prove();
  }

  /**
   * The stream ended: a run shorter than DIGEST_PROOF that is every PDU the side sent since the login
   * (none showed otherwise) is all the proof there will be — a short connection shows its habit in
   * each PDU it has. True when that proves a value it did not hold.
   */
  settle(): boolean {
    if (this.proven || this.run === 0 || this.run !== this.seen) return false;
    return this.prove();
  }

  private prove(): boolean {
    const v: DigestLength = this.runPresent ? 4 : 0;
    if (this.proven && this.value === v) return false;
    const changed = !this.proven || this.value !== v;
    this.value = v;
    this.proven = true;
    this.fromFrame = this.runFrame;
    this.provenBy = this.run;
    return changed;
  }
}

export interface SideDigests {
  readonly header: DigestEvidence;
  readonly data: DigestEvidence;
}

/** A side proved to send digests the login did not agree on (or none where it agreed CRC32C). */
export interface UnnegotiatedDigest {
  which: 'header' | 'data';
  by: 'initiator' | 'target';
  /** What the login agreed for the connection. */
  negotiated: 'None' | 'CRC32C';
  /** What the side sends. */
  sent: 'None' | 'CRC32C';
  /** Frame of the first PDU of the run that proved it (the frame that completes that PDU). */
  fromFrame: number;
  /** PDUs in a row that showed it: DIGEST_PROOF, or fewer when they were all the side sent. */
  pdus: number;
}

export function digestName(v: DigestLength): 'None' | 'CRC32C' | 'unknown' {
  return v < 0 ? 'unknown' : v === 4 ? 'CRC32C' : 'None';
}
