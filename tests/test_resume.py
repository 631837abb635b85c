"""Kill a training process in the middle of an epoch (SIGKILL: a crash; SIGTERM: a preemption), resume it, and
check that it ends with exactly the weights of an uninterrupted run, and that no checkpoint is ever truncated."""
import json, signal, subprocess, time

import pytest
import torch

from conftest import BIN, ROOT, run, run_env
from effvit.core import load_state
from effvit.train import latest_checkpoint

JOB = [str(BIN / 'python'), str(ROOT / 'tests' / 'engine_job.py'), '--epochs', '3', '--batch-size', '8',
       '--save-every-steps', '2', '--drop-path', '0.2']


def job(data, out, *extra): return JOB + ['--data', str(data), '--out', str(out), *extra]


def final_weights(out): return load_state(out / 'final_rank0.safetensors')['model']


def wait_for_step(out, step, proc, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        ck = latest_checkpoint(out)
        if ck is not None and int(ck.stem[4:]) >= step: return
        if proc.poll() is not None: raise AssertionError(f'the job ended before step {step}: {proc.stderr.read()}')
        time.sleep(0.05)
    raise AssertionError(f'no checkpoint at step {step} after {timeout}s')


@pytest.fixture(scope='module')
def straight(fake_data, tmp_path_factory):
    out = tmp_path_factory.mktemp('straight')
    run(job(fake_data, out))
    return final_weights(out)


@pytest.mark.parametrize('sig', [signal.SIGKILL, signal.SIGTERM], ids=['SIGKILL', 'SIGTERM'])
def test_kill_and_resume(fake_data, tmp_path, straight, sig):
    out = tmp_path / 'run'
    proc = subprocess.Popen(job(fake_data, out, '--step-delay', '0.15'), cwd=ROOT, env=run_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_step(out, 10, proc)                                 # epoch 2 of 3 (8 steps per epoch)
    proc.send_signal(sig)
    rc = proc.wait(timeout=60)
    stopped = json.loads((out / 'metrics.json').read_text()) if (out / 'metrics.json').exists() else None
    if sig == signal.SIGKILL: assert rc == -signal.SIGKILL and stopped is None
    else:                                                         # SIGTERM: save at the next step boundary, exit
        assert rc == 0 and stopped['stopped_early'] and stopped['step'] < 24, (rc, stopped)
    cks = sorted((out / 'checkpoints').glob('step*.safetensors'))
    assert cks and all(load_state(c)['step'] == int(c.stem[4:]) for c in cks)   # every named file is complete
    interrupted_at = load_state(latest_checkpoint(out))['step']
    assert 10 <= interrupted_at < 24
    run(job(fake_data, out, '--resume', 'auto'))
    resumed = final_weights(out)
    assert json.loads((out / 'metrics.json').read_text())['step'] == 24
    assert all(torch.equal(straight[k], resumed[k]) for k in straight)


def test_resume_needs_a_real_checkpoint(fake_data, tmp_path):
    res = run(job(fake_data, tmp_path / 'x', '--resume', str(tmp_path / 'missing.safetensors')), check=False)
    assert res.returncode != 0 and 'checkpoint not found' in res.stderr
