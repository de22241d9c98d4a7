/** What every report says about the hardware: which adapter ran the numbers, and whether it was a software one. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU emulation (SwiftShader, lavapipe, WARP): timings then say nothing about a real GPU. */
  software: boolean;
  /** Where the adapter came from: 'node-dawn', 'browser' or 'cpu' (no adapter, CPU backend). */
  runtime: 'node-dawn' | 'browser' | 'cpu';
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|warp|software|microsoft basic render/i;

export function summarizeAdapter(adapter: GPUAdapter, runtime: AdapterSummary['runtime']): AdapterSummary {
  const info = adapter.info;
  const s = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return { ...s, software: fallback || SOFTWARE.test(Object.values(s).join(' ')), runtime };
}

export function adapterName(a: AdapterSummary): string {
  const parts = [a.vendor, a.architecture, a.description].filter((p) => p.length > 0);
  return `${parts.join(' / ') || 'unknown adapter'}${a.software ? ' (software)' : ''}`;
}
