"""Top-1/top-5 of a checkpoint on an ImageNet-layout val folder, with the paper's evaluation transform.

    python scripts/eval.py --model pit_s --checkpoint pit_s_809.pth --data /data/imagenet
    torchrun --nproc_per_node 8 scripts/eval.py --model dynamicvit_deit_small --checkpoint runs/x/checkpoints/best.safetensors --data /data/imagenet

The checkpoint may be effvit's own (safetensors; `--key model_ema` for the EMA weights) or an official one, read
through the model family's `checkpoint_filter_fn` without unpickling code. Evaluation resizes to
img_size / crop_pct (bicubic) and centre-crops img_size (DeiT: 0.875, DeiT III: 1.0)."""
import json, sys
from pathlib import Path

from fastcore.script import call_parse

import effvit  # registers every model


@call_parse
def main(
    model:str=None, # model name in the timm registry (required)
    checkpoint:str=None, # weights to evaluate (required): effvit safetensors or an official .pth
    data:str=None, # ImageNet-layout root holding val/<class>/* (required)
    key:str=None, # container entry to load ('model', 'model_ema', 'teacher', ...); default: found automatically
    img_size:int=224,
    crop_pct:float=0.875, # resize to img_size / crop_pct before the centre crop
    interpolation:str='bicubic',
    batch_size:int=128,
    workers:int=8,
    amp:bool=False, # bf16 autocast
    out:str=None, # write the metrics as JSON here
):
    "Evaluate a checkpoint: top-1, top-5 and loss on the validation split."
    missing = [n for n, v in dict(model=model, checkpoint=checkpoint, data=data).items() if v is None]
    if missing: sys.exit(f'error: missing required flag(s): {", ".join("--" + m for m in missing)}')
    import timm, torch
    from timm.data import create_transform
    from effvit.core import CheckpointError, load_checkpoint
    from effvit.data import EpochSampler, ImageFolder, check_image_folder
    from effvit.train import evaluate, is_main_process, setup_distributed
    try:
        check_image_folder(data, ('val',))
        if model not in timm.list_models(): raise ValueError(f'unknown model {model!r}')
        if not Path(checkpoint).is_file(): raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
        device = setup_distributed()
        tf = create_transform(img_size, is_training=False, crop_pct=crop_pct, interpolation=interpolation)
        ds = ImageFolder(data, 'val', tf)
        net = timm.create_model(model, num_classes=len(ds.classes), img_size=img_size)
        load_checkpoint(net, checkpoint, key=key)
    except (ValueError, KeyError, FileNotFoundError, CheckpointError) as e:
        sys.exit(f'error: {e.args[0] if e.args else e}')
    dl = torch.utils.data.DataLoader(ds, batch_size, sampler=EpochSampler(len(ds), False), num_workers=workers)
    m = evaluate(net.to(device), dl, device, amp)
    if is_main_process():
        print(f"{model}: top-1 {m['top1']:.3f}  top-5 {m['top5']:.3f}  loss {m['val_loss']:.4f}  ({len(ds)} images)")
        if out: Path(out).write_text(json.dumps(dict(model=model, checkpoint=checkpoint, **m), indent=1))
