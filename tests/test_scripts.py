"""Every script end to end on a fake ImageNet: --help, a short real run, clear one-line errors that leave nothing
behind, train.py under `torchrun --nproc_per_node 2`, and SIGTERM + `--resume auto` landing on the weights of an
uninterrupted run."""
import json

import pytest
import torch

from conftest import BIN, ROOT, run, straight_and_resumed
from effvit.core import load_state

PY = str(BIN / 'python')
SCRIPTS = sorted(p.name for p in (ROOT / 'scripts').glob('*.py') if not p.name.startswith('_'))
TINY = ['--model', 'vit_shapes', '--recipe', 'deit', '--img_size', '32', '--per_gpu_batch', '8', '--batch_size', '16',
        '--workers', '0', '--amp', 'false', '--warmup_epochs', '0.5', '--ema_decay', '0.9']


def script(name): return [PY, str(ROOT / 'scripts' / name)]


@pytest.mark.parametrize('name', SCRIPTS)
def test_help(name):
    res = run(script(name) + ['--help'])
    assert res.returncode == 0 and 'usage' in res.stdout


def test_train_help_names_each_recipes_defaults():
    out = run(script('train.py') + ['--help']).stdout
    for needle in ('deit=300', 'deit3=400', 'pit=adamp', 'deit3=lamb'): assert needle in out, needle


def test_train_eval_benchmark(fake_data, tmp_path):
    out = tmp_path / 'run'
    run(script('train.py') + TINY + ['--data', str(fake_data), '--out', str(out), '--epochs', '2'])
    log = (out / 'log.csv').read_text().splitlines()
    assert len(log) == 3 and log[0].startswith('epoch,step,lr,train_loss')          # header + one row per epoch
    assert json.loads((out / 'config.json').read_text())['recipe']['opt'] == 'adamw'
    names = sorted(p.name for p in (out / 'checkpoints').iterdir())
    assert names == ['best.safetensors', 'step00000004.safetensors', 'step00000008.safetensors'], names
    assert load_state(out / 'checkpoints' / 'step00000008.safetensors')['model_ema'] is not None
    res = run(script('eval.py') + ['--model', 'vit_shapes', '--checkpoint', str(out / 'checkpoints' / 'best.safetensors'),
                                   '--data', str(fake_data), '--img_size', '32', '--workers', '0',
                                   '--out', str(tmp_path / 'eval.json')])
    assert 'top-1' in res.stdout and json.loads((tmp_path / 'eval.json').read_text())['top5'] == 100.0   # 4 classes
    run(script('benchmark.py') + ['--models', 'vit_shapes,vit_tiny_patch16_224', '--img_size', '32', '--batch_size', '4',
                                  '--iters', '2', '--warmup', '1', '--out', str(tmp_path / 'bench')])
    rows = json.loads((tmp_path / 'bench.json').read_text())['results']
    assert [r['model'] for r in rows] == ['vit_shapes', 'vit_tiny_patch16_224'] and rows[1]['gflops'] > 0


@pytest.mark.parametrize('args, message', [
    (['--data', '{root}/nowhere'], 'data folder not found'),
    (['--data', '{bad}'], "the 'train' split is empty"),
    (['--model', 'vit_shapez'], "unknown model 'vit_shapez'"),
    (['--recipe', 'pit'], "recipe 'pit' is for models matching 'pit_*'"),
    (['--recipe', 'deit4'], "unknown recipe 'deit4'"),
    (['--per_gpu_batch', '5'], 'not a multiple'),
    (['--finetune', '{root}/missing.pth'], 'checkpoint not found'),
    (['--clip_grad', 'abc'], "--clip_grad takes a number or 'none', not 'abc'"),
])
def test_train_errors(fake_data, tmp_path, args, message):
    bad = tmp_path / 'bad'; (bad / 'train' / 'n0').mkdir(parents=True)
    out = tmp_path / 'out'
    args = [a.format(root=tmp_path, bad=bad) for a in args]
    cmd = script('train.py') + TINY + ['--data', str(fake_data), '--out', str(out)]
    for i in range(0, len(args), 2):                      # later flags win in argparse
        cmd += args[i:i + 2]
    res = run(cmd, check=False)
    assert res.returncode != 0
    assert message in res.stderr and 'Traceback' not in res.stderr, res.stderr[-2000:]
    assert not out.exists()                               # nothing half-written


def test_train_under_torchrun(fake_data, tmp_path):
    out = tmp_path / 'ddp'
    run([str(BIN / 'torchrun'), '--standalone', '--nproc_per_node=2', str(ROOT / 'scripts' / 'train.py')] + TINY
        + ['--data', str(fake_data), '--out', str(out), '--epochs', '1', '--batch_size', '16'])
    log = (out / 'log.csv').read_text().splitlines()
    assert len(log) == 2                                  # one header, one epoch: logged once, by rank 0
    assert sorted(p.name for p in (out / 'checkpoints').iterdir()) == ['best.safetensors', 'step00000004.safetensors']


def test_sigterm_then_resume_auto(fake_data, tmp_path):
    common = TINY + ['--data', str(fake_data), '--epochs', '2', '--reprob', '0', '--aa', 'none', '--mixup', '0', '--clip_grad', 'none',
                     '--cutmix', '0', '--repeated_aug', 'false']
    a, b = straight_and_resumed(script('train.py') + common, tmp_path, steps=8)
    assert all(torch.equal(a['model'][k], b['model'][k]) for k in a['model'])
    assert all(torch.equal(a['model_ema'][k], b['model_ema'][k]) for k in a['model_ema'])
