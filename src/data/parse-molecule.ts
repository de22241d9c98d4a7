/**
 * How a SMILES string becomes an RDKit molecule for every consumer here (fingerprints, scaffolds), so they agree on
 * which rows failed. Full sanitization first; a molecule that fails it is retried with `{"sanitize": false}` and
 * flagged, because Tox21 writes aluminium as `[AlH3]`, which RDKit of 2017 accepted and current RDKit rejects, and
 * dropping those 8 rows would change DeepChem's split sizes. Pure: takes the RDKit module, imports only its types.
 */
import type { MainModule as RDKitModule, Mol } from '@rdkit/rdkit';

export type { RDKitModule, Mol };

/** Per-row outcome codes, stored as bytes in results and in the feature cache. */
export const MOL_OK = 0;
export const MOL_UNSANITIZED = 1;
export const MOL_FAILED = 2;
export type MolStatus = typeof MOL_OK | typeof MOL_UNSANITIZED | typeof MOL_FAILED;

// Stereo perception (CIP ranks) is skipped: neither non-chiral ECFP nor non-isomeric scaffolds read it, and it is
// a tenth of the parse time. The reference-fingerprint test checks that this changes no bit.
const SANITIZED = '{"assignStereo":false}';
const UNSANITIZED = '{"sanitize":false,"assignStereo":false}';

export type ParsedMolecule =
  | { mol: Mol; status: typeof MOL_OK | typeof MOL_UNSANITIZED }
  | { mol: null; status: typeof MOL_FAILED; reason: string };

/** The caller owns `mol` and must `delete()` it (it lives in wasm memory, which no GC reclaims). */
export function parseMolecule(rdkit: RDKitModule, smiles: string): ParsedMolecule {
  if (smiles.trim() === '') return { mol: null, status: MOL_FAILED, reason: 'empty SMILES' };
  const full = tryGetMol(rdkit, smiles, SANITIZED);
  if (full) return { mol: full, status: MOL_OK };
  const raw = tryGetMol(rdkit, smiles, UNSANITIZED);
  if (raw) return { mol: raw, status: MOL_UNSANITIZED };
  return { mol: null, status: MOL_FAILED, reason: 'RDKit cannot parse the SMILES, even without sanitization' };
}

function tryGetMol(rdkit: RDKitModule, smiles: string, details: string): Mol | null {
  let mol: Mol | null = null;
  try {
    mol = rdkit.get_mol(smiles, details);
  } catch {
    mol = null; // some malformed inputs throw a wasm exception instead of returning null
  }
  if (mol && (!mol.is_valid() || mol.get_num_atoms() === 0)) {
    mol.delete();
    return null;
  }
  return mol;
}
