/**
 * How a SMILES string becomes an RDKit molecule for every consumer here (fingerprints, scaffolds), so they agree on
 * which rows failed. Full sanitization first; a molecule that fails it is retried with `{"sanitize": false}` and
 * flagged, because Tox21 writes aluminium as `[AlH3]`, which RDKit of 2017 accepted and current RDKit rejects, and
 * dropping those 8 rows would change DeepChem's split sizes. A SMILES over the size limits (molecule-limits.ts)
 * fails before RDKit sees it; a crash of RDKit's wasm is thrown as RDKitCrashError (rdkit-crash.ts), never read as
 * "cannot parse", because the module is unusable afterwards. Pure: takes the RDKit module, imports only its types.
 */
import type { MainModule as RDKitModule, Mol } from '@rdkit/rdkit';
import { DEFAULT_LIMITS, limitReason, type MoleculeLimits } from './molecule-limits.ts';
import { RDKitCrashError, crashReason, isWasmFailure, markCrashed } from './rdkit-crash.ts';

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

/**
 * The caller owns `mol` and must `delete()` it (it lives in wasm memory, which no GC reclaims). Throws
 * RDKitCrashError (row 0: the caller knows its row) when RDKit crashes; `rdkit` is then marked crashed.
 */
export function parseMolecule(rdkit: RDKitModule, smiles: string, limits: MoleculeLimits = DEFAULT_LIMITS): ParsedMolecule {
  if (smiles.trim() === '') return { mol: null, status: MOL_FAILED, reason: 'empty SMILES' };
  const tooBig = limitReason(smiles, limits);
  if (tooBig) return { mol: null, status: MOL_FAILED, reason: tooBig };
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
    if (mol && (!mol.is_valid() || mol.get_num_atoms() === 0)) {
      mol.delete();
      return null;
    }
  } catch (e) {
    const crash = crashOf(rdkit, e);
    if (crash) throw new RDKitCrashError(0, crash);
    throw e; // not RDKit's failure but the caller's (a binding misused)
  }
  return mol;
}

/** When `e` is a failure of RDKit's wasm: marks `rdkit` crashed and gives the row's reason; otherwise null. */
export function crashOf(rdkit: RDKitModule, e: unknown): string | null {
  if (e instanceof RDKitCrashError) return e.reason;
  if (!isWasmFailure(e)) return null;
  markCrashed(rdkit);
  return crashReason(e);
}
