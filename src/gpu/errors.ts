/**
 * GPU errors that name the shader file and entry point. Dawn reports validation errors asynchronously with the
 * object's label in the message; we label every pipeline "shaders/<file>.wgsl:<entry>" so the message carries it.
 */
export class ShaderCompileError extends Error {
  override name = 'ShaderCompileError';
  constructor(readonly shader: string, readonly entry: string, readonly messages: string[]) {
    super(`WGSL compile error in shaders/${shader}.wgsl (entry ${entry}):\n${messages.join('\n')}`);
  }
}

export class GpuError extends Error {
  override name = 'GpuError';
}

export function pipelineLabel(shader: string, entry: string): string {
  return `shaders/${shader}.wgsl:${entry}`;
}

export function formatCompilationInfo(shader: string, info: GPUCompilationInfo, source: string): string[] {
  const lines = source.split('\n');
  return info.messages
    .filter((m) => m.type === 'error')
    .map((m) => `  ${shader}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}${m.lineNum > 0 ? `\n    ${lines[m.lineNum - 1]?.trim() ?? ''}` : ''}`);
}

/**
 * The device went away under us: a driver reset, a browser tab sent to the background, or `device.destroy()`.
 * Every buffer, pipeline and pending read of that device is gone, so the only way on is a new device
 * (`WebGpuBackend.recreate()`); the search runner tells this apart from a trial's own failure with `isDeviceLost`.
 */
export class DeviceLostError extends GpuError {
  override name = 'DeviceLostError';
  /** GPUDeviceLostInfo.reason: 'destroyed' (destroy() was called) or 'unknown' (the driver or browser dropped it). */
  readonly reason: string;
  /** What the driver or browser said, or why we know it was destroyed. */
  readonly detail: string;
  /** `next`: what the reader can do (the default), or why they cannot (no new device could be had). */
  constructor(reason: string, detail: string, next = 'its buffers are gone, make a new backend to go on') {
    super(`the GPU device was lost (${reason}: ${detail || 'no message from the driver'}); ${next}`);
    this.reason = reason;
    this.detail = detail;
  }
}

/** True for a DeviceLostError, also one that crossed a realm or a worker boundary (only its name survives). */
export function isDeviceLost(e: unknown): e is DeviceLostError {
  return e instanceof DeviceLostError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'DeviceLostError');
}

/** An operation on a backend after its `dispose()`: a bug in the caller, not a GPU fault. */
export class BackendDisposedError extends Error {
  override name = 'BackendDisposedError';
  constructor(kind: string, op: string) {
    super(`${op}: the ${kind} backend was disposed (dispose() was called); make a new backend`);
  }
}
