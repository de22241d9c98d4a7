/** Types of serve.mjs for the TypeScript tests. */
export type Route = string | Uint8Array | { body: string | Uint8Array; type?: string; status?: number };
export interface Server {
  url: string;
  port: number;
  close(): Promise<void>;
}
export function serve(opts?: { root?: string; port?: number; host?: string; routes?: Record<string, Route> }): Promise<Server>;
