/**
 * `--study NAME [--storage URL]` for the commands that search: opens the store (SQLite by default, PostgreSQL to
 * share a study between machines), creates the study or resumes it — refusing a resume whose space, sampler,
 * pruner, objective or data differ, naming the difference — and turns store errors into one-line CLI errors.
 */
import { openStore, workerName } from '../hpo/open-store.ts';
import { StoreError, type StudyStore } from '../hpo/store.ts';
import type { Study, StudySpec } from '../hpo/store-spec.ts';
import { CliError, CommandFailed } from './cli-error.ts';

export const STUDY_FLAGS = {
  study: { type: 'string' },
  storage: { type: 'string' },
} as const;

export interface OpenedStudy {
  store: StudyStore;
  study: Study;
  url: string;
  worker: string;
  /** Trials it held before this run. */
  before: number;
  close(): Promise<void>;
}

export async function openStudy(command: string, o: { storage?: string }, spec: StudySpec): Promise<OpenedStudy> {
  let store: StudyStore;
  try {
    store = await openStore(o.storage);
  } catch (e) {
    throw storeFailure(command, e);
  }
  try {
    const { study } = await store.getOrCreateStudy(spec);
    const before = (await store.trials(study)).length;
    return { store, study, url: store.url, worker: await workerName(), before, close: () => store.close() };
  } catch (e) {
    await store.close().catch(() => undefined);
    throw storeFailure(command, e);
  }
}

/** A store problem (unreachable server, bad URL, unreadable file, another spec): one line on stderr, exit 1. */
export function storeFailure(command: string, e: unknown): Error {
  if (e instanceof StoreError || e instanceof RangeError) {
    process.stderr.write(`shadergrad ${command}: ${(e as Error).message}\n`);
    return new CommandFailed((e as Error).message);
  }
  if (e instanceof CliError) return e;
  return e as Error;
}
