/** Types of build.mjs for the TypeScript tests. */
export interface BuildResult {
  outdir: string;
  seconds: number;
  files: string[];
}
export function build(opts?: { outdir?: string; types?: boolean; clean?: boolean }): Promise<BuildResult>;
