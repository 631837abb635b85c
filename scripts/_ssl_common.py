"""Shared by eval_knn.py and eval_linear.py: build an EsViT backbone and load its weights from any SSL checkpoint."""
import sys
from pathlib import Path


def load_ssl_backbone(arch:str, checkpoint:str|None, key:str='teacher', **kwargs):
    """`arch` with the weights of `checkpoint`: an effvit pre-training checkpoint (`scripts/pretrain_esvit.py`, its
    `{key}.backbone.*` weights), an official EsViT `checkpoint*.pth` (its `key` network) or a bare backbone file.
    No checkpoint: random weights (the baseline every SSL number should beat)."""
    import timm
    from effvit.core import CheckpointError, read_checkpoint, unwrap_state_dict
    from effvit.esvit.pretrain import load_official
    if arch not in timm.list_models(): raise ValueError(f'unknown model {arch!r}')
    backbone = timm.create_model(arch, **kwargs)
    if checkpoint is None: return backbone
    if not Path(checkpoint).is_file(): raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    if key not in ('teacher', 'student'): raise ValueError(f"--key is 'teacher' or 'student', not {key!r}")
    if checkpoint.endswith('.safetensors'):
        state = read_checkpoint(checkpoint)
        sd = state.get('model', state) if isinstance(state, dict) else state
        pre = f'{key}.backbone.'
        if not any(k.startswith(pre) for k in sd):
            sd = unwrap_state_dict(state)
            missing, unexpected = backbone.load_state_dict(sd, strict=False)
            if missing: raise CheckpointError(f'{checkpoint} is not an EsViT checkpoint ({pre}* absent) and lacks '
                                              f'backbone keys {missing[:5]}{"..." if len(missing) > 5 else ""}')
            return backbone
        backbone.load_state_dict({k[len(pre):]: v for k, v in sd.items() if k.startswith(pre)})
        return backbone
    load_official(backbone, checkpoint, key)
    return backbone


def fail(e) -> None:
    sys.exit(f'error: {e.args[0] if getattr(e, "args", None) else e}')
