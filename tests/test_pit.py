"""PiT through the real command-line scripts: `scripts/train.py --recipe pit` trains a distilled PiT (which, without a
teacher, must return one averaged prediction in training) and `scripts/eval.py` evaluates its checkpoint."""
import json

from conftest import BIN, ROOT, run

PY = str(BIN / 'python')


def script(name): return [PY, str(ROOT / 'scripts' / name)]


def test_train_and_eval_a_distilled_pit(fake_data, tmp_path):
    out = tmp_path / 'run'
    run(script('train.py') + ['--model', 'pit_ti_distilled', '--recipe', 'pit', '--img_size', '32', '--per_gpu_batch', '8',
                              '--batch_size', '16', '--workers', '0', '--amp', 'false', '--warmup_epochs', '0',
                              '--ema_decay', '0', '--epochs', '1', '--data', str(fake_data), '--out', str(out)])
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['model'] == 'pit_ti_distilled' and cfg['recipe']['opt'] == 'adamp'
    assert len((out / 'log.csv').read_text().splitlines()) == 2                   # header + one epoch
    res = run(script('eval.py') + ['--model', 'pit_ti_distilled', '--checkpoint', str(out / 'checkpoints' / 'best.safetensors'),
                                   '--data', str(fake_data), '--img_size', '32', '--workers', '0',
                                   '--out', str(tmp_path / 'eval.json')])
    assert 'top-1' in res.stdout and json.loads((tmp_path / 'eval.json').read_text())['top5'] == 100.0   # 4 classes
