"""Checkpoint loading never runs code: a pickle with a payload is refused before anything executes."""
import os

import pytest
import timm
import torch

from effvit.core import CheckpointError, load_checkpoint, read_checkpoint
from effvit.train import Trainer


class Payload:
    "Unpickling this would run `touch <marker>`."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))


def tiny(): return timm.create_model('vit_tiny_patch16_224', img_size=32, patch_size=8, depth=1, num_classes=3)


@pytest.mark.parametrize('where', ['top', 'inside_state_dict'])
def test_malicious_pickle_is_refused(tmp_path, where):
    marker = tmp_path / 'pwned'
    sd = tiny().state_dict()
    obj = {'model': sd, 'extra': Payload(marker)} if where == 'top' else {'model': {**sd, 'x': Payload(marker)}}
    torch.save(obj, tmp_path / 'evil.pth')
    with pytest.raises(CheckpointError, match='never unpickles code'):
        load_checkpoint(tiny(), tmp_path / 'evil.pth')
    with pytest.raises(CheckpointError, match='posix.system|os.system'):
        read_checkpoint(tmp_path / 'evil.pth')
    assert not marker.exists()


def test_engine_resume_refuses_foreign_files(tmp_path):
    "`fit(resume=...)` only reads effvit's own safetensors checkpoints, never a pickle."
    marker = tmp_path / 'pwned'
    torch.save({'model': Payload(marker)}, tmp_path / 'evil.safetensors')
    from effvit.data import shapes_loaders
    tr = Trainer(tiny(), shapes_loaders(64, 16, batch_size=32)[0], epochs=1, progress=False)
    with pytest.raises(Exception):
        tr.fit(resume=tmp_path / 'evil.safetensors')
    assert not marker.exists() and tr.step == 0


def test_a_plain_weights_file_still_loads(tmp_path):
    src = tiny()
    torch.save({'state_dict': src.state_dict()}, tmp_path / 'ok.pth')
    dst = tiny()
    load_checkpoint(dst, tmp_path / 'ok.pth')
    assert all(torch.equal(dst.state_dict()[k], v) for k, v in src.state_dict().items())
