// src/data/molecule-worker.ts
import { parentPort, workerData } from "node:worker_threads";

// src/data/parse-molecule.ts
var MOL_OK = 0;
var MOL_UNSANITIZED = 1;
var MOL_FAILED = 2;
var SANITIZED = '{"assignStereo":false}';
var UNSANITIZED = '{"sanitize":false,"assignStereo":false}';
function parseMolecule(rdkit2, smiles) {
  if (smiles.trim() === "") return { mol: null, status: MOL_FAILED, reason: "empty SMILES" };
  const full = tryGetMol(rdkit2, smiles, SANITIZED);
  if (full) return { mol: full, status: MOL_OK };
  const raw = tryGetMol(rdkit2, smiles, UNSANITIZED);
  if (raw) return { mol: raw, status: MOL_UNSANITIZED };
  return { mol: null, status: MOL_FAILED, reason: "RDKit cannot parse the SMILES, even without sanitization" };
}
function tryGetMol(rdkit2, smiles, details) {
  let mol = null;
  try {
    mol = rdkit2.get_mol(smiles, details);
  } catch {
    mol = null;
  }
  if (mol && (!mol.is_valid() || mol.get_num_atoms() === 0)) {
    mol.delete();
    return null;
  }
  return mol;
}

// src/data/ecfp.ts
var ECFP4_1024 = { radius: 2, nBits: 1024 };
function ecfpOfSmiles(rdkit2, smiles, params = ECFP4_1024) {
  if (params.nBits % 8 !== 0 || params.nBits > 65536) throw new Error(`nBits must be a multiple of 8 and \u2264 65536, got ${params.nBits}`);
  const details = JSON.stringify({ radius: params.radius, nBits: params.nBits });
  const status = new Uint8Array(smiles.length);
  const reasons = new Array(smiles.length).fill(null);
  const offsets = new Uint32Array(smiles.length + 1);
  let indices = new Uint16Array(Math.max(64, smiles.length * 48));
  let used = 0;
  for (let r = 0; r < smiles.length; r++) {
    const parsed = parseMolecule(rdkit2, smiles[r]);
    status[r] = parsed.status;
    if (parsed.mol === null) {
      reasons[r] = parsed.reason;
      offsets[r + 1] = used;
      continue;
    }
    let packed;
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

// src/data/murcko.ts
function murckoAtoms(nAtoms, bonds) {
  const adj = Array.from({ length: nAtoms }, () => []);
  bonds.forEach((b, i) => {
    adj[b.atoms[0]].push({ to: b.atoms[1], bond: i });
    adj[b.atoms[1]].push({ to: b.atoms[0], bond: i });
  });
  const inRing = ringAtoms(nAtoms, adj);
  const keep = new Uint8Array(nAtoms).fill(1);
  const degree = adj.map((a) => a.length);
  const leaves = [];
  for (let a = 0; a < nAtoms; a++) if (!inRing[a] && degree[a] <= 1) leaves.push(a);
  while (leaves.length > 0) {
    const a = leaves.pop();
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
function ringAtoms(n, adj) {
  const inRing = new Uint8Array(n);
  const order = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (order[root] >= 0) continue;
    const stack = [{ atom: root, viaBond: -1, next: 0 }];
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
            inRing[parent] = 1;
            inRing[top.atom] = 1;
          }
        }
      }
    }
  }
  return inRing;
}
function murckoScaffoldOfMol(rdkit2, mol) {
  const doc = JSON.parse(mol.get_json());
  const m = doc.molecules[0];
  const bondOrder = (b) => b.bo ?? doc.defaults.bond.bo ?? 1;
  const keep = murckoAtoms(
    m.atoms.length,
    m.bonds.map((b) => ({ atoms: b.atoms, order: bondOrder(b) }))
  );
  if (!keep.some((k) => k === 1)) return "";
  const newIndex = new Int32Array(m.atoms.length).fill(-1);
  const atoms = [];
  const lostHs = new Array(m.atoms.length).fill(0);
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
  const bonds = [];
  m.bonds.forEach((b, i) => {
    if (!keep[b.atoms[0]] || !keep[b.atoms[1]]) return;
    bondIndex[i] = bonds.length;
    const { stereo: _stereo, ...rest } = b;
    bonds.push({ ...rest, atoms: [newIndex[b.atoms[0]], newIndex[b.atoms[1]]] });
  });
  const extensions = (m.extensions ?? []).map((ext) => {
    const out = { name: ext.name, formatVersion: ext.formatVersion, toolkitVersion: ext.toolkitVersion };
    if (ext.aromaticAtoms) out.aromaticAtoms = ext.aromaticAtoms.map((a) => newIndex[a]).filter((a) => a >= 0);
    if (ext.aromaticBonds) out.aromaticBonds = ext.aromaticBonds.map((b) => bondIndex[b]).filter((b) => b >= 0);
    return out;
  });
  const fragment = JSON.stringify({ ...doc, molecules: [{ atoms, bonds, extensions }] });
  let scaffold = rdkit2.get_mol(fragment);
  if (!scaffold || !scaffold.is_valid()) {
    scaffold?.delete();
    scaffold = rdkit2.get_mol(fragment, '{"sanitize":false}');
  }
  if (!scaffold) throw new Error("RDKit rejected the scaffold fragment");
  try {
    return scaffold.get_smiles('{"doIsomericSmiles":false}');
  } finally {
    scaffold.delete();
  }
}
function murckoScaffolds(rdkit2, smiles) {
  return smiles.map((s) => {
    const parsed = parseMolecule(rdkit2, s);
    if (parsed.mol === null) return null;
    try {
      return murckoScaffoldOfMol(rdkit2, parsed.mol);
    } finally {
      parsed.mol.delete();
    }
  });
}

// src/data/molecule-jobs.ts
function runMoleculeJob(rdkit2, job, smiles) {
  if (job.kind === "ecfp") return ecfpOfSmiles(rdkit2, smiles, job.params);
  return { scaffolds: murckoScaffolds(rdkit2, smiles) };
}

// src/data/rdkit-node.ts
import initRDKitModule from "@rdkit/rdkit";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
var compiling = null;
var loading = null;
function rdkitWasmModule() {
  compiling ??= WebAssembly.compile(readFileSync(join(packageDir(), "dist", "RDKit_minimal.wasm")));
  return compiling;
}
function loadRDKit(shared) {
  loading ??= (async () => {
    const module = shared ?? await rdkitWasmModule();
    return initRDKitModule({
      // Emscripten's hook for supplying the instance ourselves instead of fetching and compiling the file.
      instantiateWasm(imports, done) {
        void WebAssembly.instantiate(module, imports).then((instance) => done(instance, module));
        return {};
      }
    });
  })();
  return loading;
}
function packageDir() {
  return join(dirname(createRequire(import.meta.url).resolve("@rdkit/rdkit")), "..");
}

// src/data/molecule-worker.ts
var port = parentPort;
if (!port) throw new Error("molecule-worker.ts must run as a worker thread");
var rdkit = await loadRDKit(workerData?.wasm);
port.postMessage({ ready: true });
port.on("message", (req) => {
  try {
    port.postMessage({ chunk: req.chunk, result: runMoleculeJob(rdkit, req.job, req.smiles) });
  } catch (e) {
    port.postMessage({ chunk: req.chunk, error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
