// @dfer/au-knowledge alone: AU sets, the AU-DFER prior and pos-weights from your own training labels.
import { AU_SETS, getAu, getPriorEntry, LABEL_SETS, posWeights, priorMatrix } from '@dfer/au-knowledge';

// The 18 OpenFace presence AUs, in OpenFace's column order, and one AU's FACS description.
console.log('openface18:', AU_SETS.openface18.join(' '));
console.log('AU12:', getAu('AU12').facsName);

// AU-DFER's DFEW prior: rows in DFEW label order, columns in OpenFace order (7 × 18, row-major).
const prior = priorMatrix({ source: 'dfew', labels: 'dfew', aus: 'openface18' });
console.log('prior shape:', prior.labels.length, 'x', prior.aus.length);
console.log('P(AU12 | happy) =', getPriorEntry(prior, 'happy', 'AU12').toFixed(4));

// The strongest AUs of each expression under that prior.
for (const [row, label] of LABEL_SETS.dfew.entries()) {
  const values = prior.values64.slice(row * prior.aus.length, (row + 1) * prior.aus.length);
  const top = [...values.keys()].sort((a, b) => values[b]! - values[a]!).slice(0, 3);
  console.log(`  ${label.padEnd(8)} ${top.map((j) => prior.aus[j]).join(' ')}`);
}

// Pos-weights N_neg / N_pos per AU from your training set's clip AU targets (here 4 clips, 3 AUs).
const auTargets = [
  [1, 0, 1],
  [0, 1, 1],
  [1, 1, 0],
  [0, 0, 1],
];
const labels = [0, 1, 1, 2];
const pw = posWeights(auTargets, labels, { mode: 'global', labels: ['happy', 'sad', 'fear'] });
console.log('global pos-weights:', [...pw.values.slice(0, 3)].map((v) => v.toFixed(3)).join(' '));
