/**
 * Bemis–Murcko scaffolds for the scaffold split, as DeepChem computes them (RDKit `MurckoScaffoldSmiles`, no
 * chirality). RDKit MinimalLib has no Murcko function, so this re-implements RDKit's `MurckoDecompose` on the
 * molecule's JSON: keep ring atoms and the linker atoms on paths between rings, keep an atom double-bonded to a kept
 * atom (a carbonyl O on a ring stays), drop the rest, give each kept atom a hydrogen per bond order it lost (what
 * RDKit's implicit-H recount yields), then let RDKit sanitize the fragment and write canonical non-isomeric SMILES.
 * A molecule without rings has the empty scaffold "" (DeepChem groups all of them together).
 * Pure: takes the RDKit module; no Node imports.
 */
import type { MoleculeLimits } from './molecule-limits.ts';
import { crashOf, parseMolecule, type Mol, type RDKitModule } from './parse-molecule.ts';
import { RDKitCrashError, STACK_OVERFLOW_REASON, stackOverflowed } from './rdkit-crash.ts';

interface JsonAtom {
  z?: number;
  impHs?: number;
  chg?: number;
  nRad?: number;
  isotope?: number;
  stereo?: string;
}
interface JsonBond {
  bo?: number;
  atoms: [number, number];
  stereo?: string;
}
interface JsonExtension {
  name: string;
  aromaticAtoms?: number[];
  aromaticBonds?: number[];
  [key: string]: unknown;
}
interface RdkitJson {
  defaults: { atom: JsonAtom; bond: JsonBond };
  molecules: { atoms: JsonAtom[]; bonds: JsonBond[]; extensions?: JsonExtension[] }[];
  [key: string]: unknown;
}

/** Which atoms the scaffold keeps: ring atoms, linkers between rings, and atoms double-bonded to either. */
export function murckoAtoms(nAtoms: number, bonds: { atoms: [number, number]; order: number }[]): Uint8Array {
  const adj: { to: number; bond: number }[][] = Array.from({ length: nAtoms }, () => []);
  bonds.forEach((b, i) => {
    adj[b.atoms[0]].push({ to: b.atoms[1], bond: i });
    adj[b.atoms[1]].push({ to: b.atoms[0], bond: i });
  });
  const inRing = ringAtoms(nAtoms, adj);
  // Side chains are the trees hanging off rings and linkers: peel non-ring leaves until none is left. What stays
  // is the union of paths between ring atoms, the set RDKit marks from its shortest-path matrix.
  const keep = new Uint8Array(nAtoms).fill(1);
  const degree = adj.map((a) => a.length);
  const leaves: number[] = [];
  for (let a = 0; a < nAtoms; a++) if (!inRing[a] && degree[a] <= 1) leaves.push(a);
  while (leaves.length > 0) {
    const a = leaves.pop()!;
    if (!keep[a]) continue;
    keep[a] = 0;
    for (const { to } of adj[a]) {
      if (keep[to] && !inRing[to] && --degree[to] <= 1) leaves.push(to);
    }
  }
  const out = keep.slice();
  for (let a = 0; a < nAtoms; a++) {
    if (keep[a]) continue;
    if (adj[a].some(({ to, bond }) => keep[to] && bonds[bond].order === 2)) out[a] = 1;
  }
  return out;
}

/** Atoms on a cycle: those touching a bond that is not a bridge (Tarjan's low-link, iterative). */
function ringAtoms(n: number, adj: { to: number; bond: number }[][]): Uint8Array {
  const inRing = new Uint8Array(n);
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] >= 0) continue;
    const stack: { atom: number; viaBond: number; next: number }[] = [{ atom: root, viaBond: -1, next: 0 }];
    order[root] = low[root] = counter++;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < adj[top.atom].length) {
        const { to, bond } = adj[top.atom][top.next++];
        if (bond === top.viaBond) continue;
        if (order[to] < 0) {
          order[to] = low[to] = counter++;
          stack.push({ atom: to, viaBond: bond, next: 0 });
        } else {
          low[top.atom] = Math.min(low[top.atom], order[to]);
        }
      } else {
        stack.pop();
        if (stack.length > 0) {
          const parent = stack[stack.length - 1].atom;
          low[parent] = Math.min(low[parent], low[top.atom]);
          if (low[top.atom] <= order[parent]) {
            // the bond parent–top lies on a cycle
            inRing[parent] = 1;
            inRing[top.atom] = 1;
          }
        }
      }
    }
  }
  return inRing;
}

/** Canonical non-isomeric SMILES of the Murcko scaffold of `mol`; "" when it has no ring. */
export function murckoScaffoldOfMol(rdkit: RDKitModule, mol: Mol): string {
  const doc = JSON.parse(mol.get_json()) as RdkitJson;
  const m = doc.molecules[0];
  const bondOrder = (b: JsonBond) => b.bo ?? doc.defaults.bond.bo ?? 1;
  const keep = murckoAtoms(
    m.atoms.length,
    m.bonds.map((b) => ({ atoms: b.atoms, order: bondOrder(b) })),
  );
  if (!keep.some((k) => k === 1)) return '';

  const newIndex = new Int32Array(m.atoms.length).fill(-1);
  const atoms: JsonAtom[] = [];
  const lostHs = new Array<number>(m.atoms.length).fill(0);
  for (const b of m.bonds) {
    const [a, c] = b.atoms;
    if (keep[a] && !keep[c]) lostHs[a] += bondOrder(b);
    if (keep[c] && !keep[a]) lostHs[c] += bondOrder(b);
  }
  m.atoms.forEach((atom, i) => {
    if (!keep[i]) return;
    newIndex[i] = atoms.length;
    const { stereo: _stereo, ...rest } = atom;
    atoms.push({ ...rest, impHs: (atom.impHs ?? doc.defaults.atom.impHs ?? 0) + lostHs[i] });
  });
  const bondIndex = new Int32Array(m.bonds.length).fill(-1);
  const bonds: JsonBond[] = [];
  m.bonds.forEach((b, i) => {
    if (!keep[b.atoms[0]] || !keep[b.atoms[1]]) return;
    bondIndex[i] = bonds.length;
    const { stereo: _stereo, ...rest } = b;
    bonds.push({ ...rest, atoms: [newIndex[b.atoms[0]], newIndex[b.atoms[1]]] });
  });
  // Aromatic flags must follow the renumbering (an unsanitized molecule's aromatic bonds have order 0 and only
  // the flags say what they are); ranks and ring lists would be stale, so they go.
  const extensions = (m.extensions ?? []).map((ext) => {
    const out: JsonExtension = { name: ext.name, formatVersion: ext.formatVersion, toolkitVersion: ext.toolkitVersion };
    if (ext.aromaticAtoms) out.aromaticAtoms = ext.aromaticAtoms.map((a) => newIndex[a]).filter((a) => a >= 0);
    if (ext.aromaticBonds) out.aromaticBonds = ext.aromaticBonds.map((b) => bondIndex[b]).filter((b) => b >= 0);
    return out;
  });
  const fragment = JSON.stringify({ ...doc, molecules: [{ atoms, bonds, extensions }] });
  let scaffold = rdkit.get_mol(fragment);
  if (!scaffold || !scaffold.is_valid()) {
    scaffold?.delete();
    scaffold = rdkit.get_mol(fragment, '{"sanitize":false}');
  }
  if (!scaffold) throw new Error('RDKit rejected the scaffold fragment');
  try {
    return scaffold.get_smiles('{"doIsomericSmiles":false}');
  } finally {
    scaffold.delete();
  }
}

/**
 * Scaffold of each SMILES; null where the molecule does not parse (those rows are not in the dataset). When RDKit
 * crashes on row r, the RDKitCrashError carries the scaffolds of rows 0..r (row r null).
 */
export function murckoScaffolds(rdkit: RDKitModule, smiles: readonly string[], limits?: MoleculeLimits): (string | null)[] {
  const out: (string | null)[] = [];
  for (let r = 0; r < smiles.length; r++) {
    let mol: Mol | null = null;
    try {
      mol = parseMolecule(rdkit, smiles[r], limits).mol;
      out.push(mol === null ? null : murckoScaffoldOfMol(rdkit, mol));
      mol?.delete();
    } catch (e) {
      const crash = crashOf(rdkit, e);
      if (crash) throw new RDKitCrashError(r, crash, [...out.slice(0, r), null]); // a crashed module cannot free the molecule
      mol?.delete();
      throw e;
    }
    if (stackOverflowed(rdkit)) throw new RDKitCrashError(r, STACK_OVERFLOW_REASON, [...out.slice(0, r), null]);
  }
  return out;
}
