// Zero-shot expression scores of a clip from its OpenFace AU presences:
// @dfer/datasets reads the CSV, @dfer/au-knowledge scores it with the AU-DFER DFEW prior.
// Usage: npx tsx docs/examples/score-openface-csv.ts [path/to/openface.csv]
import { AU_SETS, scoreExpressions } from '@dfer/au-knowledge';
import { readOpenFaceCsv, selectAuColumns } from '@dfer/datasets/annotations';

const file = process.argv[2] ?? '../shared/data/media/OpenFace_Test.csv';
const track = readOpenFaceCsv(file); // old (", " header, no face_id) and new OpenFace layouts
const presences = selectAuColumns(track.presences, track.presenceAus, 'openface18'); // [T, 18] by AU name

// Keep only the frames where OpenFace tracked a face (success = 1), and say how many were left out.
const numAus = AU_SETS.openface18.length;
const kept: number[] = [];
for (let t = 0; t < track.numFrames; t++) {
  if (track.success[t] === 1) for (let j = 0; j < numAus; j++) kept.push(presences[t * numAus + j]!);
}
const keptFrames = kept.length / numAus;
console.log(
  `${file}: ${track.numFrames} frames, ${track.numFrames - keptFrames} without a tracked face left out`,
);

const scores = scoreExpressions(kept, { aus: 'openface18' }); // naive Bayes over frames, DFEW prior
const ranked = [...scores.probabilities.keys()].sort(
  (a, b) => scores.probabilities[b]! - scores.probabilities[a]!,
);
for (const e of ranked)
  console.log(`  ${scores.labels[e]!.padEnd(8)} ${scores.probabilities[e]!.toFixed(3)}`);
console.log('top:', scores.topLabel);
