/**
 * One way to get a GPUDevice, in Node (Dawn, the `webgpu` package) and in a browser (`navigator.gpu`).
 * In Node on Linux with no hardware adapter we point Vulkan at the SwiftShader driver that Debian's chromium package
 * ships, because that is the one WebGPU implementation every CI machine here can have.
 */
import { summarizeAdapter, type AdapterSummary } from './adapter-info.ts';

export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterSummary;
  /** The GPU object (Dawn instance) the adapter came from; see `instances` for why it is held. */
  gpu: GPU;
  /** The device's subgroup size when it has the `subgroups` feature and one fixed size (SwiftShader: 4); else null. */
  subgroupSize: number | null;
}

/**
 * Every Dawn instance we created. If the JS object returned by `create()` is garbage-collected, Dawn destroys the
 * instance while its devices live on, and the next `ProcessEvents` (any mapAsync) crashes in
 * CallbackTaskManager::Flush — a segfault seen here within ~30 readbacks. Holding them prevents it.
 */
const instances: GPU[] = [];

export class NoAdapterError extends Error {
  override name = 'NoAdapterError';
}

const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

export interface DeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Path of a Vulkan ICD json to use in Node (else SHADERGRAD_VK_ICD, else the system's, else SwiftShader's). */
  vulkanIcd?: string;
}

export async function requestGpu(opts: DeviceOptions = {}): Promise<GpuContext> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof navigator === 'undefined';
  return isNode ? requestNodeGpu(opts) : requestBrowserGpu(opts);
}

async function requestBrowserGpu(opts: DeviceOptions): Promise<GpuContext> {
  if (typeof navigator === 'undefined' || !navigator.gpu) {
    throw new NoAdapterError('WebGPU is not available in this browser (navigator.gpu is undefined): use a recent Chrome, or start Chromium with --enable-unsafe-webgpu');
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (!adapter) throw new NoAdapterError('navigator.gpu.requestAdapter() returned null: this browser has WebGPU but no usable adapter');
  return open(navigator.gpu, adapter, summarizeAdapter(adapter, 'browser'));
}

async function requestNodeGpu(opts: DeviceOptions): Promise<GpuContext> {
  const { create, globals } = await import('webgpu');
  // Dawn's classes (GPUBufferUsage, …) must be globals for code written against the browser API.
  Object.assign(globalThis, globals);
  const fs = await import('node:fs');
  const env = process.env;
  const explicit = opts.vulkanIcd ?? env.SHADERGRAD_VK_ICD;
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new NoAdapterError(`Vulkan ICD file ${explicit} (from ${opts.vulkanIcd ? 'options' : 'SHADERGRAD_VK_ICD'}) does not exist`);
    env.VK_ICD_FILENAMES = explicit;
  }
  env.XDG_RUNTIME_DIR ??= '/tmp';
  const tried: string[] = [];
  const preset = env.VK_ICD_FILENAMES ?? env.VK_DRIVER_FILES;
  let gpu = create([]);
  instances.push(gpu);
  let adapter: GPUAdapter | null = null;
  // Without a GPU device node, the system drivers can only be CPU ones Dawn rejects (lavapipe), loudly: skip them.
  if (preset || process.platform !== 'linux' || hasGpuDeviceNode(fs)) {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
    tried.push(preset ? `Vulkan ICD ${preset}` : 'the system Vulkan drivers');
  }
  if (!adapter && !explicit && process.platform === 'linux') {
    const icd = SWIFTSHADER_ICDS.find((p) => fs.existsSync(p));
    if (icd) {
      // Dawn reads the variable when an instance is created, so a second instance sees SwiftShader.
      env.VK_ICD_FILENAMES = icd;
      delete env.VK_DRIVER_FILES;
      gpu = create([]);
      instances.push(gpu);
      adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference });
      tried.push(`SwiftShader ${icd}`);
    }
  }
  if (!adapter) {
    const hint = process.platform === 'linux'
      ? "install a Vulkan driver for your GPU, or Debian/Ubuntu's software one: `apt-get install -y chromium libvulkan1` (SwiftShader), or set SHADERGRAD_VK_ICD to a Vulkan ICD json"
      : 'install a GPU driver with Vulkan, Metal or D3D12 support';
    throw new NoAdapterError(`no WebGPU adapter found (tried ${tried.join(', ')}): ${hint}`);
  }
  return open(gpu, adapter, summarizeAdapter(adapter, 'node-dawn'));
}

function hasGpuDeviceNode(fs: typeof import('node:fs')): boolean {
  try {
    if (fs.readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) return true;
  } catch {
    // no /dev/dri
  }
  return fs.existsSync('/dev/nvidia0') || fs.existsSync('/dev/dxg');
}

async function open(gpu: GPU, adapter: GPUAdapter, info: AdapterSummary): Promise<GpuContext> {
  // Ask for the adapter's storage limits: the defaults (128 MiB bindings) are far below what a GPU offers.
  const l = adapter.limits;
  // Subgroups let lanes of a SIMD-4 software adapter (SwiftShader) share loads; see matmul-config.ts.
  const subgroups = adapter.features.has('subgroups');
  const requiredFeatures = (subgroups ? ['subgroups'] : []) as GPUFeatureName[];
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: l.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  const sizes = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const fixed = subgroups && sizes.subgroupMinSize !== undefined && sizes.subgroupMinSize === sizes.subgroupMaxSize;
  return { device, adapter, info, gpu, subgroupSize: fixed ? sizes.subgroupMinSize! : null };
}
