"""`make demo`: train the baseline and one small model of each effvit family on Shapes (CPU, minutes), print one
table (params, GFLOPs, img/s measured side by side with the baseline, validation accuracy) and save it with a plot."""
from fastcore.script import call_parse


@call_parse
def main(
    out:str='demo_out', # folder for demo.md, demo.json and demo.png
    quick:bool=False, # the ~1-minute-per-model variants (what the tests run)
    only:str=None, # comma-separated demo names (default: all)
    threads:int=None, # torch CPU threads (default: all cores)
    publish:bool=False, # also copy the table and plot to nbs/images/ (the front page shows them)
):
    "Train a small model of each effvit family on the embedded Shapes dataset and print the comparison table."
    import torch
    if threads: torch.set_num_threads(threads)
    import effvit  # registers every model and every chapter's demo
    from effvit.train import DEMOS, run_demos
    names = [n.strip() for n in only.split(',')] if only else None
    unknown = set(names or []) - set(DEMOS)
    if unknown: raise SystemExit(f'unknown demo(s) {sorted(unknown)}; available: {sorted(DEMOS)}')
    run_demos(names, quick=quick, out_dir=out)
    if publish:
        import shutil
        from pathlib import Path
        dest = Path(__file__).resolve().parents[1] / 'nbs' / 'images'
        dest.mkdir(exist_ok=True)
        for f in ('demo.md', 'demo.png', 'demo.json'): shutil.copy(Path(out) / f, dest / f)
        print(f'published to {dest}')
