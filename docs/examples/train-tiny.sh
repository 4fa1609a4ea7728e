#!/usr/bin/env bash
# The walkthrough of docs/train-on-your-dataset.md: AU-DFER on a tiny fake DFEW root made from the real face
# videos and the real OpenFace output of the shared test data — frames in DFEW's layout, split lists in the
# official (DFER-CLIP) format, one OpenFace FeatureExtraction CSV per clip — then the shipped Former-DFER
# AU-DFER DFEW recipe: dfer train --dry-run → dfer train → dfer eval → dfer export-onnx → inference on a video.
# Run from the repository root after `npm test` (or `pnpm install && pnpm build`):
#   bash docs/examples/train-tiny.sh [work-dir]      (default /tmp/dfer-tiny-dfew; about 30 s)
set -euo pipefail

WORK=${1:-/tmp/dfer-tiny-dfew}
MEDIA=${DFER_SHARED_DATA:-../shared/data}/media
export NODE_PATH=$PWD/tools/node_modules            # the workspace packages, by name (as from npm)
DFER="node packages/trainer/dist/cli.js"           # `npx dfer` once @dfer/trainer is installed from npm
FFMPEG=$(node -e "console.log(require('@dfer/datasets/media').resolveFfmpeg().path)")

rm -rf "$WORK" && mkdir -p "$WORK/DFEW/Clip/clip_224x224" "$WORK/DFEW/splits" "$WORK/DFEW/openface"
ROOT=$WORK/DFEW/Clip/clip_224x224

# 1. Frames in DFEW's layout: <root>/<5-digit clip id>/<id>_<n>.jpg, faces cropped square and resized.
clip() { # clip <id> <video> <first frame> <frames> <crop filter>
  mkdir -p "$ROOT/$1"
  "$FFMPEG" -loglevel error -i "$2" -vf "select='between(n,$3,$(($3 + $4 - 1)))',$5,scale=112:112" \
    -vsync 0 -start_number 1 "$ROOT/$1/$1_%d.jpg"
}
for i in 0 1 2 3 4 5; do clip "$(printf %05d $((i + 1)))" "$MEDIA/single_face.mp4" $((i * 12)) 12 "crop=360:360"; done
for i in 0 1 2 3; do clip "$(printf %05d $((i + 7)))" "$MEDIA/noface_face.mov" $((113 + i * 14)) 14 "crop=540:540"; done

# 2. AU labels: one OpenFace FeatureExtraction CSV per clip, <aus dir>/<clip id>.csv. On real data run
#      FeatureExtraction -fdir $ROOT/00001 -aus -out_dir $WORK/DFEW/openface -of 00001
#    for every clip. Here each clip gets 12 or 14 consecutive rows of the real OpenFace output
#    OpenFace_Test.csv (frames renumbered from 1); clip 00004 gets none, to show how a missing file is handled.
openface() { # openface <id> <first row> <rows>
  awk -F, -v OFS=, -v s="$2" -v n="$3" 'NR == 1 { print; next } NR > 1 + s && NR <= 1 + s + n { $1 = NR - 1 - s; print }' \
    "$MEDIA/OpenFace_Test.csv" > "$WORK/DFEW/openface/$1.csv"
}
for i in 1 2 3 5 6; do openface "$(printf %05d "$i")" $(((i - 1) * 12)) 12; done
for i in 7 8 9 10; do openface "$(printf %05d "$i")" $(((i - 7) * 14)) 14; done

# 3. Split lists in the official format: "<authors' clip dir> <number of frames> <label>", label 0-based in
#    DFEW order (0 happy … 6 fear). The authors' prefix is replaced by data.root. The labels here are
#    made up (the same man in every clip): this checks the pipeline, it measures nothing.
{
  for id in 00001 00002 00003 00004; do echo "/data/DFEW/DFEW_Frame_Face/$id 12 0"; done
  for id in 00007 00008 00009; do echo "/data/DFEW/DFEW_Frame_Face/$id 14 2"; done
} > "$WORK/DFEW/splits/DFEW_set_1_train.txt"
printf '%s\n' "/data/DFEW/DFEW_Frame_Face/00005 12 0" "/data/DFEW/DFEW_Frame_Face/00006 12 0" \
  "/data/DFEW/DFEW_Frame_Face/00010 14 2" > "$WORK/DFEW/splits/DFEW_set_1_test.txt"

# 4. The shipped recipe (node_modules/@dfer/trainer/configs/dfew/former_dfer_au_global.json from npm), with
#    the paths and a tiny run set on the command line: fold 1 only (the fake root has only fold 1's lists),
#    the tiny preset, 2 epochs, the wasm backend; clip 00004 has no OpenFace CSV, so it is masked out of the
#    AU term (the recipe's default, data.aus.missing "fail", would stop here and name it).
CONFIG=packages/trainer/configs/dfew/former_dfer_au_global.json
TINY=(--set data.root="$ROOT" --set data.listDir="$WORK/DFEW/splits" --set data.aus.dir="$WORK/DFEW/openface"
  --set data.aus.missing=mask --set protocol.only=[1] --set model.preset=tiny --set engine.backend=wasm
  --set train.epochs=2 --set train.batchSize=4 --set train.evalBatchSize=4 --set evaluation.validationFraction=0.3
  --set optim.lr=0.001)

# 5. The plan first (nothing trained), then the run.
$DFER train "$CONFIG" "${TINY[@]}" --dry-run
$DFER train "$CONFIG" "${TINY[@]}" --out "$WORK/runs/au_dfer_dfew"

# 6. Score the selected weights on every test clip again, and export them to ONNX.
$DFER eval "$WORK/runs/au_dfer_dfew/fold-1"
$DFER export-onnx "$WORK/runs/au_dfer_dfew/fold-1" --out "$WORK/former_dfer_au_dfew.onnx"

# 7. Run the exported model on a face video (docs/examples/classify-video.ts), cropped like the clips.
"$FFMPEG" -loglevel error -i "$MEDIA/single_face.mp4" -vf crop=360:360 -an "$WORK/face.mp4"
npx tsx docs/examples/classify-video.ts "$WORK/former_dfer_au_dfew.onnx" "$WORK/face.mp4"
