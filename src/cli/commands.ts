/**
 * The CLI's command table: "group sub" words → a lazily imported module, so `shadergrad tox21 rf` loads
 * neither Dawn nor RDKit unless the command needs them. Each module exports `run(argv)` and `usage`.
 */
export interface CommandModule {
  usage: string;
  run(argv: string[]): Promise<number | void>;
}

export const commands: Record<string, () => Promise<CommandModule>> = {
  demo: () => import('./demo.ts'),
  bench: () => import('./bench.ts'),
  'tox21 data': () => import('./tox21-data.ts'),
  'tox21 rf': () => import('./tox21-rf.ts'),
  'tox21 fcn': () => import('./tox21-fcn.ts'),
  'tox21 search': () => import('./tox21-search.ts'),
  'tox21 study': () => import('./tox21-study.ts'),
  study: () => import('./study.ts'),
  dashboard: () => import('./dashboard.ts'),
};
