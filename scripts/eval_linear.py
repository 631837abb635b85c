"""Linear-probe evaluation (EsViT protocol) of a self-supervised backbone on an ImageNet-layout folder.

    python scripts/eval_linear.py --arch esvit_swin_tiny_w7 --checkpoint runs/esvit_t/checkpoints/best.safetensors --data /data/imagenet

A linear classifier is trained on the frozen backbone's features — for Swin, the average-pooled outputs of the last
4 blocks concatenated (`--n_last_blocks`) — with SGD (momentum 0.9, no weight decay), lr 0.001 · batch / 256 and a
cosine schedule over 100 epochs; train images are augmented (random resized crop 224 + flip) as in the official code,
val images centre-cropped. `--cache_features` extracts the features once without augmentation instead (much faster;
fine for small datasets, memory-hungry on ImageNet). Runs in one process on the best device."""
import json, sys
from pathlib import Path

from fastcore.script import call_parse

import effvit  # registers every model
from _ssl_common import fail, load_ssl_backbone


@call_parse
def main(
    arch:str='esvit_swin_tiny_w7', # backbone name in the timm registry
    checkpoint:str=None, # effvit pretrain_esvit checkpoint, official EsViT .pth, or bare backbone; none: random weights
    data:str=None, # ImageNet-layout root holding train/<class>/* and val/<class>/* (required)
    key:str='teacher', # which network of an SSL checkpoint: teacher (the paper's) or student
    n_last_blocks:int=4, # blocks whose pooled outputs are concatenated
    epochs:int=100,
    lr:float=None, # default 0.001 · batch / 256
    batch_size:int=256,
    img_size:int=224,
    crop_pct:float=0.875,
    cache_features:bool=False, # extract un-augmented features once instead of every epoch
    workers:int=8,
    seed:int=0,
    out:str=None, # write the results (and per-epoch history) as JSON here
):
    "Linear-probe top-1 of a frozen backbone."
    if data is None: sys.exit('error: missing required flag(s): --data')
    import os, torch
    from timm.data import create_transform
    from effvit.core import CheckpointError, default_device, seed_everything
    from effvit.data import ImageFolder, check_image_folder
    from effvit.esvit.eval import linear_eval
    if int(os.environ.get('WORLD_SIZE', 1)) > 1: sys.exit('error: eval_linear.py runs in one process: start it with python, not torchrun')
    seed_everything(seed)
    try:
        check_image_folder(data, ('train', 'val'))
        backbone = load_ssl_backbone(arch, checkpoint, key, img_size=img_size)
        train_tf = (create_transform(img_size, is_training=False, crop_pct=crop_pct, interpolation='bicubic') if cache_features
                    else create_transform(img_size, is_training=True, hflip=0.5, color_jitter=None, auto_augment=None,
                                          re_prob=0., interpolation='bicubic'))
        val_tf = create_transform(img_size, is_training=False, crop_pct=crop_pct, interpolation='bicubic')
        train, val = ImageFolder(data, 'train', train_tf, check_splits=('train', 'val')), ImageFolder(data, 'val', val_tf)
    except (ValueError, KeyError, FileNotFoundError, CheckpointError) as e: fail(e)
    device = default_device()
    opts = dict(num_workers=workers, pin_memory=device.type == 'cuda')
    train_dl = torch.utils.data.DataLoader(train, batch_size, shuffle=True, **opts)
    val_dl = torch.utils.data.DataLoader(val, batch_size, **opts)
    try: res = linear_eval(backbone.to(device), train_dl, val_dl, len(val.classes), n_last_blocks, epochs, lr, cache_features, device)
    except ValueError as e: fail(e)
    print(f"{arch} linear probe ({res['dim']}-d, last {n_last_blocks} blocks): best top-1 {res['top1']:.2f}  last {res['last_top1']:.2f}")
    if out: Path(out).write_text(json.dumps(dict(arch=arch, checkpoint=checkpoint, key=key, top1=res['top1'], last_top1=res['last_top1'],
                                                 dim=res['dim'], history=res['history']), indent=1))
