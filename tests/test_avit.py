"""The `avit` recipe through `scripts/train.py`: fine-tuning a plain ViT checkpoint into an A-ViT on a fake ImageNet,
with the A-ViT criterion's ponder cost and depth in the log, and its settings listed by `--help`."""
import csv

import torch

from conftest import BIN, ROOT, run

PY = str(BIN / 'python')
TRAIN = [PY, str(ROOT / 'scripts' / 'train.py')]


def test_help_lists_avit_settings():
    out = run(TRAIN + ['--help']).stdout
    for needle in ('avit', 'ponder_token_scale', 'gate_center', 'avit=100'): assert needle in out, needle


def test_finetune_vit_into_avit(fake_data, tmp_path):
    import timm, effvit
    vit = timm.create_model('vit_shapes', num_classes=10)               # a plain ViT with another head size
    torch.save({'model': vit.state_dict(), 'epoch': 3}, tmp_path / 'vit-5-2.pth')
    out = tmp_path / 'run'
    res = run(TRAIN + ['--model', 'avit_shapes', '--recipe', 'avit', '--data', str(fake_data), '--out', str(out),
                       '--finetune', str(tmp_path / 'vit-5-2.pth'), '--epochs', '1', '--per_gpu_batch', '16',
                       '--batch_size', '16', '--workers', '0', '--amp', 'false', '--warmup_epochs', '0',
                       '--official_target', 'false', '--gate_center', '2.5'])
    rows = list(csv.DictReader((out / 'log.csv').open()))
    assert len(rows) == 1 and {'ponder', 'kl', 'depth'} <= set(rows[0]), rows
    assert 1 <= float(rows[0]['depth']) <= 6
    bad = run(TRAIN + ['--model', 'avit_shapes', '--recipe', 'avit', '--data', str(fake_data), '--out', str(tmp_path / 'x'),
                       '--finetune', str(tmp_path / 'missing.pth'), '--workers', '0'], check=False)
    assert bad.returncode != 0 and 'not found' in bad.stderr + bad.stdout
