/**
 * Facial Action Unit (AU) catalogue and the AU sets of the tools and datasets of the field.
 *
 * Sources:
 * - FACS names and muscular basis: Ekman, Friesen & Hager, "Facial Action Coding System" (2002),
 *   as tabulated in the manual's AU summary table.
 * - OpenFace 2.0 outputs (18 presences `AUxx_c`, 17 intensities `AUxx_r`, no AU28 intensity):
 *   `../shared/reference/au-dfer.md` ("AUs and labels").
 * - BP4D 12-AU benchmark set and DISFA 8-AU benchmark set: `../shared/reference/au-detection.md`.
 */

/** Broad face half an AU belongs to (FACS groups AUs into upper- and lower-face actions). */
export type FaceRegion = 'upper' | 'lower';

/** Finer face area an AU visibly changes. */
export type FaceArea = 'brows' | 'eyes' | 'nose' | 'cheeks' | 'mouth' | 'chin' | 'jaw';

/** One entry of the AU catalogue. */
export interface AuInfo {
  /** Canonical id, zero-padded (`AU01`), as in OpenFace column names without the `_c`/`_r` suffix. */
  readonly id: string;
  /** FACS AU number. */
  readonly number: number;
  /** FACS name (Ekman, Friesen & Hager 2002). */
  readonly facsName: string;
  /** Muscular basis (FACS manual). */
  readonly muscles: string;
  /** Upper or lower face. */
  readonly region: FaceRegion;
  /** Face area the action changes. */
  readonly area: FaceArea;
}

/**
 * The AU catalogue, ordered by AU number: every AU used by OpenFace 2.0, BP4D, DISFA and the FACS /
 * EMFACS prototypes and the FACS manual combinations shipped in this package (plus AU11 and AU43).
 * Names and muscles: FACS manual (Ekman, Friesen & Hager 2002).
 */
export const AU_CATALOGUE = [
  {
    id: 'AU01',
    number: 1,
    facsName: 'Inner Brow Raiser',
    muscles: 'frontalis, pars medialis',
    region: 'upper',
    area: 'brows',
  },
  {
    id: 'AU02',
    number: 2,
    facsName: 'Outer Brow Raiser',
    muscles: 'frontalis, pars lateralis',
    region: 'upper',
    area: 'brows',
  },
  {
    id: 'AU04',
    number: 4,
    facsName: 'Brow Lowerer',
    muscles: 'corrugator supercilii, depressor supercilii, procerus',
    region: 'upper',
    area: 'brows',
  },
  {
    id: 'AU05',
    number: 5,
    facsName: 'Upper Lid Raiser',
    muscles: 'levator palpebrae superioris',
    region: 'upper',
    area: 'eyes',
  },
  {
    id: 'AU06',
    number: 6,
    facsName: 'Cheek Raiser',
    muscles: 'orbicularis oculi, pars orbitalis',
    region: 'upper',
    area: 'cheeks',
  },
  {
    id: 'AU07',
    number: 7,
    facsName: 'Lid Tightener',
    muscles: 'orbicularis oculi, pars palpebralis',
    region: 'upper',
    area: 'eyes',
  },
  {
    id: 'AU09',
    number: 9,
    facsName: 'Nose Wrinkler',
    muscles: 'levator labii superioris alaeque nasi',
    region: 'lower',
    area: 'nose',
  },
  {
    id: 'AU10',
    number: 10,
    facsName: 'Upper Lip Raiser',
    muscles: 'levator labii superioris',
    region: 'lower',
    area: 'mouth',
  },
  {
    id: 'AU11',
    number: 11,
    facsName: 'Nasolabial Deepener',
    muscles: 'zygomaticus minor',
    region: 'lower',
    area: 'cheeks',
  },
  {
    id: 'AU12',
    number: 12,
    facsName: 'Lip Corner Puller',
    muscles: 'zygomaticus major',
    region: 'lower',
    area: 'mouth',
  },
  { id: 'AU14', number: 14, facsName: 'Dimpler', muscles: 'buccinator', region: 'lower', area: 'mouth' },
  {
    id: 'AU15',
    number: 15,
    facsName: 'Lip Corner Depressor',
    muscles: 'depressor anguli oris (triangularis)',
    region: 'lower',
    area: 'mouth',
  },
  {
    id: 'AU16',
    number: 16,
    facsName: 'Lower Lip Depressor',
    muscles: 'depressor labii inferioris',
    region: 'lower',
    area: 'mouth',
  },
  { id: 'AU17', number: 17, facsName: 'Chin Raiser', muscles: 'mentalis', region: 'lower', area: 'chin' },
  {
    id: 'AU20',
    number: 20,
    facsName: 'Lip Stretcher',
    muscles: 'risorius with platysma',
    region: 'lower',
    area: 'mouth',
  },
  {
    id: 'AU23',
    number: 23,
    facsName: 'Lip Tightener',
    muscles: 'orbicularis oris',
    region: 'lower',
    area: 'mouth',
  },
  {
    id: 'AU24',
    number: 24,
    facsName: 'Lip Pressor',
    muscles: 'orbicularis oris',
    region: 'lower',
    area: 'mouth',
  },
  {
    id: 'AU25',
    number: 25,
    facsName: 'Lips Part',
    muscles: 'depressor labii inferioris, or relaxation of mentalis or orbicularis oris',
    region: 'lower',
    area: 'mouth',
  },
  {
    id: 'AU26',
    number: 26,
    facsName: 'Jaw Drop',
    muscles: 'masseter; relaxed temporalis and internal pterygoid',
    region: 'lower',
    area: 'jaw',
  },
  {
    id: 'AU28',
    number: 28,
    facsName: 'Lip Suck',
    muscles: 'orbicularis oris',
    region: 'lower',
    area: 'mouth',
  },
  {
    id: 'AU43',
    number: 43,
    facsName: 'Eyes Closed',
    muscles: 'relaxation of levator palpebrae superioris; orbicularis oculi, pars palpebralis',
    region: 'upper',
    area: 'eyes',
  },
  {
    id: 'AU45',
    number: 45,
    facsName: 'Blink',
    muscles: 'relaxation of levator palpebrae superioris; orbicularis oculi, pars palpebralis',
    region: 'upper',
    area: 'eyes',
  },
] as const satisfies readonly AuInfo[];

/** Canonical AU id (`'AU01'`, …, `'AU45'`), derived from {@link AU_CATALOGUE}. */
export type AuId = (typeof AU_CATALOGUE)[number]['id'];

/** Every AU id of the catalogue, in catalogue (AU number) order. */
export const AU_IDS: readonly AuId[] = AU_CATALOGUE.map((au) => au.id);

/**
 * AU sets in their canonical column order.
 * - `openface18`: OpenFace 2.0 presence outputs `AUxx_c` (the 18 AUs of AU-DFER; `au-dfer.md`).
 * - `openface17`: OpenFace 2.0 intensity outputs `AUxx_r` (no AU28; `au-dfer.md`).
 * - `bp4d12`: the BP4D benchmark AUs, in the column order of the public label lists (`au-detection.md`).
 * - `disfa8`: the DISFA benchmark AUs (`au-detection.md`).
 * - `disfa12`: every AU DISFA codes with intensities 0–5 (Mavadati et al., IEEE TAC 2013).
 */
export const AU_SETS = {
  openface18: [
    'AU01',
    'AU02',
    'AU04',
    'AU05',
    'AU06',
    'AU07',
    'AU09',
    'AU10',
    'AU12',
    'AU14',
    'AU15',
    'AU17',
    'AU20',
    'AU23',
    'AU25',
    'AU26',
    'AU28',
    'AU45',
  ],
  openface17: [
    'AU01',
    'AU02',
    'AU04',
    'AU05',
    'AU06',
    'AU07',
    'AU09',
    'AU10',
    'AU12',
    'AU14',
    'AU15',
    'AU17',
    'AU20',
    'AU23',
    'AU25',
    'AU26',
    'AU45',
  ],
  bp4d12: ['AU01', 'AU02', 'AU04', 'AU06', 'AU07', 'AU10', 'AU12', 'AU14', 'AU15', 'AU17', 'AU23', 'AU24'],
  disfa8: ['AU01', 'AU02', 'AU04', 'AU06', 'AU09', 'AU12', 'AU25', 'AU26'],
  disfa12: ['AU01', 'AU02', 'AU04', 'AU05', 'AU06', 'AU09', 'AU12', 'AU15', 'AU17', 'AU20', 'AU25', 'AU26'],
} as const satisfies Record<string, readonly AuId[]>;

/** Name of a built-in AU set. */
export type AuSetName = keyof typeof AU_SETS;

/** What the AU sets were read from, per set. */
export const AU_SET_SOURCES: Readonly<Record<AuSetName, string>> = {
  openface18:
    'OpenFace 2.0 FeatureExtraction presence columns AUxx_c (au-dfer.md; the 18 AUs of the AU-DFER AU head).',
  openface17:
    'OpenFace 2.0 FeatureExtraction intensity columns AUxx_r: the 18 presence AUs without AU28 (au-dfer.md).',
  bp4d12:
    'BP4D (FERA 2015) benchmark AUs in the column order of the public JAA-Net label lists BP4D_*_AUOccur.txt (au-detection.md).',
  disfa8: 'DISFA benchmark AUs 1, 2, 4, 6, 9, 12, 25, 26 used by JAA-Net and ME-GraphAU (au-detection.md).',
  disfa12:
    'All 12 AUs coded in DISFA (intensity 0-5 per frame): 1, 2, 4, 5, 6, 9, 12, 15, 17, 20, 25, 26 (Mavadati et al., IEEE Trans. Affective Computing 2013).',
};

const AU_BY_ID: ReadonlyMap<string, AuInfo> = new Map(AU_CATALOGUE.map((au) => [au.id, au]));

/** Every AU of the catalogue, in AU number order. */
export function listAus(): readonly AuInfo[] {
  return AU_CATALOGUE;
}

/** Names of the built-in AU sets. */
export function listAuSets(): readonly AuSetName[] {
  return Object.keys(AU_SETS) as AuSetName[];
}

/**
 * Canonical id of an AU written in any common form: `'AU01'`, `'AU1'`, `'au1'`, `'1'`, `1`, or an
 * OpenFace column name (`'AU01_c'`, `'AU01_r'`, with or without surrounding spaces).
 *
 * @param name - the AU to resolve.
 * @param argName - argument name used in the error message.
 * @throws Error naming `argName`, the bad value and the catalogue's ids when the AU is unknown.
 */
export function parseAuId(name: string | number, argName = 'au'): AuId {
  let num: number | undefined;
  if (typeof name === 'number') {
    num = Number.isInteger(name) ? name : undefined;
  } else {
    const match = /^\s*(?:AU)?0*(\d+)(?:_[cr])?\s*$/i.exec(name);
    num = match?.[1] === undefined ? undefined : Number(match[1]);
  }
  const id = num === undefined ? undefined : `AU${String(num).padStart(2, '0')}`;
  if (id === undefined || !AU_BY_ID.has(id)) {
    throw new Error(
      `${argName}: unknown AU ${JSON.stringify(name)}; expected one of ${AU_IDS.join(', ')} (also written AU1, 1 or AU01_c)`,
    );
  }
  return id as AuId;
}

/**
 * Catalogue entry of one AU.
 *
 * @throws Error listing the catalogue when the AU is unknown.
 */
export function getAu(name: string | number): AuInfo {
  const info = AU_BY_ID.get(parseAuId(name));
  if (info === undefined) throw new Error(`au: unknown AU ${JSON.stringify(name)}`);
  return info;
}

/**
 * A list of AU ids: either a built-in set's name or explicit AU names (any form accepted by
 * {@link parseAuId}).
 */
export type AuList = AuSetName | readonly (string | number)[];

/**
 * Resolve an {@link AuList} to canonical ids, in the given order.
 *
 * @throws Error naming `argName` for an unknown set name, an unknown AU or a duplicated AU.
 */
export function resolveAuList(aus: AuList, argName = 'aus'): readonly AuId[] {
  if (typeof aus === 'string') {
    if (!Object.prototype.hasOwnProperty.call(AU_SETS, aus)) {
      throw new Error(
        `${argName}: unknown AU set ${JSON.stringify(aus)}; expected one of ${listAuSets().join(', ')} or an array of AU names`,
      );
    }
    return AU_SETS[aus];
  }
  if (!Array.isArray(aus)) {
    throw new Error(
      `${argName}: expected an AU set name (${listAuSets().join(', ')}) or an array of AU names`,
    );
  }
  const ids = aus.map((a, i) => parseAuId(a, `${argName}[${i}]`));
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) throw new Error(`${argName}[${i}]: AU ${id} appears twice; each AU must appear once`);
    seen.add(id);
  });
  return ids;
}

/**
 * Names of the built-in AU sets that contain an AU (e.g. which tools and datasets provide it).
 */
export function listAuSetsContaining(name: string | number): readonly AuSetName[] {
  const id = parseAuId(name);
  return listAuSets().filter((set) => (AU_SETS[set] as readonly string[]).includes(id));
}

/** How {@link alignAuVector} treats an AU of the target set that the source set lacks. */
export type MissingAuPolicy = 'error' | { readonly fill: number };

/** Per-call options of {@link alignAuVector}. */
export interface AlignAuOptions {
  /** AUs of `to` absent from `from`: `'error'` (default) refuses; `{ fill: v }` writes `v` there. */
  readonly missing?: MissingAuPolicy;
}

/** Result of {@link alignAuVector}. */
export interface AlignedAuVector {
  /** Values in the order of `aus` (one row per input row, row-major). */
  readonly values: Float64Array;
  /** Target AU order. */
  readonly aus: readonly AuId[];
  /** Target AUs the source lacked (filled with {@link AlignedAuVector.fillValue}). */
  readonly filled: readonly AuId[];
  /** The fill value used, when any AU was filled. */
  readonly fillValue?: number;
  /** Source AUs the target lacks (their values are not carried over). */
  readonly dropped: readonly AuId[];
}

/**
 * Re-order a vector (or a row-major matrix of rows, e.g. per-frame AU values `[T, nFrom]`) from one
 * AU order to another, matching columns by AU id.
 *
 * `out[t, k] = values[t, indexOf(from, to[k])]`; target AUs absent from `from` raise an error unless
 * `options.missing = { fill }` is given, in which case they get the fill value and are listed in
 * `filled`. Source AUs absent from `to` are listed in `dropped`.
 *
 * @throws Error when `values.length` is not a multiple of the source set size, or an AU is missing
 *   and no fill was asked for.
 */
export function alignAuVector(
  values: ArrayLike<number>,
  from: AuList,
  to: AuList,
  options: AlignAuOptions = {},
): AlignedAuVector {
  const fromIds = resolveAuList(from, 'from');
  const toIds = resolveAuList(to, 'to');
  if (values.length === 0 || values.length % fromIds.length !== 0) {
    throw new Error(
      `values: length ${values.length} is not a positive multiple of the ${fromIds.length} AUs of 'from' (${fromIds.join(', ')})`,
    );
  }
  const missingPolicy = options.missing ?? 'error';
  const index = toIds.map((id) => fromIds.indexOf(id));
  const filled = toIds.filter((_, k) => index[k] === -1);
  let fillValue: number | undefined;
  if (filled.length > 0) {
    if (missingPolicy === 'error') {
      throw new Error(
        `to: AUs ${filled.join(', ')} are absent from 'from' (${fromIds.join(', ')}); pass options.missing = { fill: <number> } to fill them`,
      );
    }
    fillValue = missingPolicy.fill;
  }
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) {
      throw new Error(
        `values[${k}] (row ${Math.floor(k / fromIds.length)}, ${fromIds[k % fromIds.length]}): ${values[k]} is not a finite number`,
      );
    }
  }
  const rows = values.length / fromIds.length;
  const out = new Float64Array(rows * toIds.length);
  for (let t = 0; t < rows; t++) {
    for (let k = 0; k < toIds.length; k++) {
      const src = index[k] ?? -1;
      out[t * toIds.length + k] =
        src === -1 ? (fillValue as number) : (values[t * fromIds.length + src] as number);
    }
  }
  const dropped = fromIds.filter((id) => !toIds.includes(id));
  return fillValue === undefined
    ? { values: out, aus: toIds, filled, dropped }
    : { values: out, aus: toIds, filled, fillValue, dropped };
}
