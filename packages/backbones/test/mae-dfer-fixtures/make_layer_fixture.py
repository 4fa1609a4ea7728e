"""Layer-level reference values for the MAE-DFER layers of @dfer/backbones (GeneralAttention, LGBlock,
tubelet embedding, sinusoid table), from the PyTorch reference in make_parity_fixture.py.

Weights follow the deterministic formula of make_parity_fixture.py (`deterministic_values`).
Inputs: flat index j in the tfjs layout, sin(0.3*j + 0.1 + offset) with offset 0 for x and 1 for context.

Run:  /usr/bin/python3 make_layer_fixture.py   → layers.json beside this script (float64 forward).
"""
import json
import os
import numpy as np
import torch

from make_parity_fixture import HERE, GeneralAttention, LGBlock, PatchEmbed, fill_deterministic as fill, sinusoid_table

def tensor(shape, offset):
    j = np.arange(int(np.prod(shape)), dtype=np.float64)
    return torch.from_numpy(np.sin(0.3 * j + 0.1 + offset).astype(np.float32).reshape(shape)).double()


def main():
    out = {'generator': os.path.basename(__file__), 'torch': torch.__version__}
    with torch.no_grad():
        attn = fill(GeneralAttention(8, 2))
        x = tensor((2, 3, 8), 0)
        ctx = tensor((2, 4, 8), 1)
        out['attention'] = {'dim': 8, 'heads': 2, 'xShape': [2, 3, 8], 'contextShape': [2, 4, 8],
                            'self': attn(x).tolist(), 'cross': attn(x, context=ctx).tolist()}
        block = fill(LGBlock(8, 2, 4))
        b, n, s = 2, 2, 3
        xb = tensor((b * n, 1 + s, 8), 0)
        out['block'] = {'dim': 8, 'heads': 2, 'mlpRatio': 4, 'numRegions': n, 'xShape': [b * n, 1 + s, 8],
                        'output': block(xb, b, n).tolist()}
        embed = fill(PatchEmbed(5, 2, 4))
        # tfjs layout [B, T, H, W, C] = [1, 4, 8, 12, 3] → PyTorch [B, C, T, H, W]
        xe = tensor((1, 4, 8, 12, 3), 0)
        out['tubelet'] = {'dim': 5, 'tubeletSize': 2, 'patchSize': 4, 'xShape': [1, 4, 8, 12, 3],
                          'output': embed(xe.permute(0, 4, 1, 2, 3)).tolist()}
        out['sinusoid'] = {'numPositions': 7, 'dim': 6, 'table': sinusoid_table(7, 6)[0].double().tolist()}
    with open(os.path.join(HERE, 'layers.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
