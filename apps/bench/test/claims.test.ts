import { LABEL_SETS } from '@dfer/au-knowledge';
import {
  createDashboardData,
  describeProfileForResults,
  evaluateClaims,
  mergeBenchResults,
  minorityClassesOf,
  parseBenchResults,
  QUICK_PROFILE,
  renderReportMarkdown,
  withProfileDescription,
  type ClaimRow,
  type ClassificationRunRecord,
} from '../src';
import { isClassificationRun } from '../src/results/schema';
import { aboveTwiceChanceText } from '../src/report/run-description';
import { loadClaimsFixture, loadFixture } from './helpers';

// Hand-computed from fixtures/make-results-fixture.mjs (results-fixture-claims.json): each run has one fold of
// test support happy 10, sad 10, neutral 20, fear 10; recall = correct / support.
const t975 = { 1: 12.706205, 2: 4.302653 } as const;

describe('evaluateClaims: AU-DFER', () => {
  const claims = evaluateClaims(loadClaimsFixture());
  const row = (model: string, arm = 'ce+au_global'): ClaimRow =>
    claims.rows.find((r) => r.experiment === 'dfer' && r.model === model && r.arm === arm)!;

  it('pairs UAR by seed and reports the unpaired seed (former_dfer: 0.1, 0.2, 0.3 → not shown)', () => {
    const r = row('former_dfer');
    expect(r.reference).toBe('ce');
    expect(r.comparison.pairs.map((p) => p.seed)).toEqual([0, 1, 2]);
    r.comparison.pairs.forEach((p, i) => expect(p.difference).toBeCloseTo([0.1, 0.2, 0.3][i]!, 12));
    expect(r.comparison.armOnlySeeds).toEqual([3]);
    expect(r.effect.n).toBe(3);
    expect(r.effect.mean).toBeCloseTo(0.2, 12);
    expect(r.effect.std).toBeCloseTo(0.1, 12);
    expect(r.effect.interval!.lower).toBeCloseTo(0.2 - (t975[2] * 0.1) / Math.sqrt(3), 6);
    expect(r.verdict).toBe('not shown');
  });

  it('shows the WAR and minority-recall differences of the same seeds', () => {
    const [war, minority] = row('former_dfer').also;
    // WAR = Σ correct / 50: ce 25, 24, 20; ce+au_global 28, 33, 36 → 0.06, 0.18, 0.32
    expect(war!.label).toBe('test WAR');
    expect(war!.values.map((v) => Number(v.value.toFixed(12)))).toEqual([0.06, 0.18, 0.32]);
    expect(war!.leftOut).toEqual([3]);
    // minority (fear, sad, happy) recall: ce 0.5, 0.4, 0.4; ce+au_global 2/3, 1.9/3, 2/3
    expect(minority!.label).toBe('minority recall (fear, sad, happy)');
    expect(minority!.values.map((v) => v.value)).toEqual([
      expect.closeTo(1 / 6, 12),
      expect.closeTo(0.7 / 3, 12),
      expect.closeTo(0.8 / 3, 12),
    ]);
  });

  it('is supported when the interval is above 0 and contradicted when below', () => {
    // m3dfel 0.1, 0.15, 0.2: 0.15 ± 4.302653 · 0.05 / √3 = [0.025793, 0.274207]
    const m3 = row('m3dfel');
    expect(m3.effect.interval!.lower).toBeCloseTo(0.025793, 6);
    expect(m3.effect.interval!.upper).toBeCloseTo(0.274207, 6);
    expect(m3.verdict).toBe('supported');
    // mae_dfer -0.2, -0.25, -0.3
    expect(row('mae_dfer').effect.interval!.upper).toBeCloseTo(-0.125793, 6);
    expect(row('mae_dfer').verdict).toBe('contradicted');
    // one paired seed: no interval, not shown; the reference's other seeds are listed
    const distinct = row('mae_dfer', 'ce+au_distinct');
    expect(distinct.effect).toMatchObject({ n: 1, mean: 0, interval: null });
    expect(distinct.verdict).toBe('not shown');
    expect(distinct.comparison.referenceOnlySeeds).toEqual([1, 2]);
  });

  it('ranks the minority classes by the training proportions, and says which arms are absent', () => {
    expect(claims.minority.get('fixture-claims|synthetic_dfer|former_dfer')).toEqual({
      indices: [3, 1, 0],
      names: ['fear', 'sad', 'happy'],
      source: "the data node's classProportions",
    });
    expect(claims.absent).toContain(
      'AU-DFER, fixture-claims / synthetic_dfer / mae_dfer: `ce+au_minor` absent.',
    );
    expect(claims.absent).toContain(
      'AU-DFER, fixture-claims / synthetic_dfer / m3dfel: `ce+au_distinct`, `ce+au_minor` absent.',
    );
  });

  it('refuses two runs of the same arm and seed in one comparison', () => {
    const results = loadClaimsFixture();
    const twin = { ...results.runs[0]!, id: 'twin' };
    expect(() => evaluateClaims({ runs: [...results.runs, twin] })).toThrow(/same arm and seed/);
  });
});

describe('minorityClassesOf', () => {
  it("uses DFEW's class counts for the synthetic generator's default labels: disgust, fear, surprise", () => {
    const base = loadClaimsFixture().runs[0] as ClassificationRunRecord;
    const dfewRun = {
      ...base,
      classNames: [...LABEL_SETS.dfew],
      config: { data: { type: 'synthetic_dfer', numClips: 112 } },
    };
    const m = minorityClassesOf([dfewRun]);
    expect(m.names).toEqual(['disgust', 'fear', 'surprise']);
    expect(m.source).toMatch(/DFEW's class counts/);
  });

  it('falls back to the test support when the training proportions are unknown', () => {
    // results-fixture.json former_dfer/ce: test support happy 8, sad 5, fear 3 over its two folds
    const run = loadFixture().runs[0] as ClassificationRunRecord;
    const m = minorityClassesOf([run], 2);
    expect(m.names).toEqual(['fear', 'sad']);
    expect(m.source).toMatch(/test support/);
  });
});

describe('evaluateClaims: RDFER', () => {
  const claims = evaluateClaims(loadClaimsFixture());

  it('pairs UAR per noise rate and tests detection precision against the realised noise rate', () => {
    const uar = claims.rows.find((r) => r.kind === 'rdfer_uar' && r.noiseRate === 0.2)!;
    expect(uar.comparison.pairs.map((p) => Number(p.difference.toFixed(12)))).toEqual([0.1, 0, 0.2]);
    expect(uar.verdict).toBe('not shown');
    // precision 6/8, 5/10, 7/10; realised noise 10/50 each → 0.55, 0.3, 0.5: mean 0.45, s = sqrt(0.0175)
    const det = claims.rows.find((r) => r.kind === 'rdfer_detection')!;
    expect(det.noiseRate).toBe(0.2);
    expect(det.comparison.pairs.map((p) => [p.arm, p.reference])).toEqual([
      [0.75, 0.2],
      [0.5, 0.2],
      [0.7, 0.2],
    ]);
    expect(det.effect.mean).toBeCloseTo(0.45, 12);
    expect(det.effect.std).toBeCloseTo(Math.sqrt(0.0175), 12);
    expect(det.effect.interval!.lower).toBeCloseTo(0.45 - (t975[2] * Math.sqrt(0.0175)) / Math.sqrt(3), 6);
    expect(det.verdict).toBe('supported');
    expect(det.also.map((m) => m.label)).toEqual([
      'realised noise rate (random-flagger precision)',
      'noisy-clip recall',
    ]);
    // recall 6/10, 5/10, 7/10
    expect(det.also[1]!.effect.mean).toBeCloseTo(0.6, 12);
  });

  it('makes no detection claim at noise 0 and lists the noise rate whose arm is absent', () => {
    expect(claims.rows.filter((r) => r.kind === 'rdfer_detection').map((r) => r.noiseRate)).toEqual([0.2]);
    expect(claims.rows.find((r) => r.kind === 'rdfer_uar' && r.noiseRate === 0)!.effect.n).toBe(1);
    expect(claims.absent).toContain(
      'RDFER, fixture-claims / synthetic_dfer / rdfer, 40 % training-label noise: `clip_agreement` absent; no UAR claim computed.',
    );
  });

  it('leaves out a seed whose detection flagged nothing, saying why', () => {
    const results = loadClaimsFixture();
    const runs = results.runs.map((r) => {
      if (r.id !== 'fixture-claims/synthetic_dfer/rdfer/clip_agreement/noise-20/seed-1') return r;
      const run = r as ClassificationRunRecord;
      const d = run.folds[0]!.noisyDetection!;
      const nothing = {
        ...d,
        truePositives: 0,
        falsePositives: 0,
        flagged: 0,
        falseNegatives: d.noisy,
        precision: null,
      };
      return { ...run, folds: [{ ...run.folds[0]!, noisyDetection: { ...nothing, recall: 0, f1: null } }] };
    });
    const det = evaluateClaims({ runs }).rows.find((r) => r.kind === 'rdfer_detection')!;
    expect(det.comparison.undefinedSeeds).toEqual([1]);
    expect(det.effect.n).toBe(2);
    expect(renderReportMarkdown({ ...results, runs })).toContain(
      's0 +55.0, s2 +50.0; precision undefined (nothing flagged as noisy): seeds 1',
    );
  });
});

describe('evaluateClaims: AU detection', () => {
  const claims = evaluateClaims(loadClaimsFixture());
  const au = claims.rows.filter((r) => r.experiment === 'au_detection');

  it('compares joint vs AU-only, gate vs no gate and smooth vs plain on mean F1, paired by seed', () => {
    expect(au.map((r) => [r.kind, r.arm, r.reference])).toEqual([
      ['au_joint', 'au_mtl_joint_nogate_plain', 'au_mtl_single_plain'],
      ['au_gate', 'au_mtl_joint_gate_plain', 'au_mtl_joint_nogate_plain'],
      ['au_smooth', 'au_mtl_single_smooth', 'au_mtl_single_plain'],
    ]);
    // joint − AU-only: (1 + 0.8 + 2/3)/3 − (0.8 + 0.4 + 0)/3 and (8/9 + 2/3 + 0.5)/3 − (0.75 + 2/3 + 0)/3
    const joint = au[0]!;
    const d0 = (1 + 0.8 + 2 / 3) / 3 - 1.2 / 3;
    const d1 = (8 / 9 + 2 / 3 + 0.5) / 3 - (0.75 + 2 / 3) / 3;
    expect(joint.comparison.pairs.map((p) => p.difference)).toEqual([
      expect.closeTo(d0, 12),
      expect.closeTo(d1, 12),
    ]);
    const s = Math.abs(d0 - d1) / Math.sqrt(2);
    expect(joint.effect.interval!.upper).toBeCloseTo((d0 + d1) / 2 + (t975[1] * s) / Math.sqrt(2), 5);
    // identical arms: differences 0, 0 → interval [0, 0] → not shown
    expect(au[2]!.effect.interval).toEqual({ lower: 0, upper: 0 });
    expect(au[2]!.verdict).toBe('not shown');
    // tuned thresholds, when both arms tuned: gate 0.95, 0.8 vs no gate 0.9, 0.8
    expect(au[1]!.also[0]!.values.map((v) => Number(v.value.toFixed(12)))).toEqual([0.05, 0]);
    expect(au[0]!.also).toEqual([]);
  });

  it('gives the per-AU F1 table with the best arm and the AUs at F1 0', () => {
    const t = claims.auF1Tables[0]!;
    expect(t.arms).toEqual([
      'au_mtl_single_plain',
      'au_mtl_single_smooth',
      'au_mtl_joint_nogate_plain',
      'au_mtl_joint_gate_plain',
    ]);
    // AU1: (0.8 + 0.75)/2 = 0.775 for single arms, (1 + 8/9)/2 for both joint arms (a tie)
    expect(t.f1[0]![0]).toBeCloseTo(0.775, 12);
    expect(t.best[0]).toEqual(['au_mtl_joint_nogate_plain', 'au_mtl_joint_gate_plain']);
    expect(t.best[1]).toEqual(['au_mtl_joint_gate_plain']);
    // AU4 is never detected by the AU-only arms (TP 0, F1 0 in both seeds)
    expect(t.zeroCount).toEqual([1, 1, 0, 0]);
    expect(
      claims.absent.some((a) =>
        a.includes('`au_mtl_joint_nogate_smooth`, `au_mtl_joint_gate_smooth` absent'),
      ),
    ).toBe(true);
  });
});

describe('report and dashboard of the claims', () => {
  const results = loadClaimsFixture();
  const md = renderReportMarkdown(results);

  it('puts what was run and the verdicts before the per-experiment sections', () => {
    const at = (s: string) => md.indexOf(s);
    expect(at('## What was run')).toBeGreaterThan(0);
    expect(at('## What was run')).toBeLessThan(at('## Verdicts'));
    expect(at('## Verdicts')).toBeLessThan(at('## dfer — synthetic_dfer'));
    expect(md).toContain('lies entirely above 0, **contradicted** when it lies entirely below 0');
  });

  it('has one verdict row per claim × model with effect, interval, n, verdict and per-seed differences', () => {
    expect(md).toContain(
      '| ce+au_global improves test UAR over ce | m3dfel | +15.0 | [+2.6, +27.4] | 3 | supported | s0 +10.0, s1 +15.0, s2 +20.0 | test WAR +14.7',
    );
    expect(md).toContain(
      '| ce+au_global improves test UAR over ce | former_dfer | +20.0 | [-4.8, +44.8] | 3 | not shown | s0 +10.0, s1 +20.0, s2 +30.0; unpaired (arm only): seeds 3 |',
    );
    expect(md).toContain('| mae_dfer | -25.0 | [-37.4, -12.6] | 3 | contradicted |');
    expect(md).toContain(
      '| ce+au_distinct improves test UAR over ce | mae_dfer | 0.0 | none (n = 1) | 1 | not shown |',
    );
    expect(md).toContain('minority recall (fear, sad, happy) +22.2 [+9.6, +34.9]');
    expect(md).toContain(
      "| clip_agreement's noisy-clip detection beats a random flagger (precision − realised noise rate) — 20 % training-label noise | rdfer | +45.0 | [+12.1, +77.9] | 3 | supported | s0 +55.0, s1 +30.0, s2 +50.0 |",
    );
    expect(md).toContain(
      '| AU1 | 77.5 | 77.5 | 94.4 | 94.4 | au_mtl_joint_nogate_plain, au_mtl_joint_gate_plain |',
    );
    expect(md).toContain('| AUs at F1 0 | 1 | 1 | 0 | 0 |  |');
    expect(md).toContain('### Claims not computed (arms absent)');
    expect(md).toContain('### Paired effect of the AU loss (vs ce, paired by seed)');
    expect(md).not.toContain('Not evidence');
  });

  it('describes the run: profile, data, training, engine and the shared pretrained weights', () => {
    expect(md).toContain('Description: hand-made claims fixture: three models');
    expect(md).toContain(
      'class proportions: happy 30.8 %, sad 23.1 %, neutral 38.5 %, fear 7.7 %; labels: happy, sad, neutral, fear; nuisances: nuisance yaw 10',
    );
    expect(md).toContain(
      '`synthetic_dfer`; clips: 200; identities: 20; frame size: 32×32; frames per clip: 16;',
    );
    expect(md).toContain('  - training: 5 epochs, lr 0.001, batch 8');
    expect(md).toContain(
      'former_dfer: every arm starts from the same pretrained weights `weights/former_dfer.safetensors`; m3dfel, mae_dfer: no pretrained weights (initialisation: random)',
    );
    expect(md).toContain('training-label noise: 0 %, 20 %, 40 % (uniform; test labels clean)');
    // a shipped backbone is shown from apps/ on, without the path of the machine that ran it
    const shipped = {
      ...results,
      runs: results.runs.map((r) =>
        r.model === 'former_dfer' && r.experiment === 'dfer'
          ? {
              ...r,
              config: {
                ...r.config,
                model: {
                  ...(r.config['model'] as object),
                  pretrained: {
                    path: '/home/ada/dfer/apps/bench/pretrained/former_dfer-tiny-synthetic.safetensors',
                  },
                },
              },
            }
          : r,
      ),
    };
    const shown = renderReportMarkdown(shipped);
    expect(shown).toContain(
      'same pretrained weights `apps/bench/pretrained/former_dfer-tiny-synthetic.safetensors`',
    );
    expect(shown).not.toContain('/home/ada');
    // a file written before profile descriptions were kept still renders
    const { profiles: _profiles, ...old } = results;
    expect(renderReportMarkdown(old)).toContain('Description: not recorded in this results file');
  });

  it('says at the top that a smoke profile or a near-chance profile is not evidence', () => {
    const smoke = { ...results, runs: results.runs.map((r) => ({ ...r, profile: 'smoke' })) };
    const top = renderReportMarkdown(smoke).split('## What was run')[0]!;
    expect(top).toContain('> **Not evidence:** profile `smoke` is a smoke run');
    const quick = { ...results, runs: results.runs.map((r) => ({ ...r, profile: 'quick' })) };
    expect(renderReportMarkdown(quick).split('## What was run')[0]!).not.toContain('smoke run');
    // mae_dfer ce+au_global alone: UAR 0.4, 0.35, 0.3 < 2 × chance = 0.5 (4 classes)
    const low = results.runs.filter((r) => r.model === 'mae_dfer' && r.method === 'ce+au_global');
    expect(renderReportMarkdown({ ...results, runs: low }).split('## What was run')[0]).toContain(
      'has test UAR below 2 × chance',
    );
  });

  it('gives the dashboard the same verdicts, in points', () => {
    const evidence = createDashboardData(results).evidence;
    expect(evidence.groups.map((g) => g.title)).toEqual([
      'AU-DFER (experiment dfer) — profile fixture-claims, synthetic_dfer',
      'RDFER (experiment rdfer) — profile fixture-claims, synthetic_dfer',
      'Expression-assisted AU detection (experiment au_detection) — profile fixture-claims, synthetic_au',
    ]);
    const m3 = evidence.groups[0]!.rows.find((r) => r.model === 'm3dfel')!;
    expect(m3.effect).toBeCloseTo(15, 9);
    expect(m3.lower).toBeCloseTo(2.5793, 3);
    expect(m3.upper).toBeCloseTo(27.4207, 3);
    expect(m3).toMatchObject({ n: 3, verdict: 'supported', intervalText: '[+2.6, +27.4]' });
    const single = evidence.groups[0]!.rows.find((r) => r.claim.startsWith('ce+au_distinct'))!;
    expect(single).toMatchObject({ n: 1, lower: null, upper: null, intervalText: 'none (n = 1)' });
    expect(evidence.rule).toContain('supported when the 95 % confidence interval');
    expect(evidence.absent.length).toBeGreaterThan(0);
    expect(evidence.notEvidence).toEqual([]);
  });
});

describe('profile descriptions in the results file', () => {
  it('describes a profile without its name, and the file stays valid and mergeable', () => {
    const described = describeProfileForResults(QUICK_PROFILE);
    expect(described.description).toBe(QUICK_PROFILE.description);
    expect(described.settings['seeds']).toEqual(QUICK_PROFILE.seeds);
    expect(described.settings['data']).toEqual(QUICK_PROFILE.data);
    expect(described.settings['name']).toBeUndefined();
    const results = withProfileDescription({ ...loadClaimsFixture(), profiles: undefined }, QUICK_PROFILE);
    const parsed = parseBenchResults(JSON.stringify(results), 'with-profile.json');
    expect(Object.keys(parsed.profiles!)).toEqual(['quick']);
    const merged = mergeBenchResults([loadClaimsFixture(), parsed]).results;
    expect(Object.keys(merged.profiles!).sort()).toEqual(['fixture-claims', 'quick']);
    expect(
      renderReportMarkdown({ ...merged, runs: merged.runs.map((r) => ({ ...r, profile: 'quick' })) }),
    ).toContain(`Description: ${QUICK_PROFILE.description}.`);
  });

  it('refuses a profile block without a description', () => {
    const raw = { ...loadClaimsFixture(), profiles: { quick: { settings: {} } } };
    expect(() => parseBenchResults(JSON.stringify(raw), 'x.json')).toThrow(/profiles\.quick\.description/);
  });
});

describe('aboveTwiceChanceText', () => {
  it('counts the runs at or above 2 × chance (classes with test clips) and names the lowest', () => {
    const runs = loadClaimsFixture().runs.filter(isClassificationRun).slice(0, 3);
    const withUar = (i: number, uar: number, support: number[]) => {
      const r = runs[i]!;
      return {
        ...r,
        id: `run-${i}`,
        summary: { ...r.summary, uar: { mean: uar, std: 0, n: 1 } },
        folds: [{ ...r.folds[0]!, support }],
      };
    };
    // chance 1/4 (4 classes with clips) → bar 50 %; chance 1/2 (2 classes with clips) → bar 100 %
    const text = aboveTwiceChanceText([
      withUar(0, 0.5, [3, 2, 1, 5]),
      withUar(1, 0.49, [3, 2, 1, 5]),
      withUar(2, 0.9, [3, 0, 0, 5]),
    ]);
    expect(text).toBe('1 of 3 runs (lowest: 49.0 %, run-1; chance 25.0 %)');
    expect(aboveTwiceChanceText([])).toBeNull();
  });
});
