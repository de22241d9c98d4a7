/**
 * Where a command will write, checked before it does any work: `tox21 study --out FILE` used to run the whole study
 * and then die on EEXIST with a stack trace, losing the run. Each check tries what the command will do — make the
 * folder, create a file in it — so a read-only file system or a path through a file is caught even as root, and a
 * problem is one line on stderr naming the flag and the path, exit code 1.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CommandFailed } from './cli-error.ts';

/** The folder `path` (made if missing, as the command would), ready for files; returns its absolute path. */
export function checkOutputFolder(command: string, flag: string, path: string): string {
  const dir = resolve(path);
  const fail = (why: string) => failure(command, `--${flag} ${path}: ${why}`);
  const kind = kindOf(dir);
  if (kind === 'file') throw fail('is a file, not a folder; give a folder for the output (it is made if missing)');
  if (kind === 'missing') {
    const blocker = firstNonFolderAbove(dir);
    if (blocker) throw fail(`${blocker} is a file, so the folder cannot be made`);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw fail(`the folder cannot be made (${code(e)})`);
    }
  }
  probeWritable(dir, fail);
  return dir;
}

/** A file the command will write at the end: its folder must exist and take a new file; an existing one must be writable. */
export function checkOutputFile(command: string, flag: string, path: string): string {
  const file = resolve(path);
  const fail = (why: string) => failure(command, `--${flag} ${path}: ${why}`);
  const kind = kindOf(file);
  if (kind === 'folder') throw fail('is a folder; give a file name');
  const parent = dirname(file);
  const parentKind = kindOf(parent);
  if (parentKind === 'missing') throw fail(`the folder ${parent} does not exist`);
  if (parentKind === 'file') throw fail(`${parent} is a file, not a folder`);
  if (kind === 'file') {
    try {
      accessSync(file, constants.W_OK);
    } catch (e) {
      throw fail(`the file cannot be written (${code(e)})`);
    }
  }
  probeWritable(parent, fail);
  return file;
}

function kindOf(path: string): 'file' | 'folder' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

/** The nearest existing ancestor of a missing folder, when it is not a folder. */
function firstNonFolderAbove(dir: string): string | null {
  let p = dirname(dir);
  while (kindOf(p) === 'missing' && dirname(p) !== p) p = dirname(p);
  return kindOf(p) === 'file' ? p : null;
}

/** Creates and removes a temporary folder: the only test of writability that holds for root and read-only mounts. */
function probeWritable(dir: string, fail: (why: string) => Error): void {
  let probe = '';
  try {
    probe = mkdtempSync(join(dir, '.shadergrad-write-check-'));
  } catch (e) {
    throw fail(`nothing can be written in ${dir} (${code(e)})`);
  } finally {
    if (probe) rmSync(probe, { recursive: true, force: true });
  }
}

function code(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? (err.message ?? String(e)).split('\n')[0];
}

function failure(command: string, message: string): Error {
  process.stderr.write(`shadergrad ${command}: ${message}\n`);
  return new CommandFailed(message);
}

/**
 * Writes what a long run produced; should the disk fail it now (full, unmounted), says so in one line and returns
 * the reason instead of throwing, so the caller still prints the results the run cost.
 */
export function writeOutputFile(command: string, file: string, text: () => string): string | null {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text());
    return null;
  } catch (e) {
    const why = code(e);
    process.stderr.write(`shadergrad ${command}: ${file} could not be written (${why}); the results follow on stdout\n`);
    return why;
  }
}
