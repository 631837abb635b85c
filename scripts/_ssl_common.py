"""Shared by eval_knn.py and eval_linear.py: build an EsViT backbone and load its weights from any SSL checkpoint."""
import sys
from pathlib import Path


def load_ssl_backbone(arch:str, checkpoint:str|None, key:str='teacher', **kwargs):
    """`arch` with the weights of `checkpoint`: an effvit pre-training checkpoint (`scripts/pretrain_esvit.py`, its
    `{key}.backbone.*` weights), an official EsViT `checkpoint*.pth` (its `key` network) or a bare backbone file.
    No checkpoint: random weights (the baseline every SSL number should beat)."""
    import timm
    from effvit.core import load_checkpoint, read_checkpoint
    from effvit.esvit.pretrain import load_official
    if arch not in timm.list_models(): raise ValueError(f'unknown model {arch!r}')
    backbone = timm.create_model(arch, **kwargs)
    if checkpoint is None: return backbone
    if not Path(checkpoint).is_file(): raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    if key not in ('teacher', 'student'): raise ValueError(f"--key is 'teacher' or 'student', not {key!r}")
    if checkpoint.endswith('.safetensors'):
        sd = read_checkpoint(checkpoint)
        sd = sd.get('model', sd)
        pre = f'{key}.backbone.'
        if any(k.startswith(pre) for k in sd):               # an effvit pre-training run: take the `key` network
            backbone.load_state_dict({k[len(pre):]: v for k, v in sd.items() if k.startswith(pre)})
        else: load_checkpoint(backbone, checkpoint)          # a bare backbone: core names any missing key
        return backbone
    load_official(backbone, checkpoint, key)
    return backbone


def fail(e) -> None:
    sys.exit(f'error: {e.args[0] if getattr(e, "args", None) else e}')
