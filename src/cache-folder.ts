/**
 * The one rule for where shadergrad keeps what it computes once per machine (the Tox21 download, featurized
 * fingerprints, studies, matmul tuning, backend measurements): `$XDG_CACHE_HOME/shadergrad`, else
 * `~/.cache/shadergrad`. Neutral on purpose: data, stores and backends all import it, it imports none of them.
 * Node-only.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheFolder(env: Record<string, string | undefined> = process.env): string {
  return env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'shadergrad') : join(homedir(), '.cache', 'shadergrad');
}
