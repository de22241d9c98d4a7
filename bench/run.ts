/** `npm run bench [-- --filter NAME] [--peers] [--json] [--out FILE]`: the same as `shadergrad bench` (src/cli/bench.ts). */
import { main } from '../src/cli/main.ts';

process.exit(await main(['bench', ...process.argv.slice(2)]));
