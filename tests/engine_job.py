"""A small training job over an ImageNet-layout folder, run by the engine tests as a real process
(alone, under `torchrun`, or killed and resumed). Without `--drop-path` it is deterministic (no random augmentation,
no dropout), so that a 2-process run sees exactly the global batches of a 1-process run with twice the batch size;
the resume test turns dropout and drop-path on so that restoring the random state matters."""
import argparse, json, os, time
from pathlib import Path

import timm
import torch

from effvit.core import save_state, seed_everything
from effvit.data import EpochSampler, ImageFolder
from effvit.train import Callback, Trainer, dist_info, setup_distributed


def loaders(root, batch_size):
    from torchvision.transforms import v2
    tf = v2.Compose([v2.PILToTensor(), v2.Resize(32), v2.ToDtype(torch.float32, scale=True),
                     v2.Normalize([0.5] * 3, [0.25] * 3)])
    tr, va = ImageFolder(root, 'train', tf, check_splits=('train', 'val')), ImageFolder(root, 'val', tf)
    mk = lambda ds, shuffle, drop: torch.utils.data.DataLoader(
        ds, batch_size, sampler=EpochSampler(len(ds), shuffle, seed=0, drop_last=drop), drop_last=drop)
    return mk(tr, True, True), mk(va, False, False)


class Slow(Callback):
    "Sleep after each step so that a test can interrupt the run in the middle of an epoch."
    def __init__(self, seconds): self.seconds = seconds
    def after_step(self, trainer): time.sleep(self.seconds)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--data', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=8, help='per process')
    p.add_argument('--save-every-steps', type=int, default=None)
    p.add_argument('--step-delay', type=float, default=0.0)
    p.add_argument('--resume', default=None)
    p.add_argument('--drop-path', type=float, default=0.0, help='stochastic depth (and dropout): makes runs use the RNG')
    a = p.parse_args()
    device = setup_distributed('cpu')
    rank, world = dist_info()
    seed_everything(0)
    model = timm.create_model('vit_tiny_patch16_224', img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2,
                              num_classes=4, drop_path_rate=a.drop_path, drop_rate=a.drop_path)
    tdl, vdl = loaders(a.data, a.batch_size)
    tr = Trainer(model, tdl, vdl, epochs=a.epochs, lr=3e-3, warmup_epochs=0.5, out_dir=a.out, device=device,
                 save_every_steps=a.save_every_steps, progress=False, log_every=1,
                 callbacks=[Slow(a.step_delay)] if a.step_delay else [])
    tr.fit(resume=a.resume)
    out = Path(a.out)
    # every rank writes its own final weights: the test checks that DDP kept them identical
    save_state(out / f'final_rank{rank}.safetensors', dict(model=tr.model.state_dict()))
    if rank == 0:
        (out / 'metrics.json').write_text(json.dumps(dict(world_size=world, step=tr.step, epochs=tr.history['epochs'],
                                                          stopped_early=tr.stopped_early)))


if __name__ == '__main__':
    main()
