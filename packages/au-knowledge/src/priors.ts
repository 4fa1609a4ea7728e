/**
 * Expression × AU prior matrices with provenance, re-indexed by name to any label / AU order.
 */
import { AU_IDS, resolveAuList, type AuId, type AuList } from './aus';
import { EXPRESSIONS, resolveExpressions, resolveLabelList, type Expression, type LabelList } from './labels';
import {
  AU_DFER_AU_ORDER,
  AU_DFER_DFEW_EARLIER,
  AU_DFER_DFEW_FINAL,
  AU_DFER_FERV39K_FORMER_DFER,
  AU_DFER_LABEL_ORDER,
} from './tables/au-dfer-priors';

/** What the numbers of a prior mean. */
export type PriorKind =
  /** Scores in (0, 1), usable as P(AU | expression). */
  | 'probability'
  /** 1 = AU belongs to the expression's prototype, 0 = it does not. */
  | 'binary'
  /** Non-negative weights that are not probabilities (e.g. entries above 1). */
  | 'weight';

/** A prior table: rows are expressions, columns AUs, both named. */
export interface PriorSourceDefinition {
  /** Name of the table (used in messages and results). */
  readonly name: string;
  /** Row meanings, in row order. */
  readonly labels: readonly Expression[];
  /** Column AUs, in column order. */
  readonly aus: readonly AuId[];
  /** Rows (one per label), each with one value per AU. */
  readonly rows: readonly (readonly number[])[];
  /** What the table is, where it was read, and caveats. */
  readonly provenance: string;
  /** What the numbers mean. */
  readonly kind: PriorKind;
  /** True for tables documented as anomalous: never chosen by default, flagged in results. */
  readonly anomalous: boolean;
}

/** Binary prototype: the AUs of each expression. */
type Prototype = Readonly<Partial<Record<Expression, readonly AuId[]>>>;

/**
 * FACS / EMFACS prototypes (`au-detection.md`): happiness 6+12; sadness 1+4+15; surprise 1+2+5B+26;
 * fear 1+2+4+5+20+26; anger 4+5+7+23; disgust 9+15+16; contempt R12A+R14A. Intensity letters and
 * laterality (B, A, R) are dropped: an AU in the prototype is 1. The variant of fear that adds AU7 is not used.
 */
export const FACS_EMFACS_PROTOTYPES = {
  happy: ['AU06', 'AU12'],
  sad: ['AU01', 'AU04', 'AU15'],
  surprise: ['AU01', 'AU02', 'AU05', 'AU26'],
  fear: ['AU01', 'AU02', 'AU04', 'AU05', 'AU20', 'AU26'],
  angry: ['AU04', 'AU05', 'AU07', 'AU23'],
  disgust: ['AU09', 'AU15', 'AU16'],
  contempt: ['AU12', 'AU14'],
} as const satisfies Prototype;

/**
 * FACS manual Table 11-1, most intense combinations (`au-detection.md`): joy 6+12+25; sadness 1+4+15;
 * disgust 4+10+17; anger 4+5+7+24; surprise 1+2+5+26; fear 1+2+4+5+20+25.
 */
export const FACS_MANUAL_INTENSE_COMBINATIONS = {
  happy: ['AU06', 'AU12', 'AU25'],
  sad: ['AU01', 'AU04', 'AU15'],
  disgust: ['AU04', 'AU10', 'AU17'],
  angry: ['AU04', 'AU05', 'AU07', 'AU24'],
  surprise: ['AU01', 'AU02', 'AU05', 'AU26'],
  fear: ['AU01', 'AU02', 'AU04', 'AU05', 'AU20', 'AU25'],
} as const satisfies Prototype;

/**
 * Du, Tao & Martinez 2014 (PNAS 111(15):E1454), AUs used by at least 70% of subjects
 * (`au-detection.md`): happy 12, 25; sad 4, 15; fearful 1, 4, 20, 25; angry 4, 7, 24;
 * surprised 1, 2, 25, 26; disgusted 9, 10, 17. Their percentages for optional AUs are not shipped.
 */
export const DU_2014_PROTOTYPES = {
  happy: ['AU12', 'AU25'],
  sad: ['AU04', 'AU15'],
  fear: ['AU01', 'AU04', 'AU20', 'AU25'],
  angry: ['AU04', 'AU07', 'AU24'],
  surprise: ['AU01', 'AU02', 'AU25', 'AU26'],
  disgust: ['AU09', 'AU10', 'AU17'],
} as const satisfies Prototype;

function prototypeSource(name: string, prototype: Prototype, provenance: string): PriorSourceDefinition {
  const labels = EXPRESSIONS.filter((e) => prototype[e] !== undefined);
  return {
    name,
    labels,
    aus: AU_IDS,
    rows: labels.map((e) => AU_IDS.map((au) => ((prototype[e] ?? []).includes(au) ? 1 : 0))),
    provenance,
    kind: 'binary',
    anomalous: false,
  };
}

function auDferSource(
  name: string,
  rows: readonly (readonly number[])[],
  provenance: string,
  kind: PriorKind,
  anomalous: boolean,
): PriorSourceDefinition {
  return { name, labels: AU_DFER_LABEL_ORDER, aus: AU_DFER_AU_ORDER, rows, provenance, kind, anomalous };
}

const AU_DFER_CODE =
  'Transcribed from the public AU-DFER code (Cross-Innovation-Lab/AU-DFER; arXiv 2507.07678) via ../shared/reference/au-dfer-tables.json';

/**
 * The built-in prior tables, by name.
 * - `dfew`: AU-DFER `dfew_final`, used by its MAE-DFER and M3DFEL variants (the code multiplies each
 *   entry by 5 before use as BCE weight: pass `scale: 5`).
 * - `dfew-earlier`: AU-DFER's earlier DFEW matrix, σ(logit(dfew) + 0.523147108) entry-wise
 *   (`au-dfer.md` rounds the shift to 0.52315).
 * - `ferv39k-former-dfer`: AU-DFER's FERV39K Former-DFER matrix; anomalous (anti-correlated with the
 *   FACS prototypes, AU28/AU45 = 1.747); never a default.
 * - `facs-emfacs`, `facs-manual`, `du2014`: binary prototypes over the whole AU catalogue.
 */
export const PRIOR_SOURCES = {
  dfew: auDferSource(
    'dfew',
    AU_DFER_DFEW_FINAL,
    `AU-DFER dfew_final: the final DFEW expression x AU prior used by the MAE-DFER and M3DFEL variants; entries are sigmoid scores in (0.11, 0.89) whose fitting procedure is not in the code; AU28 is one constant in every row. The code multiplies each entry by 5 before use as a BCE weight. ${AU_DFER_CODE}.`,
    'probability',
    false,
  ),
  'dfew-earlier': auDferSource(
    'dfew-earlier',
    AU_DFER_DFEW_EARLIER,
    `AU-DFER dfew_earlier: an earlier committed DFEW matrix, equal to sigmoid(logit(dfew_final) + 0.523147108) entry-wise (to 2e-16; au-dfer.md rounds the shift to 0.52315). ${AU_DFER_CODE}.`,
    'probability',
    false,
  ),
  'ferv39k-former-dfer': auDferSource(
    'ferv39k-former-dfer',
    AU_DFER_FERV39K_FORMER_DFER,
    `ANOMALOUS. AU-DFER ferv39k_former_dfer: only in the Former-DFER FERV39K script; anti-correlated with the FACS prototypes (happy AU12 = 0.004) and AU28/AU45 = 1.747 (not probabilities). Documented for reproduction only, never a default. ${AU_DFER_CODE}.`,
    'weight',
    true,
  ),
  'facs-emfacs': prototypeSource(
    'facs-emfacs',
    FACS_EMFACS_PROTOTYPES,
    'FACS / EMFACS prototypes (au-detection.md): happiness 6+12; sadness 1+4+15; surprise 1+2+5B+26; fear 1+2+4+5+20+26; anger 4+5+7+23; disgust 9+15+16; contempt R12A+R14A. Binary (intensity and laterality dropped); no neutral row.',
  ),
  'facs-manual': prototypeSource(
    'facs-manual',
    FACS_MANUAL_INTENSE_COMBINATIONS,
    'FACS manual Table 11-1, most intense combinations (au-detection.md): joy 6+12+25; sadness 1+4+15; disgust 4+10+17; anger 4+5+7+24; surprise 1+2+5+26; fear 1+2+4+5+20+25. Binary; no neutral or contempt row.',
  ),
  du2014: prototypeSource(
    'du2014',
    DU_2014_PROTOTYPES,
    'Du, Tao & Martinez 2014, PNAS 111(15):E1454: AUs used by at least 70% of subjects (au-detection.md): happy 12, 25; sad 4, 15; fearful 1, 4, 20, 25; angry 4, 7, 24; surprised 1, 2, 25, 26; disgusted 9, 10, 17. Binary; optional-AU percentages not shipped (unverified); no neutral or contempt row.',
  ),
} as const satisfies Record<string, PriorSourceDefinition>;

/** Name of a built-in prior table. */
export type PriorSourceName = keyof typeof PRIOR_SOURCES;

/** Names of the built-in prior tables. */
export function listPriorSources(): readonly PriorSourceName[] {
  return Object.keys(PRIOR_SOURCES) as PriorSourceName[];
}

/**
 * A built-in prior table by name.
 *
 * @throws Error listing the built-in names when `name` is unknown.
 */
export function getPriorSource(name: string): PriorSourceDefinition {
  if (!Object.prototype.hasOwnProperty.call(PRIOR_SOURCES, name)) {
    throw new Error(
      `source: unknown prior ${JSON.stringify(name)}; expected one of ${listPriorSources().join(', ')}`,
    );
  }
  return PRIOR_SOURCES[name as PriorSourceName];
}

/** Row normalisation of {@link priorMatrix}. */
export type PriorNormalization = 'none' | 'row-sum' | 'row-max';

/** Per-call options of {@link priorMatrix}. */
export interface PriorMatrixOptions {
  /** A built-in table's name or a table of your own. Default `'dfew'`. */
  readonly source?: PriorSourceName | PriorSourceDefinition;
  /** Row labels of the result (a label set name or names, matched by meaning). Default: the source's rows. */
  readonly labels?: LabelList;
  /** Columns of the result (an AU set name or AU names). Default: the source's columns. */
  readonly aus?: AuList;
  /**
   * Value for entries the source lacks (a label or AU it has no row/column for). Without it, such
   * entries raise an error. Filled entries are listed in {@link PriorMatrix.filled}.
   */
  readonly fill?: number;
  /** `'none'` (default); `'row-sum'`: each row divided by its sum; `'row-max'`: by its maximum. */
  readonly normalize?: PriorNormalization;
  /** Factor applied after normalisation (AU-DFER uses 5). Default 1. */
  readonly scale?: number;
}

/** An expression × AU matrix with its names and provenance. */
export interface PriorMatrix {
  /** Name of the source table. */
  readonly source: string;
  /** Provenance text of the source table. */
  readonly provenance: string;
  /** What the numbers mean (before normalisation and scaling). */
  readonly kind: PriorKind;
  /** True when the source is documented as anomalous. */
  readonly anomalous: boolean;
  /** Row label names, as requested. */
  readonly labels: readonly string[];
  /** Canonical meaning of each row. */
  readonly expressions: readonly Expression[];
  /** Column AUs. */
  readonly aus: readonly AuId[];
  /** Number of rows (labels). */
  readonly rows: number;
  /** Number of columns (AUs). */
  readonly cols: number;
  /** Row-major values `[rows, cols]` in float32 (for tensors). */
  readonly values: Float32Array;
  /** Row-major values `[rows, cols]` in full float64 precision (equal to the source tables). */
  readonly values64: Float64Array;
  /** Normalisation applied. */
  readonly normalize: PriorNormalization;
  /** Scale applied. */
  readonly scale: number;
  /** Entries the source lacked, filled with `value` (before normalisation and scaling). */
  readonly filled: {
    readonly count: number;
    readonly value?: number;
    readonly entries: readonly { readonly label: string; readonly au: AuId }[];
  };
}

function validateSource(source: PriorSourceDefinition): void {
  if (source.rows.length !== source.labels.length) {
    throw new Error(
      `source: '${source.name}' has ${source.rows.length} rows for ${source.labels.length} labels`,
    );
  }
  source.rows.forEach((row, i) => {
    if (row.length !== source.aus.length) {
      throw new Error(
        `source: '${source.name}' row ${i} has ${row.length} values; expected ${source.aus.length} (one per AU)`,
      );
    }
    row.forEach((v, j) => {
      if (!Number.isFinite(v))
        throw new Error(`source: '${source.name}' row ${i} column ${j} is ${v}; expected a finite number`);
    });
  });
}

/**
 * An expression × AU prior matrix re-indexed **by name** to any label order and AU order.
 *
 * `out[r, c] = scale · N(source[row(meaning(labels[r])), col(aus[c])])`, where `N` is the
 * normalisation: identity (`'none'`), division by the row sum (`'row-sum'`, rows then sum to 1), or by
 * the row maximum (`'row-max'`). Labels are matched by meaning (`'happiness'` finds the `happy`
 * row). Entries the source lacks are filled only when `fill` is given, and are recorded.
 *
 * @example priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18', scale: 5 }) // AU-DFER's BCE weights
 * @throws Error for unknown sources, labels or AUs (listing what exists), missing entries without
 *   `fill`, a non-finite or non-positive `scale`, or a zero row under normalisation.
 */
export function priorMatrix(options: PriorMatrixOptions = {}): PriorMatrix {
  const source =
    typeof options.source === 'object' ? options.source : getPriorSource(options.source ?? 'dfew');
  validateSource(source);
  const labels = options.labels === undefined ? source.labels : resolveLabelList(options.labels, 'labels');
  const expressions = resolveExpressions(labels, 'labels');
  const aus = options.aus === undefined ? source.aus : resolveAuList(options.aus, 'aus');
  const normalize = options.normalize ?? 'none';
  if (!['none', 'row-sum', 'row-max'].includes(normalize)) {
    throw new Error(`normalize: ${JSON.stringify(normalize)} is not one of 'none', 'row-sum', 'row-max'`);
  }
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0)
    throw new Error(`scale: ${scale} is not a finite positive number`);
  if (options.fill !== undefined && !Number.isFinite(options.fill)) {
    throw new Error(`fill: ${options.fill} is not a finite number`);
  }

  const rowIndex = expressions.map((e) => source.labels.indexOf(e));
  const colIndex = aus.map((a) => source.aus.indexOf(a));
  const missingLabels = labels.filter((_, r) => rowIndex[r] === -1);
  const missingAus = aus.filter((_, c) => colIndex[c] === -1);
  if ((missingLabels.length > 0 || missingAus.length > 0) && options.fill === undefined) {
    const parts: string[] = [];
    if (missingLabels.length > 0) {
      parts.push(`labels ${missingLabels.join(', ')} (it has rows ${source.labels.join(', ')})`);
    }
    if (missingAus.length > 0)
      parts.push(`AUs ${missingAus.join(', ')} (it has columns ${source.aus.join(', ')})`);
    throw new Error(
      `source '${source.name}' has no entries for ${parts.join(' and ')}; pass fill: <number> to fill them`,
    );
  }

  const rows = labels.length;
  const cols = aus.length;
  const values64 = new Float64Array(rows * cols);
  const entries: { label: string; au: AuId }[] = [];
  for (let r = 0; r < rows; r++) {
    const sr = rowIndex[r] ?? -1;
    for (let c = 0; c < cols; c++) {
      const sc = colIndex[c] ?? -1;
      if (sr === -1 || sc === -1) {
        values64[r * cols + c] = options.fill as number;
        entries.push({ label: labels[r] as string, au: aus[c] as AuId });
      } else {
        values64[r * cols + c] = (source.rows[sr] as readonly number[])[sc] as number;
      }
    }
  }
  for (let r = 0; r < rows; r++) {
    let denom = 1;
    if (normalize !== 'none') {
      const row = values64.subarray(r * cols, (r + 1) * cols);
      denom = normalize === 'row-sum' ? row.reduce((a, b) => a + b, 0) : Math.max(...row);
      if (!(denom > 0)) {
        throw new Error(
          `normalize: row ${JSON.stringify(labels[r])} has ${normalize === 'row-sum' ? 'sum' : 'maximum'} ${denom}; cannot normalise it`,
        );
      }
    }
    if (denom !== 1 || scale !== 1) {
      for (let c = 0; c < cols; c++)
        values64[r * cols + c] = ((values64[r * cols + c] as number) / denom) * scale;
    }
  }
  const filled =
    options.fill === undefined || entries.length === 0
      ? { count: 0, entries }
      : { count: entries.length, value: options.fill, entries };
  return {
    source: source.name,
    provenance: source.provenance,
    kind: source.kind,
    anomalous: source.anomalous,
    labels,
    expressions,
    aus,
    rows,
    cols,
    values: Float32Array.from(values64),
    values64,
    normalize,
    scale,
    filled,
  };
}

/**
 * One entry of a prior matrix, looked up by label and AU name.
 *
 * @throws Error when the label or AU is not in the matrix.
 */
export function getPriorEntry(prior: PriorMatrix, label: string, au: string | number): number {
  const r = prior.labels.indexOf(label);
  if (r === -1)
    throw new Error(
      `label: ${JSON.stringify(label)} is not a row of prior '${prior.source}' (rows: ${prior.labels.join(', ')})`,
    );
  const id = resolveAuList([au], 'au')[0] as AuId;
  const c = prior.aus.indexOf(id);
  if (c === -1)
    throw new Error(
      `au: ${id} is not a column of prior '${prior.source}' (columns: ${prior.aus.join(', ')})`,
    );
  return prior.values64[r * prior.cols + c] as number;
}
