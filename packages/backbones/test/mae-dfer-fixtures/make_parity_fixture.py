"""PyTorch reference for the MAE-DFER LGI-Former parity fixtures of @dfer/backbones.

Written from /work/shared/reference/mae-dfer.md (facts read from sunlicai/MAE-DFER
modeling_finetune.py @ 80b651d); this is an independent re-implementation, not the authors' code.
State-dict names and shapes equal the official model (checked below against
mae-dfer.state-dict.json for the `paper` configuration).

Every tensor is filled from a deterministic formula that the TypeScript test recomputes
(test/mae-dfer-helpers.ts): tensor k (0-based, state-dict order, the optional `au_head.*` last) of
PyTorch shape [d0, d1, ...], flat index i in PyTorch layout, phase(i) = 0.7*i + 1e-4*i*i + k:
    LayerNorm weight (name matches `norm\\d*\\.weight`):  1 + 0.1 * sin(phase(i))
    other 1-D tensors (biases):                        0.1 * sin(phase(i))
    tensors of rank >= 2:                              sin(phase(i)) / sqrt(d1 * d2 * ...)
The i*i term makes every weight matrix full rank (a plain sin(0.7*i + k) gives rank-2 matrices), and the
1/sqrt(fan-in) scale keeps activations O(1) through all blocks, so the comparison is sensitive to every
detail (exact vs tanh GELU, region order, key bias, ...).
Input, in the tfjs layout [B, T, H, W, C], flat index j:  sin(0.05 * j + 0.3)
(permuted to PyTorch's [B, C, T, H, W] before the forward).

Run (Debian bookworm, python3-torch 1.13):
    /usr/bin/python3 make_parity_fixture.py            # writes parity.json beside this script
The forward runs in float64; the stored logits are the float64 results.
"""
import json
import math
import os
import re
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
STATE_DICT_JSON = '/work/shared/reference/mae-dfer.state-dict.json'


def sinusoid_table(n_position, dim):
    """angle(pos, j) = pos / 10000^(2*floor(j/2)/dim); even j -> sin, odd j -> cos (interleaved)."""
    pos = np.arange(n_position, dtype=np.float64)[:, None]
    j = np.arange(dim)[None, :]
    angle = pos / np.power(10000.0, 2 * (j // 2) / dim)
    table = np.where(j % 2 == 0, np.sin(angle), np.cos(angle))
    return torch.from_numpy(table.astype(np.float32))[None]  # [1, N, dim], float32 as the official code


class GeneralAttention(nn.Module):
    """q = x Wq^T + q_bias; [k, v] = ctx Wkv^T + [0, v_bias]; softmax((q * d^-0.5) k^T) v -> proj."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=False)
        self.kv = nn.Linear(dim, 2 * dim, bias=False)
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, context=None):
        ctx = x if context is None else context
        b, t1, c = x.shape
        t2 = ctx.shape[1]
        h = self.heads
        q = F.linear(x, self.q.weight, self.q_bias).reshape(b, t1, h, c // h).permute(0, 2, 1, 3)
        kv_bias = torch.cat([torch.zeros_like(self.v_bias), self.v_bias])
        kv = F.linear(ctx, self.kv.weight, kv_bias).reshape(b, t2, 2, h, c // h).permute(2, 0, 3, 1, 4)
        k, v = kv[0], kv[1]
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(b, t1, c)
        return self.proj(out)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))  # exact (erf) GELU


class LGBlock(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        ln = lambda: nn.LayerNorm(dim, eps=1e-6)
        self.first_attn_norm0 = ln()
        self.first_attn = GeneralAttention(dim, heads)
        self.second_attn_norm0 = ln()
        self.second_attn = GeneralAttention(dim, heads)
        self.third_attn_norm0 = ln()
        self.third_attn_norm1 = ln()
        self.third_attn = GeneralAttention(dim, heads)
        self.norm2 = ln()
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x, b, n):
        # x: [(b*n), 1+s, c]
        x = x + self.first_attn(self.first_attn_norm0(x))
        c = x.shape[-1]
        m = x[:, 0].reshape(b, n, c)
        m = m + self.second_attn(self.second_attn_norm0(m))
        local = x[:, 1:]
        s = local.shape[1]
        local = local.reshape(b, n * s, c)
        local = local + self.third_attn(self.third_attn_norm0(local), context=self.third_attn_norm1(m))
        x = torch.cat([m.reshape(b * n, 1, c), local.reshape(b * n, s, c)], dim=1)
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, dim, tubelet, patch):
        super().__init__()
        self.proj = nn.Conv3d(3, dim, kernel_size=(tubelet, patch, patch), stride=(tubelet, patch, patch))

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class LGIFormer(nn.Module):
    def __init__(self, dim, depth, heads, mlp_ratio, tubelet, patch, region, frames, size, num_classes, num_aus):
        super().__init__()
        self.grid = (frames // tubelet, size[0] // patch, size[1] // patch)
        self.region = region
        self.counts = tuple(g // r for g, r in zip(self.grid, region))
        n_regions = self.counts[0] * self.counts[1] * self.counts[2]
        self.lg_region_tokens = nn.Parameter(torch.zeros(n_regions, dim))
        self.patch_embed = PatchEmbed(dim, tubelet, patch)
        self.register_buffer('pos_embed', sinusoid_table(self.grid[0] * self.grid[1] * self.grid[2], dim), persistent=False)
        self.blocks = nn.ModuleList([LGBlock(dim, heads, mlp_ratio) for _ in range(depth)])
        self.fc_norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        self.au_head = nn.Linear(dim, num_aus) if num_aus else None

    def forward_features(self, x):
        x = self.patch_embed(x)
        b, _, c = x.shape
        x = x + self.pos_embed.type_as(x)
        nt, nh, nw = self.counts
        t, h, w = self.region
        # 'b (nt t nh h nw w) c -> b (nt nh nw) (t h w) c'
        x = x.reshape(b, nt, t, nh, h, nw, w, c).permute(0, 1, 3, 5, 2, 4, 6, 7)
        n = nt * nh * nw
        x = x.reshape(b, n, t * h * w, c)
        tokens = self.lg_region_tokens[None].expand(b, -1, -1)[:, :, None]
        x = torch.cat([tokens.type_as(x), x], dim=2).reshape(b * n, 1 + t * h * w, c)
        for blk in self.blocks:
            x = blk(x, b, n)
        region = x.reshape(b, n, -1, c)[:, :, 0]
        return self.fc_norm(region.mean(dim=1))

    def forward(self, x):
        f = self.forward_features(x)
        return self.head(f), (self.au_head(f) if self.au_head is not None else None), f


def deterministic_values(name, shape, k):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    base = np.sin(0.7 * i + 1e-4 * (i * i) + k)
    if re.search(r'norm\d*\.weight$', name):
        return 1.0 + 0.1 * base
    if len(shape) == 1:
        return 0.1 * base
    return base / math.sqrt(n // shape[0])


def fill_deterministic(model):
    """Fills every state-dict tensor with deterministic_values; returns the module in float64 eval mode."""
    for k, (name, p) in enumerate(model.state_dict().items()):
        vals = deterministic_values(name, list(p.shape), k)
        with torch.no_grad():
            p.copy_(torch.from_numpy(vals.astype(np.float32)).reshape(p.shape))
    return model.double().eval()


def make_input(batch, frames, size):
    shape = (batch, frames, size[0], size[1], 3)
    j = np.arange(int(np.prod(shape)), dtype=np.float64)
    x = np.sin(0.05 * j + 0.3).astype(np.float32).reshape(shape)
    return torch.from_numpy(x).permute(0, 4, 1, 2, 3).contiguous()


CASES = {
    # the `tiny` preset of @dfer/backbones
    'tiny': dict(dim=64, depth=2, heads=4, mlp_ratio=4, tubelet=2, patch=16, region=(2, 2, 4),
                 frames=16, size=(64, 64), num_classes=7, num_aus=18, batch=2),
    # the `paper` architecture at the smallest square input with more than one region (2 regions)
    'paper_4x160': dict(dim=512, depth=16, heads=8, mlp_ratio=4, tubelet=2, patch=16, region=(2, 5, 10),
                        frames=4, size=(160, 160), num_classes=7, num_aus=0, batch=1),
    # the `paper` preset at its native input (16 x 160 x 160); slow in tfjs, opt-in test
    'paper': dict(dim=512, depth=16, heads=8, mlp_ratio=4, tubelet=2, patch=16, region=(2, 5, 10),
                  frames=16, size=(160, 160), num_classes=7, num_aus=0, batch=1),
}


def check_official_names(model):
    ref = json.load(open(STATE_DICT_JSON))
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    official = [(e['name'], e['shape']) for e in ref['state_dict']]
    assert ours == official, 'state-dict names/shapes differ from mae-dfer.state-dict.json'
    total = sum(p.numel() for p in model.parameters())
    assert total == ref['total_parameters'] == 84878343, total


def main():
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    out = {'generator': os.path.basename(__file__), 'torch': torch.__version__, 'cases': {}}
    for name, cfg in CASES.items():
        cfg = dict(cfg)
        batch = cfg.pop('batch')
        model = LGIFormer(**cfg)
        if name == 'paper':
            check_official_names(model)
        model = fill_deterministic(model)
        x = make_input(batch, cfg['frames'], cfg['size']).double()
        with torch.no_grad():
            logits, au_logits, features = model(x)
        case = {'config': {**cfg, 'batch': batch}, 'logits': logits.tolist(),
                'featuresHead': features[:, :8].tolist()}
        if au_logits is not None:
            case['auLogits'] = au_logits.tolist()
        out['cases'][name] = case
        print(name, 'logits', logits.flatten()[:7].tolist(), file=sys.stderr)
    with open(os.path.join(HERE, 'parity.json'), 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
