/**
 * The plan of one synthetic clip: every random decision about it (timing of the expression, apex
 * intensities, distractor segment, blinks, speech, head motion, lighting, occlusion), drawn once from
 * the clip's own random stream, and the per-frame state computed from the plan alone — so any frame
 * can be rendered without rendering the others.
 */
import { randomInt, randomUniform, type RandomSource } from '../random';
import { MAX_AU_INTENSITY, sampleApexIntensities, type ExpressionProfile } from './expression-profile';
import type { FaceIdentity } from './face-identity';
import type { FaceFraming, FaceOcclusion, FacePhotometry } from './face-render-request';

/** How a clip is harder than usual. */
export type ClipDifficulty = 'normal' | 'subtle' | 'short';

/** One expression occurrence in a clip: neutral → onset → apex → offset → neutral. Frame indices. */
export interface ExpressionSegment {
  /** Expression label index. */
  readonly label: number;
  /** First frame of the onset (activation rises after it). */
  readonly start: number;
  /** First frame at full activation. */
  readonly apexStart: number;
  /** Last frame at full activation. */
  readonly apexEnd: number;
  /** Last frame of the offset (activation back to 0 after it). */
  readonly end: number;
  /** Apex intensities (FACS 0–5) in the profile's AU order. */
  readonly apex: Float64Array;
}

/** Nuisance ranges: each clip draws its values uniformly within ± these bounds. */
export interface SyntheticNuisanceConfig {
  /** Largest head yaw, degrees. Default 12. */
  readonly maxYawDeg?: number;
  /** Largest head pitch, degrees. Default 8. */
  readonly maxPitchDeg?: number;
  /** Largest head roll, degrees. Default 8. */
  readonly maxRollDeg?: number;
  /** Head scale in [1 − s, 1 + s] times {@link SyntheticNuisanceConfig.faceScale}. Default 0.08. */
  readonly scaleJitter?: number;
  /**
   * Mean head size relative to the default framing (1: the whole head with hair and background around it;
   * about 1.5: a tight face crop like the aligned crops of DFEW and MAFW, eyebrows to chin filling most of
   * the frame). Not a jitter range: every clip uses it. Default 1.
   */
  readonly faceScale?: number;
  /** Face centre offset, fraction of the frame. Default 0.05. */
  readonly shiftJitter?: number;
  /** Brightness offset, 0–255 units. Default 20. */
  readonly brightness?: number;
  /** Contrast in [1 − c, 1 + c]. Default 0.15. */
  readonly contrast?: number;
  /** Largest directional-light strength (0–1). Default 0.5. */
  readonly light?: number;
  /** Largest blur σ (pixels of a 64-px frame). Default 0.7. */
  readonly blurSigma?: number;
  /** Largest sensor-noise std (0–255 units). Default 5. */
  readonly noiseStd?: number;
}

/** Timing and event rates of clip plans. */
export interface ClipPlanConfig {
  /** Frames per clip, inclusive range. */
  readonly numFrames: readonly [number, number];
  /** Frame rate used for blink and speech timing. */
  readonly fps: number;
  /** Probability that a clip is a hard one (half subtle, half short). */
  readonly hardRate: number;
  /** Probability of a distractor segment with another expression. */
  readonly distractorRate: number;
  /** Probability of a speech-like mouth movement segment. */
  readonly speechRate: number;
  /** Mean blinks per second. */
  readonly blinkRate: number;
  /** Probability of an occluder in front of the face for part of the clip. */
  readonly occlusionRate: number;
  readonly nuisance: Required<SyntheticNuisanceConfig>;
}

/** Default nuisance ranges. */
export const DEFAULT_NUISANCE: Required<SyntheticNuisanceConfig> = {
  maxYawDeg: 12,
  maxPitchDeg: 8,
  maxRollDeg: 8,
  scaleJitter: 0.08,
  shiftJitter: 0.05,
  brightness: 20,
  contrast: 0.15,
  light: 0.5,
  blurSigma: 0.7,
  noiseStd: 5,
  faceScale: 1,
};

/**
 * No nuisance: frontal, centred faces of the default size without photometric jitter, blur or sensor noise
 * (every range 0, `faceScale` 1). Spread it and override what you need, e.g. `{ ...NO_NUISANCE, faceScale: 1.4 }`.
 */
export const NO_NUISANCE: Required<SyntheticNuisanceConfig> = {
  maxYawDeg: 0,
  maxPitchDeg: 0,
  maxRollDeg: 0,
  scaleJitter: 0,
  shiftJitter: 0,
  brightness: 0,
  contrast: 0,
  light: 0,
  blurSigma: 0,
  noiseStd: 0,
  faceScale: 1,
};

/** A blink: AU45 rises to 5 and back over `duration` frames starting at `start`. */
interface Blink {
  readonly start: number;
  readonly duration: number;
}

/** Speech-like mouth motion: lips part and the jaw drops periodically within [start, end]. */
interface SpeechSegment {
  readonly start: number;
  readonly end: number;
  /** Syllables per second. */
  readonly rate: number;
  readonly phase: number;
  /** Peak AU25 and AU26 intensities. */
  readonly au25: number;
  readonly au26: number;
}

/** An occluder visible on frames [start, end]. */
interface OcclusionSegment extends FaceOcclusion {
  readonly start: number;
  readonly end: number;
}

/** Slow head motion: value(t) = base + Σ amp·sin(2π·freq·t/fps + phase) per axis. */
interface Drift {
  readonly base: number;
  readonly amp: number;
  readonly freq: number;
  readonly phase: number;
}

/** Everything decided about one clip. */
export interface ClipPlan {
  readonly numFrames: number;
  readonly difficulty: ClipDifficulty;
  /** The expression the clip shows (true label) and its timing. */
  readonly main: ExpressionSegment;
  /** Segments of other expressions (0 or 1), never overlapping the main one. */
  readonly distractors: readonly ExpressionSegment[];
  readonly blinks: readonly Blink[];
  readonly speech?: SpeechSegment;
  readonly occlusion?: OcclusionSegment;
  readonly photometry: FacePhotometry;
  readonly gaze: readonly [number, number];
  readonly yaw: Drift;
  readonly pitch: Drift;
  readonly roll: Drift;
  readonly scale: number;
  readonly offsetX: number;
  readonly offsetY: number;
}

/**
 * Activation of a segment at frame t: 0 before `start` and after `end`, 1 on [apexStart, apexEnd],
 * smoothstep h(x) = x²(3 − 2x) on the onset x = (t − start)/(apexStart − start) and on the offset
 * x = (end − t)/(end − apexEnd).
 */
export function segmentActivation(
  seg: Pick<ExpressionSegment, 'start' | 'apexStart' | 'apexEnd' | 'end'>,
  t: number,
): number {
  if (t < seg.start || t > seg.end) return 0;
  if (t >= seg.apexStart && t <= seg.apexEnd) return 1;
  const x =
    t < seg.apexStart
      ? (t - seg.start) / (seg.apexStart - seg.start)
      : (seg.end - t) / (seg.end - seg.apexEnd);
  return x * x * (3 - 2 * x);
}

/** Splits a span of `length` frames into onset/apex/offset lengths with the given fractions. */
function timing(
  rng: RandomSource,
  span: number,
  short: boolean,
): { onset: number; apex: number; offset: number } {
  if (short) {
    return { onset: 2 + randomInt(rng, 2), apex: 1 + randomInt(rng, 2), offset: 2 + randomInt(rng, 2) };
  }
  const onset = Math.max(2, Math.round(span * randomUniform(rng, 0.15, 0.3)));
  const offset = Math.max(2, Math.round(span * randomUniform(rng, 0.15, 0.3)));
  const apex = Math.max(1, Math.round(span * randomUniform(rng, 0.3, 0.6)));
  return { onset, apex, offset };
}

function placeSegment(
  rng: RandomSource,
  label: number,
  from: number,
  to: number,
  short: boolean,
  apex: Float64Array,
): ExpressionSegment {
  const span = to - from + 1;
  let { onset, apex: apexLen, offset } = timing(rng, span, short);
  // Fit into the span: frames start..end inclusive are onset + apex + offset + 1 (the first and last
  // have activation 0); keep at least one frame of each phase.
  while (onset + apexLen + offset + 1 > span && (onset > 1 || offset > 1 || apexLen > 1)) {
    if (apexLen > 1) apexLen--;
    else if (onset > 1) onset--;
    else offset--;
  }
  const total = onset + apexLen + offset;
  const start = from + randomInt(rng, Math.max(1, span - total));
  return {
    label,
    start,
    apexStart: start + onset,
    apexEnd: start + onset + apexLen - 1,
    end: start + total,
    apex,
  };
}

/**
 * Draws a clip plan. The main expression gets the whole clip, or — when a distractor is drawn — a
 * share of 55–70 % of it on one side, the distractor (another non-empty expression, strength
 * U(0.4, 0.7)) the rest. Hard clips are `subtle` (strength U(0.3, 0.5)) or `short` (onset 2–3,
 * apex 1–2, offset 2–3 frames); normal strength is U(0.8, 1.1). Blinks: Poisson process of rate
 * `blinkRate`/fps per frame, 3–4 frames each. Speech: a segment of 40–100 % of the clip, 3–5
 * syllables/s, AU25 peak U(2, 4) and AU26 peak U(1, 2.5).
 */
export function sampleClipPlan(
  rng: RandomSource,
  label: number,
  profile: ExpressionProfile,
  config: ClipPlanConfig,
): ClipPlan {
  const [minF, maxF] = config.numFrames;
  const numFrames = minF + randomInt(rng, maxF - minF + 1);
  const hard = rng.next() < config.hardRate;
  const difficulty: ClipDifficulty = hard ? (rng.next() < 0.5 ? 'subtle' : 'short') : 'normal';
  const strength = difficulty === 'subtle' ? randomUniform(rng, 0.3, 0.5) : randomUniform(rng, 0.8, 1.1);
  const mainApex = sampleApexIntensities(profile, label, strength, rng);

  const nonEmpty: number[] = [];
  profile.labels.forEach((name, e) => {
    if (e !== label && !profile.emptyLabels.includes(name)) nonEmpty.push(e);
  });
  const withDistractor = rng.next() < config.distractorRate && nonEmpty.length > 0;
  let main: ExpressionSegment;
  const distractors: ExpressionSegment[] = [];
  if (withDistractor) {
    const mainShare = Math.round(numFrames * randomUniform(rng, 0.55, 0.7));
    const mainFirst = rng.next() < 0.5;
    const dLabel = nonEmpty[randomInt(rng, nonEmpty.length)] as number;
    const dApex = sampleApexIntensities(profile, dLabel, randomUniform(rng, 0.4, 0.7), rng);
    if (mainFirst) {
      main = placeSegment(rng, label, 0, mainShare - 1, difficulty === 'short', mainApex);
      distractors.push(placeSegment(rng, dLabel, mainShare, numFrames - 1, false, dApex));
    } else {
      distractors.push(placeSegment(rng, dLabel, 0, numFrames - mainShare - 1, false, dApex));
      main = placeSegment(rng, label, numFrames - mainShare, numFrames - 1, difficulty === 'short', mainApex);
    }
  } else {
    main = placeSegment(rng, label, 0, numFrames - 1, difficulty === 'short', mainApex);
  }

  const blinks: Blink[] = [];
  const pBlink = config.blinkRate / config.fps;
  for (let t = 0; t < numFrames; t++) {
    if (rng.next() < pBlink) {
      const duration = 3 + randomInt(rng, 2);
      blinks.push({ start: t, duration });
      t += duration;
    }
  }

  let speech: SpeechSegment | undefined;
  if (rng.next() < config.speechRate) {
    const len = Math.max(2, Math.round(numFrames * randomUniform(rng, 0.4, 1)));
    const start = randomInt(rng, numFrames - len + 1);
    speech = {
      start,
      end: start + len - 1,
      rate: randomUniform(rng, 3, 5),
      phase: randomUniform(rng, 0, 2 * Math.PI),
      au25: randomUniform(rng, 2, 4),
      au26: randomUniform(rng, 1, 2.5),
    };
  }

  let occlusion: OcclusionSegment | undefined;
  if (rng.next() < config.occlusionRate) {
    const len = Math.max(1, Math.round(numFrames * randomUniform(rng, 0.3, 1)));
    const start = randomInt(rng, numFrames - len + 1);
    const hand = rng.next() < 0.6;
    occlusion = {
      start,
      end: start + len - 1,
      kind: hand ? 'hand' : 'object',
      x: randomUniform(rng, -0.6, 0.6),
      y: randomUniform(rng, -0.2, 1.1),
      halfWidth: hand ? randomUniform(rng, 0.25, 0.4) : randomUniform(rng, 0.08, 0.15),
      halfHeight: hand ? randomUniform(rng, 0.35, 0.5) : randomUniform(rng, 0.3, 0.6),
      angle: randomUniform(rng, -0.6, 0.6),
    };
  }

  const n = config.nuisance;
  const deg = Math.PI / 180;
  const drift = (maxDeg: number): Drift => ({
    base: randomUniform(rng, -0.6, 0.6) * maxDeg * deg,
    amp: randomUniform(rng, 0, 0.4) * maxDeg * deg,
    freq: randomUniform(rng, 0.1, 0.6),
    phase: randomUniform(rng, 0, 2 * Math.PI),
  });
  const photometry: FacePhotometry = {
    brightness: randomUniform(rng, -n.brightness, n.brightness),
    contrast: randomUniform(rng, 1 - n.contrast, 1 + n.contrast),
    lightAngle: randomUniform(rng, 0, 2 * Math.PI),
    lightStrength: randomUniform(rng, 0, n.light),
    blurSigma: randomUniform(rng, 0, n.blurSigma),
    noiseStd: randomUniform(rng, 0, n.noiseStd),
  };
  return {
    numFrames,
    difficulty,
    main,
    distractors,
    blinks,
    ...(speech === undefined ? {} : { speech }),
    ...(occlusion === undefined ? {} : { occlusion }),
    photometry,
    gaze: [randomUniform(rng, -0.03, 0.03), randomUniform(rng, -0.015, 0.015)],
    yaw: drift(n.maxYawDeg),
    pitch: drift(n.maxPitchDeg),
    roll: drift(n.maxRollDeg),
    scale: n.faceScale * randomUniform(rng, 1 - n.scaleJitter, 1 + n.scaleJitter),
    offsetX: randomUniform(rng, -n.shiftJitter, n.shiftJitter),
    offsetY: randomUniform(rng, -n.shiftJitter, n.shiftJitter),
  };
}

/** State of one frame of a planned clip. */
export interface PlannedFrame {
  /** AU intensities (FACS 0–5) by AU id, everything the face shows (rendering input). */
  readonly aus: Record<string, number>;
  /** Activation (0–1) of the main expression. */
  readonly mainActivation: number;
  /** Largest activation (0–1) of any distractor segment. */
  readonly distractorActivation: number;
  readonly framing: FaceFraming;
  readonly occlusion?: FaceOcclusion;
}

function driftAt(d: Drift, t: number, fps: number): number {
  return d.base + d.amp * Math.sin((2 * Math.PI * d.freq * t) / fps + d.phase);
}

/**
 * The state of frame t. AU intensity of AU j:
 * I_j(t) = min(5, rest_j + Σ_segments a_s(t)·apex_sj + speech_j(t)), where a_s is
 * {@link segmentActivation}; speech adds AU25 = p25·o(t), AU26 = p26·o(t) with
 * o(t) = max(0, sin(2π·rate·t/fps + phase)) inside the speech segment; a blink sets
 * AU45 = max(AU45, 5·sin(π·(t − start + 1)/(duration + 1))).
 */
export function planFrame(
  plan: ClipPlan,
  t: number,
  identity: FaceIdentity,
  profile: ExpressionProfile,
  fps: number,
): PlannedFrame {
  const aus: Record<string, number> = {};
  for (const [id, v] of Object.entries(identity.restingAus)) aus[id] = v;
  const mainActivation = segmentActivation(plan.main, t);
  let distractorActivation = 0;
  const addSegment = (seg: ExpressionSegment, act: number): void => {
    if (act <= 0) return;
    profile.aus.forEach((id, j) => {
      const v = seg.apex[j] as number;
      if (v > 0) aus[id] = (aus[id] ?? 0) + act * v;
    });
  };
  addSegment(plan.main, mainActivation);
  for (const d of plan.distractors) {
    const act = segmentActivation(d, t);
    distractorActivation = Math.max(distractorActivation, act);
    addSegment(d, act);
  }
  const sp = plan.speech;
  if (sp !== undefined && t >= sp.start && t <= sp.end) {
    const o = Math.max(0, Math.sin((2 * Math.PI * sp.rate * t) / fps + sp.phase));
    aus.AU25 = (aus.AU25 ?? 0) + sp.au25 * o;
    aus.AU26 = (aus.AU26 ?? 0) + sp.au26 * o;
  }
  for (const id of Object.keys(aus)) aus[id] = Math.min(MAX_AU_INTENSITY, aus[id] as number);
  for (const b of plan.blinks) {
    if (t >= b.start && t < b.start + b.duration) {
      const v = MAX_AU_INTENSITY * Math.sin((Math.PI * (t - b.start + 1)) / (b.duration + 1));
      aus.AU45 = Math.max(aus.AU45 ?? 0, v);
    }
  }
  const occ = plan.occlusion;
  const framing: FaceFraming = {
    pose: {
      yaw: driftAt(plan.yaw, t, fps),
      pitch: driftAt(plan.pitch, t, fps),
      roll: driftAt(plan.roll, t, fps),
    },
    scale: plan.scale,
    offsetX: plan.offsetX,
    offsetY: plan.offsetY,
  };
  return {
    aus,
    mainActivation,
    distractorActivation,
    framing,
    ...(occ !== undefined && t >= occ.start && t <= occ.end ? { occlusion: occ } : {}),
  };
}
