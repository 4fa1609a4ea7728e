/**
 * `@dfer/au-knowledge`: facial Action Unit catalogue, AU sets, expression label sets, quantified
 * AU–expression priors with provenance, class weights and AU statistics. Zero runtime dependencies;
 * no Node-only module is imported, so it works in a browser bundle.
 */
export {
  AU_CATALOGUE,
  AU_IDS,
  AU_SETS,
  AU_SET_SOURCES,
  alignAuVector,
  getAu,
  listAuSets,
  listAuSetsContaining,
  listAus,
  parseAuId,
  resolveAuList,
  type AlignAuOptions,
  type AlignedAuVector,
  type AuId,
  type AuInfo,
  type AuList,
  type AuSetName,
  type FaceArea,
  type FaceRegion,
  type MissingAuPolicy,
} from './aus';
export {
  EXPRESSIONS,
  EXPRESSION_SYNONYMS,
  LABEL_SETS,
  LABEL_SET_SOURCES,
  createLabelMapping,
  getExpression,
  listLabelSets,
  resolveExpressions,
  resolveLabelList,
  type Expression,
  type LabelList,
  type LabelMapping,
  type LabelMappingOptions,
  type LabelSetName,
} from './labels';
export {
  DU_2014_PROTOTYPES,
  FACS_EMFACS_PROTOTYPES,
  FACS_MANUAL_INTENSE_COMBINATIONS,
  PRIOR_SOURCES,
  getPriorEntry,
  getPriorSource,
  listPriorSources,
  priorMatrix,
  type PriorKind,
  type PriorMatrix,
  type PriorMatrixOptions,
  type PriorNormalization,
  type PriorSourceDefinition,
  type PriorSourceName,
} from './priors';
export { type AuTargets } from './statistics/au-targets';
export {
  auBaseRates,
  auCooccurrence,
  type AuBaseRates,
  type AuBaseRatesOptions,
  type AuCooccurrence,
} from './statistics/base-rates';
export {
  posWeights,
  type DegeneratePosWeight,
  type PosWeightMode,
  type PosWeights,
  type PosWeightsOptions,
} from './statistics/pos-weights';
export {
  auClassWeights,
  jaaClassWeights,
  type AuClassWeightMethod,
  type AuClassWeightsOptions,
} from './statistics/class-weights';
export {
  auGivenExpression,
  type AuGivenExpression,
  type AuGivenExpressionOptions,
} from './statistics/au-given-expression';
export {
  scoreExpressions,
  type ExpressionScores,
  type FrameAggregation,
  type ScoreExpressionsOptions,
} from './scoring';
export {
  BLENDSHAPE_AU_CORRESPONDENCES,
  blendshapesToAus,
  type BlendshapeAus,
  type BlendshapesToAusOptions,
} from './blendshapes';
