/**
 * Expression label sets of the DFER / FER datasets, in their documented index order, and mapping
 * between label sets by meaning.
 */

/**
 * Canonical expression meanings. Every label name of every label set resolves to one of these
 * (see {@link EXPRESSION_SYNONYMS}).
 */
export const EXPRESSIONS = [
  'happy',
  'sad',
  'neutral',
  'angry',
  'surprise',
  'disgust',
  'fear',
  'contempt',
  'anxiety',
  'helplessness',
  'disappointment',
] as const;

/** A canonical expression meaning. */
export type Expression = (typeof EXPRESSIONS)[number];

/**
 * Label names (lower case) that mean each canonical expression. A name resolves to exactly one
 * meaning; `happy` = `happiness` = `joy`, `angry` = `anger`, and so on.
 */
export const EXPRESSION_SYNONYMS = {
  happy: ['happy', 'happiness', 'joy'],
  sad: ['sad', 'sadness'],
  neutral: ['neutral'],
  angry: ['angry', 'anger'],
  surprise: ['surprise', 'surprised'],
  disgust: ['disgust', 'disgusted'],
  fear: ['fear', 'fearful', 'afraid'],
  contempt: ['contempt'],
  anxiety: ['anxiety', 'anxious'],
  helplessness: ['helplessness', 'helpless'],
  disappointment: ['disappointment', 'disappointed'],
} as const satisfies Record<Expression, readonly string[]>;

/**
 * Label sets in the index order of each dataset's label files (index = position).
 *
 * - `dfew`, `ferv39k`: 0 happy, 1 sad, 2 neutral, 3 angry, 4 surprise, 5 disgust, 6 fear — the order
 *   of the DFER-CLIP split files and of the AU-DFER code (`au-dfer.md`, `dfer-benchmarks.md`).
 *   FERV39K's split files also name the class in each clip path (`…/Happy/0267 29 0`); a test checks
 *   that every line's index agrees with that folder name.
 * - `mafw`: 11 classes, the order of the split files' labels (`dfer-benchmarks.md`): the class list of
 *   the project that ships the split files, consistent with the per-class counts of fold 1
 *   (train + test = 1,242 / 1,470 / 1,138 / 1,390 / 1,072 / 639 / 625 / 236 / 916 / 262 / 182 = 9,172),
 *   whose three smallest classes are the three the MAFW benchmark reports as smallest (disappointment
 *   182, contempt 236, helplessness 262). A test recomputes these counts from the split files.
 * - `affectnet8`: AffectNet expression codes 0–7 (Mollahosseini, Hasani & Mahoor, IEEE TAC 2017).
 * - `ckplus`: CK+ emotion codes 0–7 (Lucey et al., CVPR Workshops 2010), 0 = neutral.
 */
export const LABEL_SETS = {
  dfew: ['happy', 'sad', 'neutral', 'angry', 'surprise', 'disgust', 'fear'],
  ferv39k: ['happy', 'sad', 'neutral', 'angry', 'surprise', 'disgust', 'fear'],
  mafw: [
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
  ],
  affectnet8: ['neutral', 'happy', 'sad', 'surprise', 'fear', 'disgust', 'anger', 'contempt'],
  ckplus: ['neutral', 'anger', 'contempt', 'disgust', 'fear', 'happy', 'sadness', 'surprise'],
} as const;

/** Name of a built-in label set. */
export type LabelSetName = keyof typeof LABEL_SETS;

/** Where each label set's order comes from. */
export const LABEL_SET_SOURCES: Readonly<Record<LabelSetName, string>> = {
  dfew: 'DFEW 7-class single-label benchmark; order of the DFER-CLIP split files DFEW_set_{1..5}_{train,test}.txt and of the AU-DFER code (au-dfer.md, dfer-benchmarks.md).',
  ferv39k:
    'FERV39K; order of the DFER-CLIP split files FERV39K_{train,test}.txt, confirmed by the class folder in every clip path (dfer-benchmarks.md).',
  mafw: 'MAFW 11-class single-label benchmark; order of the DFER-CLIP split files MAFW_set_{1..5}_{train,test}.txt, evidenced by the per-class counts (dfer-benchmarks.md).',
  affectnet8:
    'AffectNet expression codes 0-7 (Mollahosseini, Hasani & Mahoor, IEEE Trans. Affective Computing 2017).',
  ckplus: 'CK+ emotion codes 0-7 (Lucey et al., CVPR Workshops 2010).',
};

const MEANING_BY_NAME: ReadonlyMap<string, Expression> = new Map(
  (Object.entries(EXPRESSION_SYNONYMS) as [Expression, readonly string[]][]).flatMap(([meaning, names]) =>
    names.map((n) => [n, meaning] as const),
  ),
);

/** Names of the built-in label sets. */
export function listLabelSets(): readonly LabelSetName[] {
  return Object.keys(LABEL_SETS) as LabelSetName[];
}

/**
 * Canonical meaning of one label name (case-insensitive): `'Happiness'` → `'happy'`.
 *
 * @throws Error naming `argName` and listing the known names when the label is unknown.
 */
export function getExpression(label: string, argName = 'label'): Expression {
  const meaning = typeof label === 'string' ? MEANING_BY_NAME.get(label.trim().toLowerCase()) : undefined;
  if (meaning === undefined) {
    throw new Error(
      `${argName}: unknown expression label ${JSON.stringify(label)}; expected one of ${[...MEANING_BY_NAME.keys()].join(', ')}`,
    );
  }
  return meaning;
}

/** A label list: a built-in label set's name or explicit label names in index order. */
export type LabelList = LabelSetName | readonly string[];

/**
 * Resolve a {@link LabelList} to its label names (index order).
 *
 * @throws Error naming `argName` for an unknown set name or an empty list.
 */
export function resolveLabelList(labels: LabelList, argName = 'labels'): readonly string[] {
  if (typeof labels === 'string') {
    if (!Object.prototype.hasOwnProperty.call(LABEL_SETS, labels)) {
      throw new Error(
        `${argName}: unknown label set ${JSON.stringify(labels)}; expected one of ${listLabelSets().join(', ')} or an array of label names`,
      );
    }
    return LABEL_SETS[labels];
  }
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new Error(
      `${argName}: expected a label set name (${listLabelSets().join(', ')}) or a non-empty array of label names`,
    );
  }
  return labels;
}

/**
 * Canonical meanings of a label list, in index order, refusing lists where two labels share a
 * meaning (e.g. `['happy', 'joy']`), since mapping into such a list would be ambiguous.
 *
 * @throws Error naming `argName` for unknown labels or two labels with the same meaning.
 */
export function resolveExpressions(labels: LabelList, argName = 'labels'): readonly Expression[] {
  const names = resolveLabelList(labels, argName);
  const meanings = names.map((n, i) => getExpression(n, `${argName}[${i}]`));
  meanings.forEach((m, i) => {
    const first = meanings.indexOf(m);
    if (first !== i) {
      throw new Error(
        `${argName}: labels ${JSON.stringify(names[first])} (index ${first}) and ${JSON.stringify(names[i])} (index ${i}) both mean '${m}'; a label list must name each meaning once`,
      );
    }
  });
  return meanings;
}

/** Per-call options of {@link createLabelMapping}. */
export interface LabelMappingOptions {
  /**
   * Source labels whose meaning the target lacks: `'error'` (default) refuses the mapping;
   * `'unmapped'` maps them to index -1 and lists them in {@link LabelMapping.unmapped}.
   */
  readonly unmatched?: 'error' | 'unmapped';
}

/** A mapping from the indices of one label list to those of another. */
export interface LabelMapping {
  /** Source label names (index order). */
  readonly from: readonly string[];
  /** Target label names (index order). */
  readonly to: readonly string[];
  /** `indexMap[i]` = target index of source label i, or -1 when the target lacks its meaning. */
  readonly indexMap: Int32Array;
  /** Source labels that have no counterpart in the target. */
  readonly unmapped: readonly string[];
}

/**
 * Map label indices between two label lists by meaning (`'happy'` in DFEW = `'happiness'` in MAFW).
 *
 * Ambiguous mappings are refused: a list in which two labels share a meaning raises an error.
 * Source labels the target lacks raise an error unless `options.unmatched = 'unmapped'`.
 *
 * @example createLabelMapping('mafw', 'dfew', { unmatched: 'unmapped' }).indexMap[0] === 0 // happiness → happy
 */
export function createLabelMapping(
  from: LabelList,
  to: LabelList,
  options: LabelMappingOptions = {},
): LabelMapping {
  const fromNames = resolveLabelList(from, 'from');
  const toNames = resolveLabelList(to, 'to');
  const fromMeanings = resolveExpressions(fromNames, 'from');
  const toMeanings = resolveExpressions(toNames, 'to');
  const indexMap = new Int32Array(fromMeanings.map((m) => toMeanings.indexOf(m)));
  const unmapped = fromNames.filter((_, i) => indexMap[i] === -1);
  if (unmapped.length > 0 && (options.unmatched ?? 'error') === 'error') {
    throw new Error(
      `to: has no label meaning ${unmapped.map((n) => JSON.stringify(n)).join(', ')} of 'from'; pass options.unmatched = 'unmapped' to map them to -1`,
    );
  }
  return { from: fromNames, to: toNames, indexMap, unmapped };
}
