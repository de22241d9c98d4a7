/**
 * Compiled pipelines keyed by shader file, entry point and `override` constants: building a pipeline costs
 * milliseconds (far more on SwiftShader), a dispatch microseconds, so each combination is built once per device.
 */
import { ShaderCompileError, formatCompilationInfo, pipelineLabel } from './errors.ts';
import { shaderSource } from './shader-source.ts';

export type Constants = Record<string, number>;

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  /** Compile checks not yet awaited; the runtime awaits them at its next sync point. */
  private pending: Promise<void>[] = [];

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(shader: string, entry: string, constants: Constants = {}): GPUComputePipeline {
    const keys = Object.keys(constants).sort();
    const key = `${shader}:${entry}:${keys.map((k) => `${k}=${constants[k]}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.module(shader, entry);
      p = this.device.createComputePipeline({
        label: pipelineLabel(shader, entry),
        layout: 'auto',
        compute: { module, entryPoint: entry, constants },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private module(shader: string, entry: string): GPUShaderModule {
    let m = this.modules.get(shader);
    if (!m) {
      const code = shaderSource(shader);
      m = this.device.createShaderModule({ label: `shaders/${shader}.wgsl`, code });
      this.modules.set(shader, m);
      const mod = m;
      this.pending.push(
        mod.getCompilationInfo().then((info) => {
          const msgs = formatCompilationInfo(shader, info, code);
          if (msgs.length > 0) {
            this.modules.delete(shader);
            throw new ShaderCompileError(shader, entry, msgs);
          }
        }),
      );
    }
    return m;
  }

  /** Forgets every pipeline and module (the device is going away). */
  clear(): void {
    this.pipelines.clear();
    this.modules.clear();
    this.pending = [];
  }

  /** Throws the first compile error among shaders built since the last call. */
  async check(): Promise<void> {
    const p = this.pending;
    this.pending = [];
    await Promise.all(p);
  }
}
