/** The shared state of a synthetic FACS dataset and its subsets: labels, identities, clip plans, rendering and the frame caches. */
import { priorMatrix, type PriorMatrix } from '@dfer/au-knowledge';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocateClassCounts } from './synthetic-facs-config';
import type {
  SyntheticClipInfo,
  SyntheticFacsClipMeta,
  SyntheticFacsClipSample,
  SyntheticSegment,
} from './synthetic-facs-types';
import type { ClipGetOptions } from '../clip-dataset';
import { createRandomSource, deriveSeed, randomInt, shuffledIndices } from '../random';
import { planFrame, sampleClipPlan, segmentActivation, type ClipPlan } from './clip-plan';
import { createExpressionProfile, type ExpressionProfile } from './expression-profile';
import { sampleFaceIdentity, type FaceIdentity } from './face-identity';
import { renderFaceFrame } from './face-renderer';
import { FrameMemory } from './frame-memory';
import type { ResolvedConfig } from './synthetic-facs-config';

/** Random streams (first key of `deriveSeed`). */
const STREAM_LABELS = 1;
const STREAM_IDENTITY = 2;
const STREAM_CLIP = 3;
const STREAM_NOISE_PIXELS = 4;
const STREAM_LABEL_NOISE = 5;
const STREAM_IDENTITY_ASSIGN = 6;

/** Version of the rendering; part of the cache key so that caches of older renderers are not reused. */
const RENDERER_VERSION = 1;

/** Shared, immutable state of a dataset and all of its subsets. */
export class SyntheticCore {
  readonly trueLabels: Int32Array;
  readonly givenLabels: Int32Array;
  readonly identities: Int32Array;
  readonly profile: ExpressionProfile;
  private readonly identityCache = new Map<number, FaceIdentity>();
  private readonly cacheRoot?: string;
  /** Rendered frames by `clip:frame:HxW`. */
  private readonly frameMemory: FrameMemory;
  private readonly floatLut = new Float32Array(256);

  constructor(
    readonly cfg: ResolvedConfig,
    prior: PriorMatrix | undefined,
  ) {
    this.profile = createExpressionProfile({
      prior: prior ?? priorMatrix({ source: 'dfew', aus: 'openface18' }),
      labels: cfg.labels,
    });
    if (
      this.profile.labels.length !== cfg.labels.length ||
      this.profile.labels.some((l, i) => l !== cfg.labels[i])
    ) {
      throw new RangeError(
        `createSyntheticFacsDataset: profile rows (${this.profile.labels.join(', ')}) must be the labels (${cfg.labels.join(', ')}) in the same order`,
      );
    }
    for (let i = 0; i < 256; i++) this.floatLut[i] = i / 255;
    this.frameMemory = new FrameMemory(cfg.memoryCacheBytes);
    const n = cfg.numClips;
    // True labels: exact counts, shuffled.
    const counts = allocateClassCounts(n, cfg.classProportions);
    const ordered: number[] = [];
    counts.forEach((c, e) => {
      for (let k = 0; k < c; k++) ordered.push(e);
    });
    const perm = shuffledIndices(n, createRandomSource(deriveSeed(cfg.seed, STREAM_LABELS)));
    this.trueLabels = new Int32Array(n);
    perm.forEach((p, k) => (this.trueLabels[p] = ordered[k] as number));
    // Identities: each gets floor(n/I) or ceil(n/I) clips.
    const idPerm = shuffledIndices(n, createRandomSource(deriveSeed(cfg.seed, STREAM_IDENTITY_ASSIGN)));
    this.identities = new Int32Array(n);
    idPerm.forEach((p, k) => (this.identities[p] = k % cfg.numIdentities));
    // Given labels: exactly round(rate·n) wrong ones.
    this.givenLabels = Int32Array.from(this.trueLabels);
    const noiseRng = createRandomSource(deriveSeed(cfg.seed, STREAM_LABEL_NOISE));
    const noisy = shuffledIndices(n, noiseRng).slice(0, Math.round(cfg.noiseRate * n));
    const E = cfg.labels.length;
    if (noisy.length > 0 && E < 2)
      throw new RangeError('createSyntheticFacsDataset: label noise needs at least 2 labels');
    const nearest = this.nearestProfiles();
    for (const i of noisy) {
      const y = this.trueLabels[i] as number;
      const pattern = cfg.noisePattern;
      let wrong: number;
      if (pattern === 'uniform') {
        wrong = randomInt(noiseRng, E - 1);
        if (wrong >= y) wrong++;
      } else if (pattern === 'pair') {
        wrong = nearest[y] as number;
      } else {
        const row = pattern[y] as readonly number[];
        // Inverse-CDF draw ∝ row; the last positive entry absorbs rounding at the top end.
        let u = noiseRng.next() * row.reduce((a, b) => a + b, 0);
        wrong = -1;
        for (let f = 0; f < row.length; f++) {
          const v = row[f] as number;
          if (v <= 0) continue;
          wrong = f;
          u -= v;
          if (u < 0) break;
        }
      }
      this.givenLabels[i] = wrong;
    }
    if (cfg.cacheDir !== undefined) {
      const key = createHash('sha256')
        .update(
          JSON.stringify({
            v: RENDERER_VERSION,
            cfg: { ...cfg, cacheDir: undefined, memoryCacheBytes: undefined },
            profile: Array.from(this.profile.weights),
          }),
        )
        .digest('hex')
        .slice(0, 16);
      this.cacheRoot = join(cfg.cacheDir, `synthetic-facs-${key}`);
    }
  }

  /** For each label, the other label whose profile row is nearest in squared Euclidean distance. */
  private nearestProfiles(): number[] {
    const E = this.cfg.labels.length;
    const J = this.profile.aus.length;
    const w = this.profile.weights;
    return Array.from({ length: E }, (_, e) => {
      let best = -1;
      let bestD = Infinity;
      for (let f = 0; f < E; f++) {
        if (f === e) continue;
        let d = 0;
        for (let j = 0; j < J; j++) d += ((w[e * J + j] as number) - (w[f * J + j] as number)) ** 2;
        if (d < bestD) {
          bestD = d;
          best = f;
        }
      }
      return best;
    });
  }

  identity(idx: number): FaceIdentity {
    let id = this.identityCache.get(idx);
    if (id === undefined) {
      id = sampleFaceIdentity(createRandomSource(deriveSeed(this.cfg.seed, STREAM_IDENTITY, idx)));
      this.identityCache.set(idx, id);
    }
    return id;
  }

  plan(i: number): ClipPlan {
    return sampleClipPlan(
      createRandomSource(deriveSeed(this.cfg.seed, STREAM_CLIP, i)),
      this.trueLabels[i] as number,
      this.profile,
      this.cfg.plan,
    );
  }

  clipId(i: number): string {
    return `synfacs-${String(i).padStart(6, '0')}`;
  }

  subject(i: number): string {
    return `identity-${String(this.identities[i]).padStart(4, '0')}`;
  }

  /** Ground-truth AU intensities (in auNames order) of a frame state. */
  fillAus(
    aus: Record<string, number>,
    intensities: Float32Array,
    presences: Uint8Array,
    offset: number,
  ): void {
    const names = this.cfg.auNames;
    for (let k = 0; k < names.length; k++) {
      const v = aus[names[k] as string] ?? 0;
      intensities[offset + k] = v;
      presences[offset + k] = v >= this.cfg.presenceThreshold ? 1 : 0;
    }
  }

  info(i: number): SyntheticClipInfo {
    const plan = this.plan(i);
    const T = plan.numFrames;
    const nAu = this.cfg.auNames.length;
    const identity = this.identity(this.identities[i] as number);
    const auIntensities = new Float32Array(T * nAu);
    const auPresences = new Uint8Array(T * nAu);
    const keyActivation = new Float32Array(T);
    const distractorActivation = new Float32Array(T);
    const occluded = new Uint8Array(T);
    for (let t = 0; t < T; t++) {
      const f = planFrame(plan, t, identity, this.profile, this.cfg.plan.fps);
      this.fillAus(f.aus, auIntensities, auPresences, t * nAu);
      keyActivation[t] = f.mainActivation;
      distractorActivation[t] = f.distractorActivation;
      occluded[t] = f.occlusion === undefined ? 0 : 1;
    }
    const seg = (s: ClipPlan['main']): SyntheticSegment => ({
      label: s.label,
      start: s.start,
      apexStart: s.apexStart,
      apexEnd: s.apexEnd,
      end: s.end,
    });
    return {
      id: this.clipId(i),
      identity: this.identities[i] as number,
      subject: this.subject(i),
      numFrames: T,
      trueLabel: this.trueLabels[i] as number,
      label: this.givenLabels[i] as number,
      labelIsNoisy: this.trueLabels[i] !== this.givenLabels[i],
      difficulty: plan.difficulty,
      keySegment: seg(plan.main),
      distractors: plan.distractors.map(seg),
      auIntensities,
      auPresences,
      keyActivation,
      distractorActivation,
      occluded,
      ...(plan.speech === undefined ? {} : { speech: { start: plan.speech.start, end: plan.speech.end } }),
      blinks: plan.blinks.length,
    };
  }

  private cachePath(i: number, t: number, h: number, w: number): string | undefined {
    return this.cacheRoot === undefined
      ? undefined
      : join(this.cacheRoot, `${h}x${w}`, this.clipId(i), `${t}.rgb`);
  }

  private frameBytes(
    i: number,
    t: number,
    plan: ClipPlan,
    identity: FaceIdentity,
    h: number,
    w: number,
    out: Uint8Array,
  ): ReturnType<typeof planFrame> {
    const f = planFrame(plan, t, identity, this.profile, this.cfg.plan.fps);
    const memoryKey = `${i}:${t}:${h}x${w}`;
    if (this.frameMemory.recall(memoryKey, out)) return f;
    const path = this.cachePath(i, t, h, w);
    if (path !== undefined) {
      let cached: Buffer | undefined;
      try {
        cached = readFileSync(path);
      } catch {
        cached = undefined;
      }
      if (cached !== undefined && cached.length === out.length) {
        out.set(cached);
        this.frameMemory.remember(memoryKey, out);
        return f;
      }
    }
    renderFaceFrame(
      {
        identity,
        aus: f.aus,
        framing: f.framing,
        photometry: plan.photometry,
        ...(f.occlusion === undefined ? {} : { occlusion: f.occlusion }),
        gaze: plan.gaze,
        noiseSeed: deriveSeed(this.cfg.seed, STREAM_NOISE_PIXELS, i, t),
      },
      w,
      h,
      out,
    );
    if (path !== undefined) {
      const dir = join(path, '..');
      mkdirSync(dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, out);
      renameSync(tmp, path);
    }
    this.frameMemory.remember(memoryKey, out);
    return f;
  }

  get(i: number, options: ClipGetOptions): SyntheticFacsClipSample {
    const plan = this.plan(i);
    const T0 = plan.numFrames;
    const frameIndices = options.frameIndices ?? Array.from({ length: T0 }, (_, t) => t);
    if (!Array.isArray(frameIndices) || frameIndices.length === 0) {
      throw new RangeError(`get(${i}): options.frameIndices must be a non-empty array of frame indices`);
    }
    frameIndices.forEach((t, k) => {
      if (!Number.isInteger(t) || t < 0 || t >= T0) {
        throw new RangeError(
          `get(${i}): options.frameIndices[${k}] = ${String(t)} is not a frame of clip ${this.clipId(i)} (0..${T0 - 1})`,
        );
      }
    });
    const [h, w] = options.size ?? this.cfg.size;
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 8 || w < 8 || h > 2048 || w > 2048) {
      throw new RangeError(
        `get(${i}): options.size must be [height, width] integers in [8, 2048], got [${String(h)}, ${String(w)}]`,
      );
    }
    const T = frameIndices.length;
    const nAu = this.cfg.auNames.length;
    const frameLen = h * w * 3;
    const frames = new Float32Array(T * frameLen);
    const bytes = new Uint8Array(frameLen);
    const auIntensities = new Float32Array(T * nAu);
    const aus = new Uint8Array(T * nAu);
    const keyActivation = new Float32Array(T);
    const distractorActivation = new Float32Array(T);
    const occluded = new Uint8Array(T);
    const identity = this.identity(this.identities[i] as number);
    const lut = this.floatLut;
    for (let k = 0; k < T; k++) {
      const t = frameIndices[k] as number;
      const f = this.frameBytes(i, t, plan, identity, h, w, bytes);
      const base = k * frameLen;
      for (let p = 0; p < frameLen; p++) frames[base + p] = lut[bytes[p] as number] as number;
      this.fillAus(f.aus, auIntensities, aus, k * nAu);
      keyActivation[k] = segmentActivation(plan.main, t);
      distractorActivation[k] = f.distractorActivation;
      occluded[k] = f.occlusion === undefined ? 0 : 1;
    }
    return {
      id: this.clipId(i),
      frames,
      shape: [T, h, w, 3],
      label: this.givenLabels[i] as number,
      frameIndices: [...frameIndices],
      aus,
      meta: {
        trueLabel: this.trueLabels[i] as number,
        labelIsNoisy: this.trueLabels[i] !== this.givenLabels[i],
        identity: this.identities[i] as number,
        subject: this.subject(i),
        difficulty: plan.difficulty,
        auIntensities,
        keyActivation,
        distractorActivation,
        occluded,
        keySegment: {
          label: plan.main.label,
          start: plan.main.start,
          apexStart: plan.main.apexStart,
          apexEnd: plan.main.apexEnd,
          end: plan.main.end,
        },
        distractors: plan.distractors.map((d) => ({
          label: d.label,
          start: d.start,
          apexStart: d.apexStart,
          apexEnd: d.apexEnd,
          end: d.end,
        })),
      } satisfies SyntheticFacsClipMeta,
    };
  }
}
