"""PyTorch CPU reference timings for `bench perf` (apps/bench): the `tiny` and `paper` architectures of the
three base models, timed in the same run as the tfjs / onnxruntime timings.

The architectures are NOT re-implemented here: they are imported from the PyTorch fixture generators of
@dfer/backbones, which were written from the reference fact sheets and checked against the TypeScript
models (parity tests):
  former_dfer  packages/backbones/test/fixtures/former-dfer/make-former-dfer.py   (FormerDfer, PRESETS[preset]:
               paper = ResNet-18 widths, 16 frames of 112 x 112, 1 spatial + 3 temporal transformer blocks)
  m3dfel       packages/backbones/test/fixtures/m3dfel/make_m3dfel_fixtures.py   (M3DFEL; tiny = M3DFEL_TINY of
               packages/backbones/src/models/m3dfel.ts: widths 8-16-24-32, BiLSTM 32, 4 heads, 4 x 4 frames of
               16 x 16; paper = the class defaults, R3D-18 widths 64-512, BiLSTM 512, 8 heads, 16 frames of
               112 x 112, as M3DFEL_PAPER)
  mae_dfer     packages/backbones/test/mae-dfer-fixtures/make_parity_fixture.py   (LGIFormer, CASES[preset]:
               paper = dim 512, depth 16, 16 frames of 160 x 160, checked there against the official state dict)
Importing them has one side effect, undone here: make_m3dfel_fixtures.py calls
torch.set_grad_enabled(False) at import time; this script re-enables gradients right after the import.

For each model it times, on one CPU thread by default (torch.set_num_threads, to match single-threaded
tfjs-wasm; the thread count is printed in the output):
  * a training step: forward, cross-entropy on fixed labels, backward, AdamW update (lr 1e-3, weight decay
    0.05), model in train mode, gradients zeroed with set_to_none; for each batch size asked;
  * inference: forward of one clip in eval mode under torch.no_grad().
`--warmups` untimed runs (default 1) precede the timed repeats; times are wall-clock (time.perf_counter).

Usage (Debian's python3-torch; the pyenv python3 has no torch):
  /usr/bin/python3 apps/bench/python/perf_reference.py --model former_dfer --preset tiny --batches 1,8 --repeats 3 --threads 1
Prints one JSON object on stdout:
  {"model", "preset", "torch", "threads", "numParameters", "inputShape" (PyTorch layout, batch 1),
   "train": [{"batch", "msPerStep": [...]}], "inference": {"batch": 1, "msPerClip": [...]},
   "peakRssMiB" (ru_maxrss of this process)}
"""
import argparse
import importlib.util
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
FIXTURES = {
    'former_dfer': 'packages/backbones/test/fixtures/former-dfer/make-former-dfer.py',
    'm3dfel': 'packages/backbones/test/fixtures/m3dfel/make_m3dfel_fixtures.py',
    'mae_dfer': 'packages/backbones/test/mae-dfer-fixtures/make_parity_fixture.py',
}


def load_fixture_module(model):
    path = os.path.join(REPO, FIXTURES[model])
    if not os.path.isfile(path):
        raise SystemExit(f'perf_reference.py: {path} not found (the PyTorch definition of {model})')
    spec = importlib.util.spec_from_file_location(f'dfer_fixture_{model}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.set_grad_enabled(True)  # make_m3dfel_fixtures.py disables gradients at import time
    return module


def build(model, preset):
    """Returns (module, input shape in the module's layout, forward -> logits) for the preset."""
    if preset not in ('tiny', 'paper'):
        raise SystemExit(f'perf_reference.py: unknown preset "{preset}" (expected tiny or paper)')
    m = load_fixture_module(model)
    if model == 'former_dfer':
        a = m.PRESETS[preset]
        net = m.FormerDfer(a, 7, 0)
        return net, (a['frames'], 3, a['size'], a['size']), lambda x: net(x)['logits']
    if model == 'm3dfel':
        if preset == 'tiny':
            # M3DFEL_TINY of packages/backbones/src/models/m3dfel.ts
            net = m.M3DFEL(num_classes=7, instance_length=4, bag_size=4, hidden=32, heads=4, widths=(8, 16, 24, 32))
            return net, (16, 3, 16, 16), lambda x: net(x)[0]
        # M3DFEL_PAPER: the official class defaults
        net = m.M3DFEL(num_classes=7, instance_length=4, bag_size=4, hidden=512, heads=8, widths=(64, 128, 256, 512))
        return net, (16, 3, 112, 112), lambda x: net(x)[0]
    if model == 'mae_dfer':
        cfg = dict(m.CASES[preset])
        cfg.pop('batch')
        cfg['num_aus'] = 0
        net = m.LGIFormer(**cfg)
        return net, (3, cfg['frames'], cfg['size'][0], cfg['size'][1]), lambda x: net(x)[0]
    raise SystemExit(f'perf_reference.py: unknown model "{model}" (expected one of {", ".join(FIXTURES)})')


def clip_batch(batch, shape):
    n = batch
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.float64)
    return (((i * 7919) % 1009) / 1009).to(torch.float32).reshape(batch, *shape)


def timed(fn, repeats, warmups):
    for _ in range(warmups):
        fn()  # untimed warm-up
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', required=True, choices=sorted(FIXTURES))
    ap.add_argument('--preset', default='tiny', choices=['tiny', 'paper'])
    ap.add_argument('--batches', default='1,8')
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--warmups', type=int, default=1)
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(',') if b]
    if not batches or any(b < 1 for b in batches):
        raise SystemExit(f'perf_reference.py: --batches "{args.batches}": expected positive integers')
    if args.repeats < 1 or args.threads < 1 or args.warmups < 1:
        raise SystemExit('perf_reference.py: --repeats, --threads and --warmups must be >= 1')
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net, shape, logits_of = build(args.model, args.preset)
    net = net.float()
    num_parameters = sum(p.numel() for p in net.parameters() if p.requires_grad)

    train = []
    for batch in batches:
        net.train()
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.05)
        x = clip_batch(batch, shape)
        y = torch.arange(batch) % 7

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(logits_of(x), y)
            loss.backward()
            opt.step()

        train.append({'batch': batch, 'msPerStep': timed(step, args.repeats, args.warmups)})

    net.eval()
    x1 = clip_batch(1, shape)

    def infer():
        with torch.no_grad():
            logits_of(x1)

    inference = {'batch': 1, 'msPerClip': timed(infer, args.repeats, args.warmups)}
    json.dump({
        'model': args.model, 'preset': args.preset, 'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'numParameters': num_parameters, 'inputShape': [1, *shape], 'train': train, 'inference': inference,
        'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
