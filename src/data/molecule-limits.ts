/**
 * Per-molecule size limits, checked on the SMILES text before RDKit sees it. RDKit's wasm build (2026.9.1) walks a
 * molecule recursively with a fixed stack: a chain of ~820 atoms overflows it ("memory access out of bounds"), a
 * system of 200 rings (600 atoms) overflows it silently while its scaffold is taken (rdkit-crash.ts catches that),
 * and a 10 MB SMILES keeps it busy for minutes. Real molecules are far smaller — Tox21's largest is 342 characters
 * and 132 atoms — so a molecule over a limit is not a drug-like compound but a broken or hostile row: it fails
 * alone, with the limit named. The atom count is the SMILES's atom tokens (what RDKit counts, hydrogens in brackets not
 * counted apart), so it costs one pass over the text. Pure (no Node imports).
 */

export interface MoleculeLimits {
  /** Characters of SMILES text. */
  maxSmilesLength: number;
  /** Atoms written in the SMILES (explicit hydrogens inside brackets are not atoms of their own). */
  maxAtoms: number;
}

/**
 * 5,000 characters (~15× Tox21's longest) and 500 atoms (~4× its largest; below the 600 where the first overflow
 * above was seen). Part of what a cached result means: changing them needs feature-cache.ts's FORMAT bumped.
 */
export const DEFAULT_LIMITS: MoleculeLimits = { maxSmilesLength: 5000, maxAtoms: 500 };

/** Atom tokens of a SMILES: bracket atoms, the organic subset (Cl and Br before C and B), aromatic atoms, `*`. */
export function countSmilesAtoms(smiles: string): number {
  let atoms = 0;
  for (let i = 0; i < smiles.length; i++) {
    const c = smiles[i];
    if (c === '[') {
      const close = smiles.indexOf(']', i + 1);
      atoms++;
      if (close < 0) break; // unbalanced: RDKit will refuse it; count what is there
      i = close;
    } else if ('BCNOPSFIbcnops*'.includes(c)) {
      // A '%' ring number or a digit never starts an atom; letters outside the organic subset are syntax errors.
      if ((c === 'C' && smiles[i + 1] === 'l') || (c === 'B' && smiles[i + 1] === 'r')) i++;
      atoms++;
    }
  }
  return atoms;
}

/** Why `smiles` is over `limits`, or null when it is within them. */
export function limitReason(smiles: string, limits: MoleculeLimits = DEFAULT_LIMITS): string | null {
  if (smiles.length > limits.maxSmilesLength) {
    return `SMILES of ${smiles.length} characters, over the limit of ${limits.maxSmilesLength} per molecule (not passed to RDKit)`;
  }
  const atoms = countSmilesAtoms(smiles);
  if (atoms > limits.maxAtoms) return `molecule of ${atoms} atoms, over the limit of ${limits.maxAtoms} per molecule (not passed to RDKit)`;
  return null;
}
