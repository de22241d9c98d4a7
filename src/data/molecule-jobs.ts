/**
 * The two per-molecule computations that are worth spreading over threads (ECFP fingerprints, Murcko scaffolds),
 * as plain data in and out so the same job runs in the main thread, a Node worker or a browser Web Worker, and
 * chunks computed apart join back in row order. Pure: no Node imports.
 */
import { ecfpOfSmiles, type EcfpParams, type EcfpResult } from './ecfp.ts';
import { murckoScaffolds } from './murcko.ts';
import type { RDKitModule } from './parse-molecule.ts';
import { concatRows } from './sparse-bits.ts';

export type MoleculeJob = { kind: 'ecfp'; params: EcfpParams } | { kind: 'scaffold' };

export interface JobResults {
  ecfp: EcfpResult;
  scaffold: { scaffolds: (string | null)[] };
}

export type JobResult<J extends MoleculeJob> = JobResults[J['kind']];

export function runMoleculeJob<J extends MoleculeJob>(rdkit: RDKitModule, job: J, smiles: readonly string[]): JobResult<J> {
  if (job.kind === 'ecfp') return ecfpOfSmiles(rdkit, smiles, job.params) as JobResult<J>;
  return { scaffolds: murckoScaffolds(rdkit, smiles) } as JobResult<J>;
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
