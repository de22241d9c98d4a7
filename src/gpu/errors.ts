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
