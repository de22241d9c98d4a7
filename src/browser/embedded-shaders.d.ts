/**
 * The module scripts/build.mjs generates from shaders/*.wgsl when it bundles the library (file name without
 * `.wgsl` → WGSL text). It exists only inside a bundle; Node running the sources reads shaders/ from disk instead.
 */
declare module 'virtual:shadergrad-shaders' {
  export const SHADERS: Readonly<Record<string, string>>;
}
