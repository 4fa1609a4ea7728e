/**
 * Draws the README picture: one row per expression (DFEW order), one column per clip, each tile the
 * apex frame of a synthetic clip at 64×64 (default nuisance: pose, lighting, blur, noise), saved as a
 * 256-colour palette PNG (sharp) to stay small.
 * Writes packages/datasets/docs/synthetic-faces.png.
 *
 * Run: npx tsx packages/datasets/bench/synthetic-readme-grid.ts
 */
import { createCanvas } from '@napi-rs/canvas';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { createSyntheticFacsDataset } from '../src/synthetic';

async function main(): Promise<void> {
  const tile = 64;
  const cols = 8;
  const ds = createSyntheticFacsDataset({
    seed: 2026,
    numClips: 400,
    numIdentities: 400,
    classProportions: [1, 1, 1, 1, 1, 1, 1],
    hardRate: 0,
    distractorRate: 0,
    speechRate: 0,
    occlusionRate: 0,
    blinkRate: 0,
  });
  const rows = ds.labelNames.length;
  const canvas = createCanvas(cols * tile, rows * tile);
  const ctx = canvas.getContext('2d');
  for (let e = 0; e < rows; e++) {
    let c = 0;
    for (let i = 0; i < ds.length && c < cols; i++) {
      const info = ds.getClipInfo(i);
      if (info.trueLabel !== e) continue;
      const clip = await ds.get(i, { frameIndices: [info.keySegment.apexStart] });
      const img = ctx.createImageData(tile, tile);
      for (let p = 0; p < tile * tile; p++) {
        for (let ch = 0; ch < 3; ch++)
          img.data[p * 4 + ch] = Math.round((clip.frames[p * 3 + ch] as number) * 255);
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, c * tile, e * tile);
      c++;
    }
  }
  const dir = join(__dirname, '..', 'docs');
  mkdirSync(dir, { recursive: true });
  const png = await sharp(canvas.toBuffer('image/png'))
    .png({ palette: true, colours: 256, dither: 0.5 })
    .toBuffer();
  writeFileSync(join(dir, 'synthetic-faces.png'), png);
  console.log(
    `wrote docs/synthetic-faces.png (${cols * tile}×${rows * tile}, ${(png.length / 1024).toFixed(0)} kB); rows: ${ds.labelNames.join(', ')}`,
  );
}

void main();
