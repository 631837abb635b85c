"""Weighted k-NN evaluation (DINO/EsViT protocol) of a self-supervised backbone on an ImageNet-layout folder.

    python scripts/eval_knn.py --arch esvit_swin_tiny_w7 --checkpoint runs/esvit_t/checkpoints/best.safetensors --data /data/imagenet
    python scripts/eval_knn.py --arch esvit_swin_tiny_w7 --checkpoint checkpoint_best.pth --data /data/imagenet   # official

Features are the L2-normalised pooled outputs of the (teacher's, `--key`) frozen backbone on centre crops (resize
256 bicubic, crop 224); each val image votes over its k most similar train images with weights exp(sim / T), T 0.07,
for every k of `--ks`. Runs in one process on the best device (the whole train feature bank is compared on it); the
train split can be subsampled per class with `--train_per_class` for quick checks."""
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
    ks:str='10,20,100,200', # neighbour counts
    temperature:float=0.07,
    img_size:int=224,
    crop_pct:float=0.875, # resize to img_size / crop_pct (256 at 224) before the centre crop
    train_per_class:int=None, # use at most this many train images per class
    batch_size:int=256,
    workers:int=8,
    out:str=None, # write the results as JSON here
):
    "k-NN top-1/top-5 of a frozen backbone's features."
    if data is None: sys.exit('error: missing required flag(s): --data')
    import os, torch
    from timm.data import create_transform
    from effvit.core import CheckpointError, default_device
    from effvit.data import ImageFolder, check_image_folder
    from effvit.esvit.eval import extract_features, knn_classifier
    if int(os.environ.get('WORLD_SIZE', 1)) > 1: sys.exit('error: eval_knn.py runs in one process: start it with python, not torchrun')
    try:
        k_list = [int(k) for k in ks.split(',')]
        check_image_folder(data, ('train', 'val'))
        backbone = load_ssl_backbone(arch, checkpoint, key, img_size=img_size)
        tf = create_transform(img_size, is_training=False, crop_pct=crop_pct, interpolation='bicubic')
        train, val = ImageFolder(data, 'train', tf, check_splits=('train', 'val')), ImageFolder(data, 'val', tf)
    except (ValueError, KeyError, FileNotFoundError, CheckpointError) as e: fail(e)
    if train_per_class:
        seen, keep = {}, []
        for i, (_, y) in enumerate(train.reader.samples):
            if seen.setdefault(y, 0) < train_per_class: keep.append(i); seen[y] += 1
        train = torch.utils.data.Subset(train, keep)
    device = default_device()
    loader = lambda ds: torch.utils.data.DataLoader(ds, batch_size, num_workers=workers, pin_memory=device.type == 'cuda')
    ftr, ytr = extract_features(backbone.to(device), loader(train), device=device)
    fva, yva = extract_features(backbone, loader(val), device=device)
    n_cls = len(val.classes)
    res = {k: knn_classifier(ftr, ytr, fva, yva, k, temperature, n_cls) for k in k_list}
    for k, (t1, t5) in res.items(): print(f'{arch} k-NN k={k}: top-1 {t1:.2f}  top-5 {t5:.2f}')
    print(f'({len(ftr)} train / {len(fva)} val images, {ftr.shape[1]}-d features, T {temperature})')
    if out: Path(out).write_text(json.dumps(dict(arch=arch, checkpoint=checkpoint, key=key, knn={str(k): dict(top1=a, top5=b) for k, (a, b) in res.items()},
                                                 n_train=len(ftr), n_val=len(fva)), indent=1))
