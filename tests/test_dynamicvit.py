"""The `dynamicvit` recipe through `scripts/train.py`: a DeiT-style checkpoint as --finetune, the method's flags
(--base_rate, --freeze_epochs), the loss terms in the CSV log, and a one-line error without --finetune."""
import csv

import torch
import timm

from conftest import BIN, ROOT, run

TINY = ['--model', 'dynamicvit_shapes', '--recipe', 'dynamicvit', '--img_size', '32', '--crop_pct', '1.0',
        '--per_gpu_batch', '8', '--batch_size', '16', '--workers', '0', '--warmup_epochs', '0', '--ema_decay', '0.9']


def train(*args, check=True):
    return run([str(BIN / 'python'), str(ROOT / 'scripts' / 'train.py')] + TINY + list(args), check=check)


def test_dynamicvit_recipe_end_to_end(fake_data, tmp_path):
    import effvit  # noqa: F401  (registers vit_shapes)
    ckpt = tmp_path / 'deit_like.pth'
    vit = timm.create_model('vit_shapes', num_classes=4)
    torch.save({'model': vit.state_dict(), 'epoch': 299}, ckpt)          # the DeiT repository's container
    out = tmp_path / 'run'
    train('--data', str(fake_data), '--out', str(out), '--epochs', '2', '--freeze_epochs', '1', '--base_rate', '0.8',
          '--finetune', str(ckpt))
    rows = list(csv.DictReader((out / 'log.csv').open()))
    assert len(rows) == 2
    for k in ('ce', 'ratio', 'kl', 'mse', 'keep1', 'keep2', 'keep3', 'top1'): assert k in rows[0], (k, rows[0].keys())
    assert all(0 <= float(r['keep3']) <= float(r['keep2']) <= float(r['keep1']) <= 1 for r in rows)
    import json
    cfg = json.loads((out / 'config.json').read_text())['recipe']
    assert (cfg['base_rate'], cfg['freeze_epochs'], cfg['ratio_weight'], cfg['lr']) == (0.8, 1, 2.0, 1e-3)


def test_dynamicvit_recipe_needs_finetune(fake_data, tmp_path):
    out = tmp_path / 'run'
    res = train('--data', str(fake_data), '--out', str(out), check=False)
    assert res.returncode != 0 and '--finetune' in res.stderr and 'Traceback' not in res.stderr, res.stderr[-2000:]
    assert not out.exists()
