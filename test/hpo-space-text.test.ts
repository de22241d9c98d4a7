// Search spaces from the command line: every term kind parses to its ParamSpec, aliases rename, the text round-trips,
// and each malformed term is named with what it needed.
import { describe, expect, it } from 'vitest';
import { parseSpaceText, spaceText } from '../src/hpo/space-text.ts';

describe('parseSpaceText', () => {
  it('parses the issue example', () => {
    const s = parseSpaceText('lr=log:1e-4:1e-2,hidden=50|100|200|500|1000,layers=1|2,keep=0.2:1.0,batch=100|200,epochs=45');
    expect(s).toEqual({
      lr: { kind: 'loguniform', low: 1e-4, high: 1e-2 },
      hidden: { kind: 'choice', values: [50, 100, 200, 500, 1000] },
      layers: { kind: 'choice', values: [1, 2] },
      keep: { kind: 'uniform', low: 0.2, high: 1 },
      batch: { kind: 'choice', values: [100, 200] },
      epochs: { kind: 'choice', values: [45] },
    });
  });

  it('reads booleans, strings, integer ranges and spaces around terms', () => {
    expect(parseSpaceText(' mode=book|modern , w=true|false, n=int:3:45, x=-1.5:.5 ')).toEqual({
      mode: { kind: 'choice', values: ['book', 'modern'] },
      w: { kind: 'choice', values: [true, false] },
      n: { kind: 'int', low: 3, high: 45 },
      x: { kind: 'uniform', low: -1.5, high: 0.5 },
    });
  });

  it('maps names through aliases and round-trips', () => {
    const s = parseSpaceText('lr=log:0.0001:0.01,hidden=30|50', { aliases: { lr: 'learningRate', hidden: 'nHidden' } });
    expect(Object.keys(s)).toEqual(['learningRate', 'nHidden']);
    const text = 'lr=log:0.0001:0.01,hidden=30|50,mode=modern,keep=0.25:0.45,n=int:15:35';
    expect(spaceText(parseSpaceText(text))).toBe(text);
  });

  it('names the bad term and what it needed', () => {
    expect(() => parseSpaceText('lr=log:1e-4:1e-2,hidden=50,keep=0.2:')).toThrow('--space: term 3 "keep=0.2:" needs name=low:high with numbers');
    expect(() => parseSpaceText('lr=log:0:1')).toThrow('--space: term 1 "lr=log:0:1": a log range needs low > 0, got 0');
    expect(() => parseSpaceText('lr=log:1e-4')).toThrow('term 1 "lr=log:1e-4" needs name=log:low:high with numbers');
    expect(() => parseSpaceText('n=int:1.5:3')).toThrow('an int range needs integer bounds, got 1.5:3');
    expect(() => parseSpaceText('keep=1:0.2')).toThrow('term 1 "keep=1:0.2": low 1 is above high 0.2');
    expect(() => parseSpaceText('hidden=50||100')).toThrow('term 1 "hidden=50||100" has an empty choice');
    expect(() => parseSpaceText('hidden=50|50')).toThrow('lists a choice twice');
    expect(() => parseSpaceText('lr=0.1,,hidden=5')).toThrow('--space: term 2 is empty');
    expect(() => parseSpaceText('hidden')).toThrow('--space: term 1 "hidden" needs name=value');
    expect(() => parseSpaceText('lr=0.1,lr=0.2')).toThrow('term 2 "lr=0.2": lr is given twice');
    expect(() => parseSpaceText('a=1,b=2', { aliases: { a: 'k', b: 'k' } })).toThrow('b (k) is given twice');
    expect(() => parseSpaceText('  ', { source: 'space.txt' })).toThrow('space.txt is empty');
  });
});
