"""The package as users get it: the wheel holds every module, the scripts' imports resolve, the version is
settings.ini's, and `import effvit` is cheap."""
import ast, configparser, importlib, importlib.util, zipfile
from pathlib import Path

from conftest import BIN, ROOT, run


def settings():
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT / 'settings.ini')
    return cfg['DEFAULT']


def test_wheel_holds_every_module(tmp_path):
    run([str(BIN / 'python'), '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), '.'],
        timeout=300)
    wheel = next(tmp_path.glob('effvit-*.whl'))
    assert wheel.name.startswith(f"effvit-{settings()['version']}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / 'effvit').rglob('*.py')}
    assert modules and modules <= names, sorted(modules - names)
    assert not any(n.startswith(('tests/', 'scripts/', 'nbs/')) for n in names)


def test_version_matches_settings():
    import effvit
    assert effvit.__version__ == settings()['version']


def test_import_is_fast_and_registers_models():
    code = ('import time; t = time.time(); import effvit, timm; dt = time.time() - t; '
            'print(dt, len(effvit.core.effvit_models()), "vit_shapes" in timm.list_models("vit_shapes"))')
    out = run([str(BIN / 'python'), '-c', code]).stdout.split()
    seconds, n_models, registered = float(out[0]), int(out[1]), out[2] == 'True'
    assert seconds < 15, f'import effvit took {seconds:.1f}s'  # torch + timm dominate (about 3 s here)
    assert n_models >= 1 and registered


def _imports(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import): yield from ((a.name, None) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0: yield from ((node.module, a.name) for a in node.names)


def test_scripts_imports_resolve():
    scripts = sorted((ROOT / 'scripts').glob('*.py'))
    assert scripts, 'no scripts'
    for s in scripts:
        for mod, name in _imports(s):
            if (ROOT / 'scripts' / f'{mod}.py').exists(): continue          # a sibling helper module of the scripts
            assert importlib.util.find_spec(mod) is not None, f'{s.name}: cannot import {mod}'
            if name and name != '*' and mod.startswith('effvit'):
                assert hasattr(importlib.import_module(mod), name), f'{s.name}: {mod} has no {name}'

