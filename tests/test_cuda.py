"""The models on a GPU: CUDA agrees with the CPU, bf16 autocast stays close to fp32 and still trains, `torch.compile`
agrees with eager, and the octic models keep their symmetry on the device. Skipped where no CUDA device is present
(CI has none); on a GPU machine: `pytest tests/test_cuda.py`. `EFFVIT_TEST_DEVICE=cpu` runs the same checks on the CPU
(a dry run of the test logic; the CUDA-vs-CPU comparison is then trivially exact)."""
import os

import pytest
import torch
import torch.nn.functional as F
import timm

import effvit
from effvit.dynamicvit import DynamicViT
from effvit.data import Shapes
from effvit.zoo import shapes_images
from effvit.octic.group import D8, d8_act
from effvit.octic.layers import OcticBlock, check_equivariance, iso_action, octic_action, octic_input, image_action

DEV = torch.device(os.environ.get('EFFVIT_TEST_DEVICE', 'cuda'))
pytestmark = pytest.mark.skipif(DEV.type == 'cuda' and not torch.cuda.is_available(), reason='needs a CUDA device')

SHAPES = effvit.zoo.list_models('*_shapes*')
IMAGENET = ['pit_ti', 'dynamicvit_deit_256', 'avit_tiny_patch16_224', 'octic_hybrid_deit3_small_patch16',
            'octic_inv_deit3_large_patch16', 'esvit_swin_tiny_w7']
DATA_DEPENDENT = ('dynamicvit', 'avit')  # which tokens run depends on scores: a rounding change can move a token


@pytest.fixture(autouse=True)
def exact_fp32():
    "Full fp32 matmuls (no TF32), so that CUDA and CPU can be compared at fp32 tolerances."
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = old


def build(name, seed=0, **kw):
    torch.manual_seed(seed)
    return timm.create_model(name, **kw).eval()


def images(model, n=4, seed=0):
    "Shapes images (real structure, not noise) at the model's input size, normalised."
    return shapes_images(n, model.pretrained_cfg.get('input_size', (3, 224, 224))[-1], seed)


def logits(out):
    "The first tensor of a model's output (DynamicViT and A-ViT return extras in train mode)."
    return out if torch.is_tensor(out) else logits(out[0])


def rel_err(a, b): return ((a.float() - b.float()).norm() / b.float().norm()).item()


def predict(model, x):
    """Eval logits. A DynamicViT keeps the tokens of fixed random scores instead of its predictors': at random init
    the predictors score every token nearly alike, so the last bit of rounding decides which survive, and two runs
    that round differently (CPU/GPU, fp32/bf16, eager/compiled) would be compared on different token sets."""
    if not isinstance(model, DynamicViT): return logits(model(x))
    n = model.patch_embed.num_patches
    g = torch.Generator().manual_seed(0)
    scores = [torch.randn(x.shape[0], k, generator=g).to(x.device) for k in [n, *model.keep_counts()[:-1]]]
    return model.forward_head(model.forward_pruned(x, score_fn=lambda s, p: scores[s])[0])


@pytest.mark.parametrize('name', SHAPES + IMAGENET)
def test_device_matches_cpu(name):
    model = build(name)
    x = images(model)
    with torch.no_grad():
        ref = predict(model, x)
        out = predict(model.to(DEV), x.to(DEV)).cpu()
    tol = 1e-3 if name.startswith(DATA_DEPENDENT) else 1e-4
    assert rel_err(out, ref) < tol, (name, rel_err(out, ref))


@pytest.mark.parametrize('name', SHAPES + IMAGENET)
def test_bf16_autocast_close_to_fp32(name):
    model = build(name).to(DEV)
    x = images(model).to(DEV)
    with torch.no_grad():
        ref = predict(model, x)
        with torch.autocast(DEV.type, dtype=torch.bfloat16): out = predict(model, x)
    assert out.dtype == torch.bfloat16 or name.startswith('esvit')        # the matmuls really ran in bf16
    assert torch.isfinite(out).all() and rel_err(out, ref) < 0.05, (name, rel_err(out, ref))


def fit_batch(name, amp, steps=60, lr=2e-3):
    "Losses of `steps` AdamW steps on one batch of 32 labelled Shapes images, from a fixed init."
    model = build(name, num_classes=10).to(DEV).train()
    x, y = (t.to(DEV) for t in next(iter(torch.utils.data.DataLoader(Shapes(32, 32, seed=1), batch_size=32))))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0)
    losses = []
    for _ in range(steps):
        with torch.autocast(DEV.type, dtype=torch.bfloat16, enabled=amp):
            loss = F.cross_entropy(logits(model(x)).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize('name', SHAPES)
def test_bf16_training_keeps_up_with_fp32(name):
    "Under bf16 autocast every model fits a batch, about as far as the same steps in fp32 take it."
    fp32, bf16 = fit_batch(name, amp=False), fit_batch(name, amp=True)
    assert bf16[-1] < 0.5 * bf16[0] and bf16[-1] < fp32[-1] + 0.3, (name, fp32[0], fp32[-1], bf16[-1])


@pytest.mark.parametrize('name', ['octic_hybrid_shapes', 'octic_inv_shapes', 'pit_shapes', 'dynamicvit_shapes',
                                  'avit_shapes', 'esvit_swin_shapes'])
def test_compile_matches_eager(name):
    model = build(name).to(DEV)
    x = images(model, n=8).to(DEV)
    with torch.no_grad():
        ref = predict(model, x)
        out = predict(torch.compile(model), x) if not isinstance(model, DynamicViT) else \
            torch.compile(lambda x: predict(model, x))(x)
    tol = 1e-3 if name.startswith(DATA_DEPENDENT) else 1e-4
    assert rel_err(out, ref) < tol, (name, rel_err(out, ref))


def test_octic_block_equivariant_on_device():
    block = OcticBlock(64, num_heads=2, init_values=1.0).to(DEV).eval()
    xs = tuple(t.to(DEV) for t in octic_input(B=2, N=16, dim=64))
    errs = check_equivariance(block, xs, iso_action, iso_action, atol=1e-5)
    assert max(errs) <= 1e-5


def test_octic_trunk_equivariant_and_invariant_model_invariant_on_device():
    inv, hyb = build('octic_inv_shapes').to(DEV), build('octic_hybrid_shapes').to(DEV)
    x = images(inv).to(DEV)
    with torch.no_grad():
        y = inv(x)
        err = max((inv(d8_act(x, g)) - y).abs().max().item() for g in D8)
    assert err <= 1e-4 and y.abs().max() > 1e-2, err
    feats = {}
    hook = hyb.blocks[hyb.octic_depth - 1].register_forward_hook(lambda mod, inp, out: feats.__setitem__('ae', out))
    def trunk(img): hyb(img); return feats['ae']
    check_equivariance(trunk, (x,), image_action, octic_action(n_prefix=1), atol=1e-4)
    hook.remove()


@pytest.mark.parametrize('amp', [False, True])
def test_esvit_pretraining_through_the_engine(amp):
    "The engine moves module-valued batch transforms and criteria to the device (the multi-crop's mean/std, the centers)."
    from effvit.esvit.eval import pretrain_shapes
    tr = pretrain_shapes(region=True, steps=4, epochs=1, batch_size=8, arch='esvit_swin_shapes_nano', out_dim=32,
                         device=DEV, amp=amp)
    losses = [s['loss'] for s in tr.history['steps']]
    assert tr.step == 4 and losses and all(torch.isfinite(torch.tensor(losses)))
    assert next(tr.model.parameters()).device.type == DEV.type
    assert tr.model.criterion.view.center.device.type == DEV.type and tr.model.criterion.view.center.abs().sum() > 0
