/**
 * Search spaces written on the command line: `lr=log:1e-4:1e-2,hidden=50|100|200,layers=1|2,keep=0.2:1.0,epochs=45`.
 * A term is `name=a|b|c` (choices: numbers, true/false, else strings), `name=low:high` (uniform),
 * `name=log:low:high` (log-uniform), `name=int:low:high` (integers), or `name=v` (one choice). Names are kept as
 * written unless `aliases` maps them (the caller knows its hyperparameters; this file does not). Errors name the
 * term and what it needed. `spaceText` writes a space back in the same syntax.
 */
import { checkSpace, type ParamSpec, type SearchSpace } from './space.ts';

export interface SpaceTextOptions {
  /** Short name → key of the space, e.g. { lr: 'learningRate' }. */
  aliases?: Record<string, string>;
  /** How errors name the source (default "--space"). */
  source?: string;
}

export function parseSpaceText(text: string, opts: SpaceTextOptions = {}): SearchSpace {
  const src = opts.source ?? '--space';
  if (text.trim() === '') throw new RangeError(`${src} is empty: give terms like lr=log:1e-4:1e-2,hidden=50|100`);
  const space: SearchSpace = {};
  const terms = text.split(',');
  terms.forEach((raw, i) => {
    const term = raw.trim();
    const where = `${src}: term ${i + 1} "${term}"`;
    if (term === '') throw new RangeError(`${src}: term ${i + 1} is empty (a stray comma?)`);
    const eq = term.indexOf('=');
    const name = eq < 0 ? '' : term.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_][\w.-]*$/.test(name)) throw new RangeError(`${where} needs name=value, the name a letter then letters, digits, _ . or -`);
    const key = opts.aliases?.[name] ?? name;
    if (key in space) throw new RangeError(`${where}: ${name === key ? name : `${name} (${key})`} is given twice`);
    space[key] = parseSpec(term.slice(eq + 1).trim(), where);
  });
  checkSpace(space);
  return space;
}

function parseSpec(v: string, where: string): ParamSpec {
  const parts = v.split(':');
  if (parts[0] === 'log' || parts[0] === 'int') {
    const kind = parts[0];
    const nums = parts.slice(1).map(num);
    if (parts.length !== 3 || nums.some((x) => x === null)) throw new RangeError(`${where} needs name=${kind}:low:high with numbers`);
    const [low, high] = nums as number[];
    if (kind === 'log' && !(low > 0)) throw new RangeError(`${where}: a log range needs low > 0, got ${low}`);
    if (kind === 'int' && !(Number.isInteger(low) && Number.isInteger(high))) throw new RangeError(`${where}: an int range needs integer bounds, got ${low}:${high}`);
    if (!(low <= high)) throw new RangeError(`${where}: low ${low} is above high ${high}`);
    return kind === 'log' ? { kind: 'loguniform', low, high } : { kind: 'int', low, high };
  }
  if (parts.length > 1) {
    const nums = parts.map(num);
    if (parts.length !== 2 || nums.some((x) => x === null)) throw new RangeError(`${where} needs name=low:high with numbers (or log:low:high, int:low:high)`);
    const [low, high] = nums as number[];
    if (!(low <= high)) throw new RangeError(`${where}: low ${low} is above high ${high}`);
    return { kind: 'uniform', low, high };
  }
  const items = v.split('|').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new RangeError(`${where} has an empty choice: write name=a|b|c`);
  const values = items.map((s) => num(s) ?? (s === 'true' ? true : s === 'false' ? false : s));
  if (new Set(values).size !== values.length) throw new RangeError(`${where} lists a choice twice`);
  return { kind: 'choice', values };
}

function num(s: string): number | null {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s.trim())) return null;
  return Number(s);
}

/** A space in the syntax `parseSpaceText` reads (choices must not contain , | : or =). */
export function spaceText(space: SearchSpace): string {
  return Object.entries(space)
    .map(([k, s]) => {
      switch (s.kind) {
        case 'choice': return `${k}=${s.values.join('|')}`;
        case 'uniform': return `${k}=${s.low}:${s.high}`;
        case 'loguniform': return `${k}=log:${s.low}:${s.high}`;
        case 'int': return `${k}=int:${s.low}:${s.high}`;
      }
    })
    .join(',');
}
