import os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_env(**extra):
    """Environment for child processes: one thread each, this checkout first on the path, no network, and no GPU, so that
    the scripts' runs (`torchrun --nproc_per_node 2` with gloo, bit-exact resume) mean the same on a GPU machine;
    `test_cuda.py` tests the GPU."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONPATH=str(ROOT), HF_HUB_OFFLINE='1',
               PYTHONWARNINGS='ignore', CUDA_VISIBLE_DEVICES='')
    env.update(extra)
    return env


def run(cmd, timeout=600, check=True, **kw):
    "Run `cmd` (a list) from the repo root; on failure show its output."
    res = subprocess.run(cmd, cwd=ROOT, env=run_env(), capture_output=True, text=True, timeout=timeout, **kw)
    if check and res.returncode != 0:
        raise AssertionError(f'{" ".join(map(str, cmd))} exited with {res.returncode}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}')
    return res


@pytest.fixture(scope='session')
def fake_data(tmp_path_factory):
    "A tiny ImageNet-layout folder of real JPEGs: 4 classes, 16 train and 8 val images each."
    from effvit.data import fake_imagenet
    return fake_imagenet(tmp_path_factory.mktemp('data') / 'imagenet', classes=4, per_class=16, size=32)


def straight_and_resumed(cmd:list, tmp_path, steps:int) -> tuple[dict, dict]:
    """Run `cmd` (a training script and its flags, without --out) straight to the end, and again with a SIGTERM after
    its first checkpoint followed by `--resume auto`; return both final checkpoints (step `steps`)."""
    import signal, time
    from effvit.core import load_state
    from effvit.train import latest_checkpoint
    straight, out = tmp_path / 'straight', tmp_path / 'interrupted'
    run(cmd + ['--out', str(straight)])
    proc = subprocess.Popen(cmd + ['--out', str(out), '--save_every_steps', '1'], cwd=ROOT, env=run_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while latest_checkpoint(out) is None and time.time() - t0 < 300 and proc.poll() is None: time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)                      # the engine saves at the next step boundary and exits
    assert proc.wait(timeout=120) == 0
    assert 1 <= load_state(latest_checkpoint(out))['step'] < steps   # stopped mid-run
    run(cmd + ['--out', str(out), '--resume', 'auto'])
    name = f'step{steps:08d}.safetensors'
    return load_state(straight / 'checkpoints' / name), load_state(out / 'checkpoints' / name)
