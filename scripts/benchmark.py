"""Params, GFLOPs and throughput of a list of models, printed as a table and saved as CSV and JSON.

    python scripts/benchmark.py --models deit_small_patch16_224,pit_s,dynamicvit_deit_small --batch_size 64
    python scripts/benchmark.py --models vit_small_patch16_224,octic_hybrid_deit3_small_patch16 --device cuda --amp --compile --channels_last

All models are timed together (`effvit.core.time_together`: one compilation each, then rounds that call every model
once in a rotating order), so the `vs first` column is a ratio that survives a noisy machine. GFLOPs come from fvcore
with effvit's handles (fvcore's convention: one multiply-add is one FLOP); `--flops false` skips them and builds the
models on the device, which is much quicker for ViT-L/H on a GPU machine."""
import csv, json, sys
from pathlib import Path

from fastcore.script import bool_arg, call_parse

import effvit  # registers every model


@call_parse
def main(
    models:str=None, # comma-separated model names (required); the first is the reference for the speed ratios
    img_size:int=224,
    batch_size:int=64,
    device:str=None, # 'cpu', 'cuda' (default: cuda when available)
    amp:bool=False, # bf16 autocast
    compile:bool=False, # torch.compile each model (once)
    channels_last:bool=False,
    train:bool=False, # time forward + backward instead of inference
    iters:int=20, # timed rounds (medians are reported)
    warmup:int=5,
    flops:bool_arg=True, # count GFLOPs with fvcore on the CPU ('false': skip them, build the models on the device)
    num_classes:int=1000,
    out:str='benchmark', # writes <out>.csv and <out>.json
):
    "Measure params, GFLOPs and img/s of each model, all timed together (interleaved rounds), each against the first."
    if not models: sys.exit('error: missing required flag --models')
    import timm, torch
    from effvit.core import count_flops, count_params, default_device, speedups, time_together
    names = [m.strip() for m in models.split(',') if m.strip()]
    unknown = [m for m in names if m not in timm.list_models()]
    if unknown: sys.exit(f'error: unknown model(s) {unknown}')
    device = device or str(default_device())
    torch.manual_seed(0)
    with torch.device('cpu' if flops else device):        # building ViT-H on the CPU takes a while: on the GPU when we can
        nets = {n: timm.create_model(n, num_classes=num_classes, img_size=img_size).eval() for n in names}
    gflops = {n: count_flops(net, (1, 3, img_size, img_size)) if flops else None for n, net in nets.items()}
    t = time_together(nets, batch_size=batch_size, img_size=img_size, device=device, amp=amp, compile=compile,
                      channels_last=channels_last, train=train, iters=iters, warmup=warmup)
    ratio, rows = speedups(t), []
    for n, net in nets.items():
        fl = gflops[n]
        rows.append(dict(model=n, params_m=count_params(net) / 1e6, gflops=fl.gflops if fl else None, ms=t[n].ms,
                         img_per_s=t[n].img_per_s, vs_first=ratio[n], missed_ops=' '.join(sorted(fl.missed)) if fl else ''))
        g = f"{rows[-1]['gflops']:8.3f} G" if fl else '       — G'
        print(f"{n:45s} {rows[-1]['params_m']:9.2f} M {g} {rows[-1]['img_per_s']:10.1f} img/s {rows[-1]['vs_first']:6.2f}x", flush=True)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix('.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, list(rows[0])); w.writeheader(); w.writerows(rows)
    meta = dict(device=device, img_size=img_size, batch_size=batch_size, amp=amp, compile=compile,
                channels_last=channels_last, train=train, torch=torch.__version__, threads=torch.get_num_threads(),
                device_name=torch.cuda.get_device_name() if str(device).startswith('cuda') else 'cpu')
    out.with_suffix('.json').write_text(json.dumps(dict(setup=meta, results=rows), indent=1))
    print(f'saved {out.with_suffix(".csv")} and {out.with_suffix(".json")}')
