/**
 * ECFP4 as DeepChem's CircularFingerprint computed it: RDKit Morgan fingerprint, radius 2, folded to 1024 bits, no
 * chirality, default atom invariants. Returns set-bit indices (SparseBits) rather than dense rows, plus each row's
 * parse outcome. A pure function of (RDKit module, SMILES[]), with no Node imports, so a Web Worker in a browser
 * can run the same code the CLI's worker threads run. If RDKit crashes on a row (rdkit-crash.ts: a trap, an escaped
 * exception, or its stack run over, checked after every molecule), the rows before it and that row (failed, with
 * the reason) travel in the RDKitCrashError, so a caller with a fresh RDKit can go on after it.
 */
import type { MoleculeLimits } from './molecule-limits.ts';
import { MOL_FAILED, crashOf, parseMolecule, type Mol, type MolStatus, type ParsedMolecule, type RDKitModule } from './parse-molecule.ts';
import { RDKitCrashError, STACK_OVERFLOW_REASON, stackOverflowed } from './rdkit-crash.ts';
import type { SparseBits } from './sparse-bits.ts';

export interface EcfpParams {
  radius: number;
  nBits: number;
}

export const ECFP4_1024: EcfpParams = { radius: 2, nBits: 1024 };

export interface EcfpResult {
  /** One row per input SMILES; a failed row has no bits. */
  bits: SparseBits;
  status: Uint8Array;
  /** Why each failed row failed (null for rows that parsed). */
  reasons: (string | null)[];
}

export function ecfpOfSmiles(rdkit: RDKitModule, smiles: readonly string[], params: EcfpParams = ECFP4_1024, limits?: MoleculeLimits): EcfpResult {
  if (params.nBits % 8 !== 0 || params.nBits > 65536) throw new Error(`nBits must be a multiple of 8 and ≤ 65536, got ${params.nBits}`);
  const details = JSON.stringify({ radius: params.radius, nBits: params.nBits });
  const status = new Uint8Array(smiles.length);
  const reasons: (string | null)[] = new Array(smiles.length).fill(null);
  const offsets = new Uint32Array(smiles.length + 1);
  let indices = new Uint16Array(Math.max(64, smiles.length * 48));
  let used = 0;
  const fail = (r: number, reason: string) => {
    status[r] = MOL_FAILED;
    reasons[r] = reason;
    offsets[r + 1] = used;
  };
  // Rows 0..r, row r failed for `reason`: what a caller keeps when RDKit crashes on row r.
  const upTo = (r: number, reason: string): EcfpResult => {
    fail(r, reason);
    return { bits: { nBits: params.nBits, offsets: offsets.slice(0, r + 2), indices: indices.slice(0, used) }, status: status.slice(0, r + 1), reasons: reasons.slice(0, r + 1) };
  };
  for (let r = 0; r < smiles.length; r++) {
    let parsed: ParsedMolecule;
    let fp: { packed: Uint8Array } | { reason: string };
    try {
      parsed = parseMolecule(rdkit, smiles[r], limits);
      fp = parsed.mol === null ? { reason: parsed.reason } : fingerprint(rdkit, parsed.mol, details);
    } catch (e) {
      const crash = crashOf(rdkit, e);
      if (!crash) throw e;
      throw new RDKitCrashError(r, crash, upTo(r, crash));
    }
    if (stackOverflowed(rdkit)) throw new RDKitCrashError(r, STACK_OVERFLOW_REASON, upTo(r, STACK_OVERFLOW_REASON));
    if ('reason' in fp) {
      fail(r, fp.reason);
      continue;
    }
    const packed = fp.packed;
    status[r] = parsed.status as MolStatus;
    if (used + params.nBits > indices.length) {
      const grown = new Uint16Array(Math.max(indices.length * 2, used + params.nBits));
      grown.set(indices.subarray(0, used));
      indices = grown;
    }
    // Bit i is bit (i mod 8) of byte ⌊i/8⌋, least significant first, as RDKit's ExplicitBitVect packs it.
    for (let b = 0; b < packed.length; b++) {
      let byte = packed[b];
      while (byte !== 0) {
        const low = byte & -byte;
        indices[used++] = b * 8 + (31 - Math.clz32(low));
        byte ^= low;
      }
    }
    offsets[r + 1] = used;
  }
  return { bits: { nBits: params.nBits, offsets, indices: indices.slice(0, used) }, status, reasons };
}

/** The packed fingerprint of `mol`, which it frees; an RDKit failure is thrown (a crashed module cannot free it). */
function fingerprint(rdkit: RDKitModule, mol: Mol, details: string): { packed: Uint8Array } | { reason: string } {
  try {
    const packed = mol.get_morgan_fp_as_uint8array(details);
    mol.delete();
    return { packed };
  } catch (e) {
    if (crashOf(rdkit, e)) throw e;
    mol.delete();
    return { reason: `RDKit failed computing the fingerprint: ${String(e)}` };
  }
}
