/**
 * The two per-molecule computations that are worth spreading over threads (ECFP fingerprints, Murcko scaffolds),
 * as plain data in and out so the same job runs in the main thread, a Node worker or a browser Web Worker, and
 * chunks computed apart join back in row order. A crash of RDKit's wasm fails only the row that caused it:
 * `runMoleculeJobSafely` replaces the crashed module with a fresh instance (from the thread's loader) and goes on
 * with the next row; the synchronous `runMoleculeJob` cannot wait for a new instance, so it throws instead of going
 * on with a broken one. Pure: no Node imports.
 */
import { ecfpOfSmiles, type EcfpParams, type EcfpResult } from './ecfp.ts';
import type { MoleculeLimits } from './molecule-limits.ts';
import { murckoScaffolds } from './murcko.ts';
import type { RDKitModule } from './parse-molecule.ts';
import { RDKitCrashError, hasCrashed } from './rdkit-crash.ts';
import { concatRows } from './sparse-bits.ts';

/** `limits` defaults to DEFAULT_LIMITS (molecule-limits.ts); a job is plain data, posted to workers as it is. */
export type MoleculeJob = { kind: 'ecfp'; params: EcfpParams; limits?: MoleculeLimits } | { kind: 'scaffold'; limits?: MoleculeLimits };

export interface JobResults {
  ecfp: EcfpResult;
  scaffold: { scaffolds: (string | null)[] };
}

export type JobResult<J extends MoleculeJob> = JobResults[J['kind']];

/** This thread's RDKit; once the module it gave has crashed, it must give a fresh instance (loadRDKit does). */
export type RDKitLoader = () => Promise<RDKitModule>;

/** Throws RDKitCrashError (its `partial` a JobResult of rows 0..row) when RDKit crashes; `rdkit` is then spent. */
export function runMoleculeJob<J extends MoleculeJob>(rdkit: RDKitModule, job: J, smiles: readonly string[]): JobResult<J> {
  if (hasCrashed(rdkit)) throw new Error('this RDKit instance crashed on an earlier molecule and cannot be used again; load a fresh one');
  if (job.kind === 'ecfp') return ecfpOfSmiles(rdkit, smiles, job.params, job.limits) as JobResult<J>;
  try {
    return { scaffolds: murckoScaffolds(rdkit, smiles, job.limits) } as JobResult<J>;
  } catch (e) {
    if (e instanceof RDKitCrashError) throw new RDKitCrashError(e.row, e.reason, { scaffolds: e.partial });
    throw e;
  }
}

/**
 * The job, surviving crashes: a row that crashes RDKit fails with the reason, `load` gives a fresh instance, and the
 * job resumes on the next row. Each crash costs a new wasm instance (~5 ms from the compiled module).
 */
export async function runMoleculeJobSafely<J extends MoleculeJob>(load: RDKitLoader, job: J, smiles: readonly string[]): Promise<JobResult<J>> {
  const parts: JobResult<J>[] = [];
  let start = 0;
  while (start < smiles.length || parts.length === 0) {
    const rdkit = await load();
    if (hasCrashed(rdkit)) throw new Error('RDKit crashed and its loader gave the crashed instance again; no fresh RDKit could be had');
    try {
      parts.push(runMoleculeJob(rdkit, job, start === 0 ? smiles : smiles.slice(start)));
      break;
    } catch (e) {
      if (!(e instanceof RDKitCrashError) || e.partial === null) throw e;
      parts.push(e.partial as JobResult<J>);
      start += e.row + 1;
    }
  }
  return parts.length === 1 ? parts[0] : joinJobResults(job, parts);
}

/** Joins results of consecutive chunks, in order. */
export function joinJobResults<J extends MoleculeJob>(job: J, parts: JobResult<J>[]): JobResult<J> {
  if (job.kind === 'ecfp') {
    const ps = parts as EcfpResult[];
    const status = new Uint8Array(ps.reduce((s, p) => s + p.status.length, 0));
    let at = 0;
    for (const p of ps) {
      status.set(p.status, at);
      at += p.status.length;
    }
    return { bits: concatRows(ps.map((p) => p.bits)), status, reasons: ps.flatMap((p) => p.reasons) } as JobResult<J>;
  }
  return { scaffolds: (parts as JobResults['scaffold'][]).flatMap((p) => p.scaffolds) } as JobResult<J>;
}
