"""EsViT end to end on an ImageNet-layout folder, the way `scripts/pretrain_esvit.py` / `eval_knn.py` /
`eval_linear.py` use the API: per-image multi-crop through a DataLoader, the SSL model trained by the engine with
`EsViTSchedule`, a checkpoint that carries the centers and resumes, then k-NN and linear evaluation of the teacher."""
import torch
from torch.utils.data import DataLoader
from torchvision.transforms import v2

from effvit.data import ImageFolder, fake_imagenet
from effvit.train import fit
from effvit.esvit.pretrain import EsViT, EsViTSchedule, MultiCropDataset, MultiCropTransform, lr_for_batch
from effvit.esvit.eval import knn_eval, linear_eval


def test_esvit_folder_pipeline(tmp_path):
    torch.manual_seed(0)
    root = fake_imagenet(tmp_path / 'data', classes=3, per_class=8, size=48)
    mct = MultiCropTransform(32, 16, n_local=2, patch_size=4)
    train = MultiCropDataset(ImageFolder(root, 'train'), mct)
    dl = DataLoader(train, batch_size=8, shuffle=True, drop_last=True)
    crops, y = next(iter(dl))
    assert [tuple(c.shape) for c in crops] == [(8, 3, 32, 32)] * 2 + [(8, 3, 16, 16)] * 2

    def run(epochs, resume=None):
        model = EsViT('esvit_swin_shapes_nano', out_dim=32, head_kwargs=dict(hidden_dim=32, bottleneck_dim=16, norm_last_layer=False))
        sched = EsViTSchedule(2, len(dl), momentum=(0.9, 1.0), teacher_temp_warmup_epochs=1)
        tr = fit(model, dl, None, criterion=model.criterion, epochs=epochs, lr=lr_for_batch(8), warmup_epochs=0.5,
                 param_groups=EsViT.param_groups, callbacks=[sched], evaluate_fn=lambda t: {}, out_dir=tmp_path / 'run',
                 resume=resume, progress=False)
        return model, tr
    m1, tr1 = run(1)
    c1 = m1.criterion.view.center.clone()
    assert c1.abs().sum() > 0 and m1.criterion.region.center_grid.abs().sum() > 0     # centers moved and are state
    m1b, _ = run(1, resume='auto')                  # nothing left to train: the restored model is the saved one
    assert torch.equal(m1b.criterion.view.center, c1)              # the centers are buffers in the checkpoint
    assert all(torch.equal(a, b) for a, b in zip(m1b.teacher.parameters(), m1.teacher.parameters()))
    m2, tr2 = run(2, resume='auto')
    assert tr2.step == 2 * len(dl) and not torch.equal(m2.criterion.view.center, c1)

    tf = v2.Compose([v2.PILToTensor(), v2.Resize(32), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5] * 3, [0.25] * 3)])
    tr_dl = DataLoader(ImageFolder(root, 'train', tf), batch_size=8)
    va_dl = DataLoader(ImageFolder(root, 'val', tf), batch_size=8)
    knn = knn_eval(m2.teacher.backbone, tr_dl, va_dl, ks=(1, 20))
    assert set(knn) == {1, 20} and all(0 <= a <= b <= 100 for a, b in knn.values())
    lin = linear_eval(m2.teacher.backbone, tr_dl, va_dl, num_classes=3, n_last_blocks=2, epochs=2, lr=0.1)
    assert lin['dim'] == 16 + 32 and len(lin['history']) == 2
