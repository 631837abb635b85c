"""EsViT's scripts end to end on a fake ImageNet: pre-training (one process, and two under torchrun), an interrupted
pre-training resumed to the exact weights and centers of an uninterrupted one, and k-NN / linear evaluation of the
checkpoint it wrote, with clear errors for bad input."""
import json

import torch

from conftest import BIN, ROOT, run, straight_and_resumed
from effvit.core import load_state
from effvit.train import latest_checkpoint

PY = str(BIN / 'python')
NANO = ['--arch', 'esvit_swin_shapes_nano', '--global_size', '32', '--local_size', '16', '--n_local', '2',
        '--out_dim', '64', '--workers', '0', '--warmup_epochs', '0.5', '--warmup_teacher_temp_epochs', '1']


def script(name): return [PY, str(ROOT / 'scripts' / name)]


def test_pretrain_then_knn_and_linear(fake_data, tmp_path):
    out = tmp_path / 'ssl'
    run(script('pretrain_esvit.py') + NANO + ['--data', str(fake_data), '--out', str(out), '--epochs', '2', '--per_gpu_batch', '16'])
    log = (out / 'log.csv').read_text().splitlines()
    assert len(log) == 3 and 'region_loss' in log[0]                                # V+R by default, one row per epoch
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['global_batch'] == 16 and cfg['out_dim'] == 64
    ck = latest_checkpoint(out)
    state = load_state(ck)['model']
    assert state['criterion.view.center'].abs().sum() > 0                           # the centers are saved, and moved
    assert any(not torch.equal(state[f'student.{k[8:]}'], v) for k, v in state.items() if k.startswith('teacher.'))
    knn = tmp_path / 'knn.json'
    run(script('eval_knn.py') + ['--arch', 'esvit_swin_shapes_nano', '--checkpoint', str(ck), '--data', str(fake_data),
                                 '--img_size', '32', '--ks', '5,20', '--workers', '0', '--out', str(knn)])
    res = json.loads(knn.read_text())
    assert res['n_train'] == res['n_val'] == 64 and set(res['knn']) == {'5', '20'}
    assert all(0 <= v['top1'] <= v['top5'] <= 100 for v in res['knn'].values())
    lin = tmp_path / 'lin.json'
    run(script('eval_linear.py') + ['--arch', 'esvit_swin_shapes_nano', '--checkpoint', str(ck), '--data', str(fake_data),
                                    '--img_size', '32', '--n_last_blocks', '2', '--epochs', '2', '--batch_size', '16',
                                    '--workers', '0', '--out', str(lin)])
    res = json.loads(lin.read_text())
    assert len(res['history']) == 2 and res['dim'] == 48 and 0 <= res['top1'] <= 100


def test_eval_errors(fake_data, tmp_path):
    cases = [(['--arch', 'esvit_swin_shapes_nan'], "unknown model 'esvit_swin_shapes_nan'"),
             (['--checkpoint', str(tmp_path / 'absent.pth')], 'checkpoint not found'),
             (['--data', str(tmp_path / 'nowhere')], 'not found')]
    for name in ('eval_knn.py', 'eval_linear.py'):
        for args, msg in cases:
            base = dict(zip(['--arch', '--data'], ['esvit_swin_shapes_nano', str(fake_data)]))
            argv = [a for k, v in base.items() if k not in args for a in (k, v)] + args + ['--img_size', '32']
            res = run(script(name) + argv, check=False)
            assert res.returncode != 0 and msg in res.stderr and 'Traceback' not in res.stderr, (name, args, res.stderr[-500:])
    bad = tmp_path / 'junk.safetensors'; bad.write_bytes(b'not a checkpoint')
    res = run(script('eval_knn.py') + ['--arch', 'esvit_swin_shapes_nano', '--checkpoint', str(bad), '--data', str(fake_data)], check=False)
    assert res.returncode != 0 and 'Traceback' not in res.stderr, res.stderr[-500:]


def test_pretrain_under_torchrun(fake_data, tmp_path):
    out = tmp_path / 'ddp'
    run([str(BIN / 'torchrun'), '--standalone', '--nproc_per_node=2', str(ROOT / 'scripts' / 'pretrain_esvit.py')] + NANO
        + ['--data', str(fake_data), '--out', str(out), '--epochs', '1', '--per_gpu_batch', '8'])
    assert json.loads((out / 'config.json').read_text())['global_batch'] == 16
    assert len((out / 'log.csv').read_text().splitlines()) == 2                    # logged once, by rank 0
    assert load_state(latest_checkpoint(out))['step'] == 4                          # 64 images / (2 × 8) per step


def test_pretrain_sigterm_then_resume_auto(fake_data, tmp_path):
    common = NANO + ['--data', str(fake_data), '--epochs', '2', '--per_gpu_batch', '16']
    a, b = (ck['model'] for ck in straight_and_resumed(script('pretrain_esvit.py') + common, tmp_path, steps=8))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)         # student, teacher and both centers
