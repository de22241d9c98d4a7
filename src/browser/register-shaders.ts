/**
 * Registers the WGSL the build embedded, so a bundle needs no shaders/ folder beside it (a browser cannot read one,
 * and a published Node bundle should not depend on finding it). Imported for its effect by the bundles' entries.
 */
import { SHADERS } from 'virtual:shadergrad-shaders';
import { registerShader, SHADER_FILES } from '../gpu/shader-source.ts';

const missing = SHADER_FILES.filter((f) => !(f in SHADERS));
if (missing.length > 0) throw new Error(`this bundle was built without shaders/${missing.join('.wgsl, shaders/')}.wgsl; rebuild it (npm run build)`);
for (const [name, text] of Object.entries(SHADERS)) registerShader(name, text);
