/**
 * The one error class of the study stores, in a file of its own so that every store module (the URL parser
 * included) can throw it without an import cycle. A StoreError's message is one line naming what went wrong and
 * where (the file, the server, the study, the URL): the CLI prints it as it is, with exit code 1.
 */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** What a worker hears when `study delete` removed the study it was running (rather than "has no trial N"). */
export function studyDeleted(url: string, study: string, trialId: number): string {
  return `${url}: study "${study}" was deleted while this worker ran it (trial ${trialId}'s result is not recorded); stopping`;
}
