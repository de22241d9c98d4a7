/**
 * The Node options a worker thread starts with: the parent's (what Node gives a worker by default), less
 * `--input-type`, which Node accepts only for code given with -e or on stdin and rejects when a worker starts from
 * its file — so `node --input-type=module -e "…"` using shadergrad's worker threads would otherwise lose them all.
 * Node-only.
 */
export function workerExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    if (parent[i] === '--input-type') i++; // its value is the next argument
    else if (!parent[i].startsWith('--input-type=')) kept.push(parent[i]);
  }
  return kept;
}
