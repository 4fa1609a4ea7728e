#!/usr/bin/env bash
# The walkthrough of docs/train-on-your-dataset.md on a tiny fake DFEW root made from the real face videos
# of the shared test data: frames in DFEW's layout, split lists in the official (DFER-CLIP) format, then
# dfer train → dfer eval → dfer export-onnx → inference on a video with the exported model.
# Run from the repository root after `npm test` (or `pnpm install && pnpm build`):
#   bash docs/examples/train-tiny.sh [work-dir]      (default /tmp/dfer-tiny-dfew; about 1–2 minutes)
set -euo pipefail

WORK=${1:-/tmp/dfer-tiny-dfew}
MEDIA=${DFER_SHARED_DATA:-../shared/data}/media
export NODE_PATH=$PWD/tools/node_modules            # the workspace packages, by name (as from npm)
DFER="node packages/trainer/dist/cli.js"           # `npx dfer` once @dfer/trainer is installed from npm
FFMPEG=$(node -e "console.log(require('@dfer/datasets').resolveFfmpeg().path)")

rm -rf "$WORK" && mkdir -p "$WORK/DFEW/Clip/clip_224x224" "$WORK/splits"
ROOT=$WORK/DFEW/Clip/clip_224x224

# 1. Frames in DFEW's layout: <root>/<5-digit clip id>/<id>_<n>.jpg, faces cropped square and resized.
clip() { # clip <id> <video> <first frame> <frames> <crop filter>
  mkdir -p "$ROOT/$1"
  "$FFMPEG" -loglevel error -i "$2" -vf "select='between(n,$3,$(($3 + $4 - 1)))',$5,scale=112:112" \
    -vsync 0 -start_number 1 "$ROOT/$1/$1_%d.jpg"
}
for i in 0 1 2 3 4 5; do clip "$(printf %05d $((i + 1)))" "$MEDIA/single_face.mp4" $((i * 12)) 12 "crop=360:360"; done
for i in 0 1 2 3; do clip "$(printf %05d $((i + 7)))" "$MEDIA/noface_face.mov" $((113 + i * 14)) 14 "crop=540:540"; done

# 2. Split lists in the official format: "<authors' clip dir> <number of frames> <label>", label 0-based in
#    DFEW order (0 happy … 6 fear). The authors' prefix is replaced by data.root. The labels here are
#    made up (the same man in every clip): this checks the pipeline, it measures nothing.
{
  for id in 00001 00002 00003 00004; do echo "/data/DFEW/DFEW_Frame_Face/$id 12 0"; done
  for id in 00007 00008 00009; do echo "/data/DFEW/DFEW_Frame_Face/$id 14 2"; done
} > "$WORK/splits/DFEW_set_1_train.txt"
printf '%s\n' "/data/DFEW/DFEW_Frame_Face/00005 12 0" "/data/DFEW/DFEW_Frame_Face/00006 12 0" \
  "/data/DFEW/DFEW_Frame_Face/00010 14 2" > "$WORK/splits/DFEW_set_1_test.txt"

# 3. A config of your own: inherit the shipped base files, change what you need.
CONFIGS=$PWD/packages/trainer/configs                 # node_modules/@dfer/trainer/configs from npm
cat > "$WORK/my-dfew.json" <<JSON
{
  "_base": [
    "$CONFIGS/_base/models/former-dfer.json",
    "$CONFIGS/_base/data/dfew.json",
    "$CONFIGS/_base/methods/ce.json"
  ],
  "name": "former_dfer_my_dfew",
  "data": { "root": "$ROOT", "listDir": "$WORK/splits" },
  "train": { "epochs": 2, "batchSize": 4, "evalBatchSize": 4 }
}
JSON

# 4. Train fold 1 only (the fake root has only fold 1's lists), on the wasm backend.
$DFER train "$WORK/my-dfew.json" --out "$WORK/runs/my_dfew" \
  --set protocol.only=[1] --set evaluation.validationFraction=0.3 --set engine.backend=wasm \
  --set optim.lr=0.001

# 5. Score the selected weights on every test clip again, and export them to ONNX.
$DFER eval "$WORK/runs/my_dfew/fold-1"
$DFER export-onnx "$WORK/runs/my_dfew/fold-1" --out "$WORK/former_dfer_my_dfew.onnx"

# 6. Run the exported model on a face video (docs/examples/classify-video.ts), cropped like the clips.
"$FFMPEG" -loglevel error -i "$MEDIA/single_face.mp4" -vf crop=360:360 -an "$WORK/face.mp4"
npx tsx docs/examples/classify-video.ts "$WORK/former_dfer_my_dfew.onnx" "$WORK/face.mp4"
