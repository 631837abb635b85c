"""Train or fine-tune an effvit (or any timm) model on an ImageNet-layout folder with a paper's recipe.

    torchrun --nproc_per_node 8 scripts/train.py --model pit_s --recipe pit --data /data/imagenet --out runs/pit_s
    python scripts/train.py --model vit_shapes --recipe deit --data /tmp/fake --epochs 2 --per_gpu_batch 16

Every recipe value can be overridden by its flag (`--lr`, `--epochs`, `--drop_path`, ...); `--help` lists each
recipe's default. The effective batch of the recipe is kept with gradient accumulation on fewer GPUs. Logs go to
<out>/log.csv (and TensorBoard when installed), checkpoints to <out>/checkpoints (every epoch, best, with EMA);
`--resume auto` continues from the latest complete checkpoint. Multi-node: torchrun's rendezvous flags
(--nnodes, --rdzv-endpoint, ...), see scripts/README.md and scripts/slurm.sbatch."""
import inspect, json, sys
from dataclasses import fields
from pathlib import Path

from fastcore.script import Param, call_parse

import effvit  # registers every model and recipe
from effvit.core import CheckpointError
from effvit.recipes import RECIPES, Recipe, CSVLogger, TensorBoardLogger, get_recipe, prepare_run

_SKIP = {'name', 'description', 'models', 'extra', 'per_model', 'setup'}
_TYPES = {'int': int, 'float': float, 'str': str}
_OPTIONAL = {}
def _as_bool(s:str) -> bool: return str(s).lower() in ('1', 'true', 'yes')
  # numeric recipe fields that may be None: their flags take 'none' too


def _recipe_flags():
    "One keyword-only flag per recipe setting (dataclass fields and every recipe's `extra`), default None = the recipe's."
    names = [f for f in fields(Recipe) if f.name not in _SKIP]
    extras = {k: v for r in RECIPES.values() for k, v in r.extra.items()}
    def defaults(k): return ', '.join(f'{n}={r.settings().get(k)}' for n, r in RECIPES.items() if k in r.settings())
    for f in names:
        t = f.type if isinstance(f.type, str) else getattr(f.type, '__name__', 'str')
        base = t.split('|')[0].strip()
        typ = _as_bool if base == 'bool' else _TYPES.get(base, str)
        if 'None' in t and base in ('int', 'float'): typ, _OPTIONAL[f.name] = str, _TYPES[base]   # 'none' allowed
        yield inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=Param(f'[{defaults(f.name)}]', typ))
    for k, v in extras.items():
        typ = (_as_bool if isinstance(v, bool) else type(v) if isinstance(v, (int, float)) else str)
        yield inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=None,
                                annotation=Param(f'method setting [{defaults(k)}]', typ))


def _convert(overrides:dict) -> dict:
    "CLI strings -> recipe values where argparse types cannot say it (amp modes, 'none', 0 = absolute lr)."
    out = {k: v for k, v in overrides.items() if v is not None}
    if 'amp' in out: out['amp'] = {'false': False, '0': False, 'no': False, 'fp16': 'fp16'}.get(str(out['amp']).lower(), True)
    for k in ('aa', 'clip_grad', 'ema_decay'):
        if str(out.get(k, '')).lower() in ('none', '0', '0.0'): out[k] = None
    for k, typ in _OPTIONAL.items():
        if k not in out or out[k] is None: continue
        if str(out[k]).lower() == 'none': out[k] = None; continue
        try: out[k] = typ(out[k])
        except ValueError: raise ValueError(f"--{k} takes a number or 'none', not {out[k]!r}") from None
    if out.get('lr_base_batch') == 0: out['lr_base_batch'] = None
    return out


def main(**kw):
    own = ('model', 'data', 'recipe', 'out', 'per_gpu_batch', 'workers', 'resume', 'finetune', 'seed', 'save_every_steps')
    model, data, recipe, out, per_gpu_batch, workers, resume, finetune, seed, save_every = (kw.pop(k) for k in own)
    overrides = kw
    missing = [n for n, v in dict(model=model, data=data, recipe=recipe, out=out).items() if v is None]
    if missing: sys.exit(f'error: missing required flag(s): {", ".join("--" + m for m in missing)}')
    try:
        r = get_recipe(recipe).for_model(model)
        r = r.override(**_convert(overrides))
        from effvit.train import fit, setup_distributed, is_main_process
        setup_distributed()
        run = prepare_run(r, model, data, per_gpu_batch, workers, seed, args=dict(finetune=finetune))
        if finetune and r.setup is None:
            from effvit.core import load_checkpoint
            res = load_checkpoint(run.model, finetune, strict=False)
            print(f'fine-tuning from {finetune}: missing {res.missing_keys}, unexpected {res.unexpected_keys}')
    except (KeyError, ValueError, FileNotFoundError, OSError, CheckpointError) as e:
        sys.exit(f'error: {e.args[0] if e.args else e}')
    out = Path(out)
    if is_main_process():
        out.mkdir(parents=True, exist_ok=True)
        (out / 'config.json').write_text(json.dumps(dict(model=model, data=str(data), recipe=r.settings(),
                                                         per_gpu_batch=per_gpu_batch, seed=seed), indent=1, default=str))
    fit(run.model, run.train_dl, run.valid_dl, out_dir=out, resume=resume, save_every_steps=save_every,
        callbacks=[CSVLogger(out / 'log.csv'), TensorBoardLogger(out / 'tb')] + list(run.fit_kwargs.pop('callbacks', [])),
        **run.fit_kwargs)


def _opt(name, help, typ=str, default=None):
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Param(help, typ))

def _recipes_help():
    return '; '.join(f"{n}: {r.description}" + (f" (per model: {r.per_model})" if r.per_model else '') for n, r in RECIPES.items())

_params = [_opt('model', 'model name in the timm registry (required)'),
           _opt('data', 'ImageNet-layout root holding train/<class>/* and val/<class>/* (required)'),
           _opt('recipe', f'(required) {_recipes_help()}'),
           _opt('out', 'output folder: config.json, log.csv, tb/, checkpoints/ (required)'),
           _opt('per_gpu_batch', 'batch per process (the recipe batch is kept by accumulation)', int, 128),
           _opt('workers', 'data loader workers per process', int, 8),
           _opt('resume', "checkpoint to resume from, or 'auto' for the latest one in --out"),
           _opt('finetune', 'initialise the model from this checkpoint (official or effvit)'),
           _opt('seed', 'random seed', int, 0),
           _opt('save_every_steps', 'also checkpoint every this many optimizer steps inside epochs', int)]
main.__signature__ = inspect.Signature(_params + list(_recipe_flags()))
main.__doc__ = __doc__.split('\n')[0]
main = call_parse(main)
