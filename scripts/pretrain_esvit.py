"""EsViT self-supervised pre-training (DINO view-level + region-level losses) of a Swin backbone on an image folder.

    torchrun --nproc_per_node 8 scripts/pretrain_esvit.py --arch esvit_swin_tiny_w7 --data /data/imagenet --out runs/esvit_t
    python scripts/pretrain_esvit.py --arch esvit_swin_shapes_nano --data /tmp/fake --out /tmp/ssl --epochs 2 \\
        --per_gpu_batch 8 --global_size 32 --local_size 16 --out_dim 256

The defaults are the official Swin-T run (Li et al. 2022; the EsViT digest, §5): 300 epochs, batch 32 per GPU on 16
GPUs (lr 5e-4 · batch / 256, 10 warm-up epochs, cosine to 1e-6), AdamW with weight decay 0.04 → 0.4 (cosine), teacher
momentum 0.996 → 1, teacher temperature 0.04 → 0.07 over 30 epochs, per-tensor gradient clipping at 3.0, last layers
frozen during the first epoch, 2 global crops of 224 + 8 local crops of 96, 65536 prototypes, view + region losses
0.5/0.5. The global batch is per-GPU batch × processes (the official code has no accumulation, nor does this script:
the per-iteration schedules count real iterations). Only `train/` of the folder is read (labels are ignored).
Checkpoints (student, teacher, both centers, optimizer, schedules' position) go to <out>/checkpoints;
`--resume auto` continues from the latest one. `scripts/eval_knn.py` and `scripts/eval_linear.py` read them."""
import json, sys
from pathlib import Path

from fastcore.script import call_parse

import effvit  # registers every model


def _pair(s:str, flag:str) -> tuple[float, float]:
    "'0.4,1.0' -> (0.4, 1.0), or a one-line error naming the flag."
    try: lo, hi = (float(v) for v in s.split(','))
    except ValueError: raise ValueError(f'--{flag} takes two comma-separated numbers, got {s!r}') from None
    return lo, hi


@call_parse
def main(
    arch:str='esvit_swin_tiny_w7', # backbone name in the timm registry (an effvit EsViT Swin)
    data:str=None, # image folder holding train/<class>/* (required)
    out:str=None, # output folder: config.json, log.csv, checkpoints/ (required)
    epochs:int=300,
    per_gpu_batch:int=32,
    lr:float=5e-4, # learning rate at batch 256 (scaled by the global batch / 256)
    min_lr:float=1e-6,
    warmup_epochs:float=10,
    weight_decay:float=0.04, # start of the cosine weight-decay schedule
    weight_decay_end:float=0.4,
    momentum_teacher:float=0.996, # start of the cosine EMA-momentum schedule (ends at 1)
    teacher_temp:float=0.07, # teacher temperature after warm-up
    warmup_teacher_temp:float=0.04,
    warmup_teacher_temp_epochs:float=30,
    out_dim:int=65536, # prototypes of each DINO head
    norm_last_layer:bool=False, # weight-normalised prototypes with frozen gain (the official Swin runs: False)
    no_region:bool=False, # view-level loss only (EsViT "V"); default: view + region ("V+R")
    drop_path:float=None, # student drop-path rate (default: the backbone's: 0.1 tiny, 0.2 small/base)
    clip_grad:float=3.0, # per-parameter-tensor gradient norm clip (0: off)
    freeze_last_layer:float=1, # epochs during which the heads' last layers are not updated
    global_size:int=224,
    local_size:int=96,
    n_local:int=8, # local crops per image
    global_scale:str='0.4,1.0', # area fraction range of the global crops
    local_scale:str='0.05,0.4',
    amp:bool=False, # bf16 autocast
    workers:int=8, # data loader workers per process
    seed:int=0,
    resume:str=None, # checkpoint to resume from, or 'auto'
    save_every_steps:int=None, # also checkpoint every this many steps inside epochs
    skip_corrupt:bool=False, # skip (and count) unreadable images instead of failing
):
    "Pre-train an EsViT Swin with the view- and region-level DINO losses."
    cfg = dict(locals())
    missing = [n for n, v in dict(data=data, out=out).items() if v is None]
    if missing: sys.exit(f'error: missing required flag(s): {", ".join("--" + m for m in missing)}')
    import timm, torch
    from effvit.core import seed_everything
    from effvit.data import EpochSampler, ImageFolder, check_image_folder, dist_info
    from effvit.train import fit, is_main_process, setup_distributed
    from effvit.recipes import CSVLogger
    from effvit.esvit.pretrain import EsViT, EsViTSchedule, MultiCropDataset, MultiCropTransform, lr_for_batch
    try:
        gscale, lscale = _pair(global_scale, 'global_scale'), _pair(local_scale, 'local_scale')
        if arch not in timm.list_models(): raise ValueError(f'unknown model {arch!r} (effvit EsViT backbones: {effvit.core.effvit_models("esvit_*")})')
        check_image_folder(data, ('train',))
        setup_distributed()
        rank, world = dist_info()
        seed_everything(seed + rank)
        probe = timm.create_model(arch, pretrained=False)
        patch = probe.patch_embed.patch_size[0] if hasattr(probe, 'patch_embed') else None
        tf = MultiCropTransform(global_size, local_size, n_local, gscale, lscale, patch_size=patch)
        ds = MultiCropDataset(ImageFolder(data, 'train', None, skip_corrupt), tf)
        model = EsViT(arch, out_dim=out_dim, region=not no_region, drop_path_rate=drop_path,
                      head_kwargs=dict(norm_last_layer=norm_last_layer),
                      loss_kwargs=dict(teacher_temp=warmup_teacher_temp))
    except (ValueError, KeyError, FileNotFoundError, OSError) as e:
        sys.exit(f'error: {e.args[0] if e.args else e}')
    dl = torch.utils.data.DataLoader(ds, per_gpu_batch, sampler=EpochSampler(len(ds), True, seed, drop_last=True),
                                     drop_last=True, num_workers=workers, pin_memory=torch.cuda.is_available(),
                                     persistent_workers=workers > 0)
    if len(dl) == 0: sys.exit(f'error: {len(ds)} images per process give no full batch of {per_gpu_batch}')
    batch = per_gpu_batch * world
    sched = EsViTSchedule(epochs, len(dl), weight_decay=(weight_decay, weight_decay_end), momentum=(momentum_teacher, 1.0),
                          teacher_temp=(warmup_teacher_temp, teacher_temp),
                          teacher_temp_warmup_epochs=warmup_teacher_temp_epochs,
                          clip_grad=clip_grad or None, freeze_last_layer=freeze_last_layer)
    out = Path(out)
    if is_main_process():
        out.mkdir(parents=True, exist_ok=True)
        (out / 'config.json').write_text(json.dumps(dict(cfg, global_batch=batch, world_size=world), indent=1, default=str))
        print(f'EsViT {"V" if no_region else "V+R"} on {arch}: {len(ds)} images, {world} process(es) × {per_gpu_batch} '
              f'= batch {batch}, lr {lr_for_batch(batch, lr):.3g}, {len(dl)} iterations per epoch', flush=True)
    fit(model, dl, None, criterion=model.criterion, epochs=epochs, lr=lr_for_batch(batch, lr), min_lr=min_lr,
        warmup_epochs=warmup_epochs, weight_decay=weight_decay, param_groups=EsViT.param_groups, clip_grad=None,
        amp=amp, callbacks=[sched, CSVLogger(out / 'log.csv')], out_dir=out, resume=resume,
        save_every_steps=save_every_steps)
