/**
 * Corrupt and oversized media: damaged JPEGs and videos are errors naming the file (or, for videos on
 * request, a count of damaged frames), decoded sizes are bounded before allocation, and an image is
 * accepted only in the formats asked for, whatever its name says.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeVideo, probeVideo, resolveFfmpeg } from '@dfer/datasets/media';

const tmp = mkdtempSync(join(tmpdir(), 'dfer-datasets-corrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function jpegBytes(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 251;
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

describe('images', () => {
  it('a JPEG with zeroed entropy data (libvips: "Corrupt JPEG data") is an error naming the file', async () => {
    const good = await jpegBytes(64, 48);
    const bad = Buffer.from(good);
    bad.fill(0, bad.length >> 1, (bad.length >> 1) + 40);
    const file = join(tmp, 'zeroed.jpg');
    writeFileSync(file, bad);
    await expect(decodeImage(file)).rejects.toThrow(`${file}: cannot decode the image without damage`);
    await expect(decodeImage(file)).rejects.toThrow(/Corrupt JPEG data/);
    const truncated = join(tmp, 'truncated.jpg');
    writeFileSync(truncated, good.subarray(0, Math.floor(good.length * 0.6)));
    await expect(decodeImage(truncated)).rejects.toThrow(
      `${truncated}: damaged JPEG: the file ends before the EOI marker`,
    );
    const noEoi = join(tmp, 'no-eoi.jpg');
    writeFileSync(noEoi, good.subarray(0, good.length - 2));
    await expect(decodeImage(noEoi)).rejects.toThrow(
      `${noEoi}: damaged JPEG: the file ends before the EOI marker`,
    );
    writeFileSync(join(tmp, 'appended.jpg'), Buffer.concat([good, Buffer.from('camera data')]));
    expect((await decodeImage(join(tmp, 'appended.jpg'))).width).toBe(64);
    writeFileSync(join(tmp, 'good.jpg'), good);
    expect((await decodeImage(join(tmp, 'good.jpg'))).width).toBe(64);
  });

  it('a 123-byte SVG named .jpg (15000×15000) is refused by its content before decoding', async () => {
    const file = join(tmp, 'bomb.jpg');
    writeFileSync(
      file,
      '<svg xmlns="http://www.w3.org/2000/svg" width="15000" height="15000"><rect width="1" height="1"/></svg>',
    );
    await expect(decodeImage(file)).rejects.toThrow(
      `${file}: cannot decode the image: not a JPEG, PNG or WebP image; accepted formats: jpeg, png (options.formats)`,
    );
  });

  it('pixel counts are bounded before decoding (options.maxPixels)', async () => {
    const file = join(tmp, 'big.jpg');
    writeFileSync(file, await jpegBytes(100, 60));
    await expect(decodeImage(file, { maxPixels: 5999 })).rejects.toThrow(
      `${file}: more than 5999 pixels (options.maxPixels); not decoded`,
    );
    expect((await decodeImage(file, { maxPixels: 6000 })).height).toBe(60);
  });

  it('the extension must agree with the content; other formats only when asked for', async () => {
    const png = await sharp(await jpegBytes(8, 8))
      .png()
      .toBuffer();
    writeFileSync(join(tmp, 'png.jpg'), png);
    await expect(decodeImage(join(tmp, 'png.jpg'))).rejects.toThrow(
      'the name says jpeg but the file holds a png image',
    );
    const webp = await sharp(await jpegBytes(8, 8))
      .webp()
      .toBuffer();
    writeFileSync(join(tmp, 'frame.webp'), webp);
    await expect(decodeImage(join(tmp, 'frame.webp'))).rejects.toThrow(
      'a webp image; accepted formats: jpeg, png',
    );
    expect((await decodeImage(join(tmp, 'frame.webp'), { formats: ['webp'] })).width).toBe(8);
  });

  it('a PNG with a damaged chunk after the image data or bytes after IEND is an error', async () => {
    const png = await sharp(await jpegBytes(8, 8))
      .png()
      .toBuffer();
    const badCrc = Buffer.from(png);
    badCrc[badCrc.length - 1] = (badCrc[badCrc.length - 1] as number) ^ 1; // the IEND chunk's CRC
    writeFileSync(join(tmp, 'crc.png'), badCrc);
    await expect(decodeImage(join(tmp, 'crc.png'))).rejects.toThrow(
      `${join(tmp, 'crc.png')}: damaged PNG: CRC mismatch in chunk IEND`,
    );
    writeFileSync(join(tmp, 'trailing.png'), Buffer.concat([png, Buffer.from('xx')]));
    await expect(decodeImage(join(tmp, 'trailing.png'))).rejects.toThrow(
      'damaged PNG: 2 bytes after the IEND chunk',
    );
    writeFileSync(join(tmp, 'ok.png'), png);
    expect((await decodeImage(join(tmp, 'ok.png'))).width).toBe(8);
  });

  it('a FIFO named .jpg is refused without waiting; a file over options.maxBytes is not read', async () => {
    const fifo = join(tmp, 'fifo.jpg');
    execFileSync('mkfifo', [fifo]);
    await expect(decodeImage(fifo)).rejects.toThrow(`${fifo}: not a regular file (a FIFO)`);
    await expect(decodeImage(join(tmp, 'good.jpg'), { maxBytes: 10 })).rejects.toThrow(
      /more than the 10-byte limit/,
    );
  });
});

describe('videos', () => {
  const ffmpeg = resolveFfmpeg().path;
  const good = join(tmp, 'good.mp4');
  execFileSync(ffmpeg, [
    ...['-hide_banner', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=24'],
    ...['-frames:v', '72', '-c:v', 'mpeg4', '-q:v', '3', '-y', good],
  ]);
  // 20 % of the file zeroed from a third in: ffmpeg loses some packets and conceals errors in others
  const bytes = readFileSync(good);
  const start = Math.floor(bytes.length / 3);
  const damaged = join(tmp, 'damaged.mp4');
  writeFileSync(damaged, Buffer.from(bytes).fill(0, start, start + Math.floor(bytes.length / 5)));

  it('frames that decode with errors are an error naming the file and the count', async () => {
    await expect(probeVideo(damaged)).rejects.toThrow(new RegExp(`^${damaged}: \\d+ damaged or lost frame`));
    await expect(decodeVideo(damaged, { size: [24, 32] })).rejects.toThrow(
      /damaged or lost frame\(s\) while decoding/,
    );
  });

  it("onDamagedFrames: 'report' returns the frames and the count of damaged ones", async () => {
    const info = await probeVideo(damaged, { onDamagedFrames: 'report' });
    const video = await decodeVideo(damaged, { size: [24, 32], onDamagedFrames: 'report' });
    expect(info.damagedFrames).toBeGreaterThan(0);
    expect(video.damagedFrames).toBe(info.damagedFrames);
    expect(video.numFrames).toBe(info.numFrames);
    expect(info.numFrames).toBeLessThan(72);
    const intact = await decodeVideo(good, { size: [24, 32] });
    expect([intact.numFrames, intact.damagedFrames]).toEqual([72, 0]);
  });

  it('frame size and total output are bounded before allocation', async () => {
    await expect(probeVideo(good, { maxFramePixels: 320 * 240 - 1 })).rejects.toThrow(
      `${good}: frames of 320×240, more than 76799 pixels (options.maxFramePixels)`,
    );
    await expect(
      decodeVideo(good, { size: [24, 32], frameIndices: [0, 1, 2], maxTotalPixels: 2000 }),
    ).rejects.toThrow(`${good}: 3 frames of 32×24 are more than 2000 pixels in all (options.maxTotalPixels)`);
    await expect(decodeVideo(good, { size: [24, 32], maxTotalPixels: 24 * 32 * 10 })).rejects.toThrow(
      `${good}: 11 frames of 32×24 are more than 7680 pixels in all`,
    );
  });
});
