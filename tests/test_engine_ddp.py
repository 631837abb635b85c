"""The engine under `torchrun --nproc_per_node 2` (gloo, CPU) against a 1-process run.

With interleaved sharding (`EpochSampler`), two ranks of batch 4 see exactly the global batches of one process of
batch 8, and DDP averages their gradients, so the two runs must agree up to floating-point summation order."""
import json

import torch

from conftest import BIN, ROOT, run
from effvit.core import load_checkpoint, load_state


def train(data, out, nproc, batch_size):
    job = [str(ROOT / 'tests' / 'engine_job.py'), '--data', str(data), '--out', str(out), '--epochs', '2',
           '--batch-size', str(batch_size)]
    cmd = ([str(BIN / 'torchrun'), '--standalone', f'--nproc_per_node={nproc}'] if nproc > 1 else [str(BIN / 'python')]) + job
    run(cmd, timeout=600)
    return json.loads((out / 'metrics.json').read_text())


def test_ddp_matches_single_process(fake_data, tmp_path):
    one = train(fake_data, tmp_path / 'one', 1, 8)
    two = train(fake_data, tmp_path / 'two', 2, 4)
    assert (one['world_size'], two['world_size']) == (1, 2)
    assert one['step'] == two['step'] == 16                       # 64 images / global batch 8, 2 epochs

    # both ranks finished, and DDP kept their weights identical
    r0 = load_state(tmp_path / 'two' / 'final_rank0.safetensors')['model']
    r1 = load_state(tmp_path / 'two' / 'final_rank1.safetensors')['model']
    assert all(torch.equal(r0[k], r1[k]) for k in r0)

    # only rank 0 wrote checkpoints: one per epoch (keep_last=2) plus best, no temporary files
    names = sorted(p.name for p in (tmp_path / 'two' / 'checkpoints').iterdir())
    assert names == ['best.safetensors', 'step00000008.safetensors', 'step00000016.safetensors'], names

    # the 2-process run is the 1-process run: weights and every logged metric
    w1 = load_state(tmp_path / 'one' / 'final_rank0.safetensors')['model']
    assert max((w1[k] - r0[k]).abs().max().item() for k in w1) < 1e-4
    for e1, e2 in zip(one['epochs'], two['epochs']):
        assert abs(e1['train_loss'] - e2['train_loss']) < 1e-4, (e1, e2)
        assert abs(e1['val_loss'] - e2['val_loss']) < 1e-4, (e1, e2)
        assert e1['top1'] == e2['top1'] and e1['top5'] == e2['top5'], (e1, e2)


def test_ddp_metrics_cover_the_whole_val_set(fake_data, tmp_path):
    "The top-1 reported by 2 ranks equals a 1-process evaluation of the saved weights on the full val folder."
    two = train(fake_data, tmp_path / 'two', 2, 4)
    import timm
    from effvit.train import evaluate
    from engine_job import loaders
    model = timm.create_model('vit_tiny_patch16_224', img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2,
                              num_classes=4)
    load_checkpoint(model, tmp_path / 'two' / 'checkpoints' / 'step00000016.safetensors')
    m = evaluate(model, loaders(fake_data, 8)[1])
    assert abs(m['top1'] - two['epochs'][-1]['top1']) < 1e-9 and abs(m['val_loss'] - two['epochs'][-1]['val_loss']) < 1e-5
