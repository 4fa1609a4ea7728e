/**
 * @dfer/datasets/annotations — readers of the files that describe a dataset: the DFER-CLIP split lists
 * (DFEW, FERV39K, MAFW), DFEW's label CSVs, OpenFace FeatureExtraction CSVs (with clip AU targets by
 * majority vote), per-clip AU CSVs, AU-estimate CSVs of `dfer prepare`, and BP4D AU occurrence lists.
 * Every reader bounds the file size and names the file, line and field of bad input.
 */
export {
  readSplitList,
  countLabels,
  SPLIT_LIST_FORMATS,
  type SplitEntry,
  type SplitList,
  type SplitListFormat,
  type SplitListOptions,
} from './split-list';
export {
  readDfewLabelCsv,
  type DfewLabelCsv,
  type DfewLabelCsvOptions,
  type DfewLabelEntry,
} from './dfew-csv';
export {
  readOpenFaceCsv,
  selectAuColumns,
  clipAuTargets,
  type ClipAuTargetOptions,
  type ClipAuTargets,
  type OpenFaceCsvOptions,
  type OpenFaceTrack,
} from './openface-csv';
export { readClipAuCsv, type ClipAuCsv, type ClipAuCsvOptions } from './clip-au-csv';
export { readAuEstimateCsv, type AuEstimateTrack } from './au-estimate-csv';
export { readBp4dAuLabels, type Bp4dAuLabels } from './bp4d-labels';
export { TEXT_FILE_MAX_BYTES, type TextFileOptions } from '../text-lines';
export { isPathInside } from '../path-inside';
