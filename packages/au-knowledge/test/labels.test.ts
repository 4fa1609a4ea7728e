import { LABEL_SETS, createLabelMapping, getExpression, resolveExpressions } from '@dfer/au-knowledge';

describe('label sets', () => {
  it('keeps the documented index orders', () => {
    expect(LABEL_SETS.dfew).toEqual(['happy', 'sad', 'neutral', 'angry', 'surprise', 'disgust', 'fear']);
    expect(LABEL_SETS.ferv39k).toEqual(LABEL_SETS.dfew);
    expect(LABEL_SETS.mafw).toEqual([
      'happiness',
      'sadness',
      'neutral',
      'anger',
      'surprise',
      'disgust',
      'fear',
      'contempt',
      'anxiety',
      'helplessness',
      'disappointment',
    ]);
    expect(LABEL_SETS.affectnet8).toHaveLength(8);
    expect(LABEL_SETS.ckplus[0]).toBe('neutral');
  });

  it('resolves label names to meanings, case-insensitively', () => {
    expect(getExpression('Happiness')).toBe('happy');
    expect(getExpression('anger')).toBe('angry');
    expect(resolveExpressions('mafw').slice(0, 4)).toEqual(['happy', 'sad', 'neutral', 'angry']);
    expect(() => getExpression('joyful', 'labels[3]')).toThrow(
      /labels\[3\]: unknown expression label "joyful"; expected one of happy, happiness/,
    );
  });
});

describe('createLabelMapping', () => {
  it('maps by meaning between datasets', () => {
    const m = createLabelMapping('mafw', 'dfew', { unmatched: 'unmapped' });
    expect(Array.from(m.indexMap)).toEqual([0, 1, 2, 3, 4, 5, 6, -1, -1, -1, -1]);
    expect(m.unmapped).toEqual(['contempt', 'anxiety', 'helplessness', 'disappointment']);
    const a = createLabelMapping('dfew', 'affectnet8');
    // happy→1, sad→2, neutral→0, angry→6 ('anger'), surprise→3, disgust→5, fear→4
    expect(Array.from(a.indexMap)).toEqual([1, 2, 0, 6, 3, 5, 4]);
    expect(Array.from(createLabelMapping('ckplus', 'affectnet8').indexMap)).toEqual([0, 6, 7, 5, 4, 1, 2, 3]);
  });

  it('refuses unmatched labels by default and ambiguous label lists always', () => {
    expect(() => createLabelMapping('mafw', 'dfew')).toThrow(
      /to: has no label meaning "contempt", "anxiety".*unmatched = 'unmapped'/,
    );
    expect(() => createLabelMapping('dfew', ['happy', 'joy', 'sad'])).toThrow(
      /to: labels "happy" \(index 0\) and "joy" \(index 1\) both mean 'happy'/,
    );
    expect(() => createLabelMapping('dfew', ['happy', 'glee'])).toThrow(
      /to\[1\]: unknown expression label "glee"/,
    );
    expect(() => createLabelMapping('kinetics' as never, 'dfew')).toThrow(
      /from: unknown label set "kinetics"; expected one of dfew, ferv39k, mafw/,
    );
  });
});
