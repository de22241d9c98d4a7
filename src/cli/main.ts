/**
 * Entry point of the `shadergrad` command: finds the longest command name that prefixes argv and runs it. Runs itself
 * when it is the process's main module: `tsx src/cli/main.ts` from a clone, or the package's bin dist/cli.js (this
 * file bundled), which npm links as node_modules/.bin/shadergrad — hence the comparison of real paths.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commands } from './commands.ts';
import { CliError, CommandFailed } from './cli-error.ts';
import { UndefinedMetricError } from '../tox21/class-balance.ts';
import { HyperparamError } from '../tox21/options-check.ts';

export async function main(argv: string[]): Promise<number> {
  const names = Object.keys(commands).sort((a, b) => b.split(' ').length - a.split(' ').length);
  const name = names.find((n) => {
    const words = n.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!name || argv[0] === '--help' || argv[0] === '-h') {
    const lines = await Promise.all(Object.keys(commands).map(async (n) => `  ${(await commands[n]()).usage}`));
    const out = `usage: shadergrad <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
    if (!name && argv.length > 0 && argv[0] !== '--help' && argv[0] !== '-h') {
      process.stderr.write(`shadergrad: unknown command "${argv.join(' ')}"\n\n${out}`);
      return 2;
    }
    process.stdout.write(out);
    return 0;
  }
  const mod = await commands[name]();
  try {
    const code = await mod.run(argv.slice(name.split(' ').length));
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof CliError || e instanceof HyperparamError) {
      process.stderr.write(`shadergrad ${name}: ${e.message}\nusage: ${mod.usage}\n`);
      return 2;
    }
    if (e instanceof UndefinedMetricError) {
      process.stderr.write(`shadergrad ${name}: ${e.message}\n`);
      return 1;
    }
    if (e instanceof CommandFailed) return 1;
    throw e;
  }
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script || !import.meta.url.startsWith('file:')) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
