/**
 * ECFP4 as DeepChem's CircularFingerprint computed it: RDKit Morgan fingerprint, radius 2, folded to 1024 bits, no
 * chirality, default atom invariants. Returns set-bit indices (SparseBits) rather than dense rows, plus each row's
 * parse outcome. A pure function of (RDKit module, SMILES[]), with no Node imports, so a Web Worker in a browser
 * can run the same code the CLI's worker threads run.
 */
import { MOL_FAILED, parseMolecule, type MolStatus, type RDKitModule } from './parse-molecule.ts';
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

export function ecfpOfSmiles(rdkit: RDKitModule, smiles: readonly string[], params: EcfpParams = ECFP4_1024): EcfpResult {
  if (params.nBits % 8 !== 0 || params.nBits > 65536) throw new Error(`nBits must be a multiple of 8 and ≤ 65536, got ${params.nBits}`);
  const details = JSON.stringify({ radius: params.radius, nBits: params.nBits });
  const status = new Uint8Array(smiles.length);
  const reasons: (string | null)[] = new Array(smiles.length).fill(null);
  const offsets = new Uint32Array(smiles.length + 1);
  let indices = new Uint16Array(Math.max(64, smiles.length * 48));
  let used = 0;
  for (let r = 0; r < smiles.length; r++) {
    const parsed = parseMolecule(rdkit, smiles[r]);
    status[r] = parsed.status as MolStatus;
    if (parsed.mol === null) {
      reasons[r] = parsed.reason;
      offsets[r + 1] = used;
      continue;
    }
    let packed: Uint8Array;
    try {
      packed = parsed.mol.get_morgan_fp_as_uint8array(details);
    } catch (e) {
      status[r] = MOL_FAILED;
      reasons[r] = `RDKit failed computing the fingerprint: ${String(e)}`;
      offsets[r + 1] = used;
      continue;
    } finally {
      parsed.mol.delete();
    }
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
