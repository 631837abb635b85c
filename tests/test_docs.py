"""The docs site: README.md is index.ipynb rendered; the site builds (Quarto where present, else nbdev's processing +
nbconvert), and in headless Chromium every page of the sidebar is linked from the index, the links resolve, and the
chapters' figures load."""
import json, re, shutil, subprocess
from pathlib import Path

import pytest

from conftest import BIN, ROOT, run

CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync']


def chromium() -> str:
    "Debian's Chromium, installed from the system's packages when missing."
    exe = shutil.which('chromium') or shutil.which('chromium-browser')
    if exe is None:
        for cmd in (['apt-get', 'install', '-y', '-q', 'chromium'], ['apt-get', 'update', '-q'],
                    ['apt-get', 'install', '-y', '-q', 'chromium']):
            if subprocess.run(cmd, capture_output=True).returncode == 0 and 'install' in cmd: break
        exe = shutil.which('chromium')
    if exe is None: pytest.skip('Chromium is not installed and could not be installed from apt')
    return exe


def test_readme_is_index_rendered():
    res = run([str(BIN / 'python'), str(ROOT / 'scripts' / 'docs.py'), 'readme', '--check'], check=False)
    assert res.returncode == 0, res.stderr + res.stdout
    readme = (ROOT / 'README.md').read_text()
    first_code = re.search(r'```sh\n(.*?)```', readme, re.S).group(1)
    assert [l.split()[:2] for l in first_code.strip().splitlines()] == [['make', 'demo'], ['make', 'test']]


@pytest.fixture(scope='module')
def site():
    run([str(BIN / 'python'), str(ROOT / 'scripts' / 'docs.py'), 'site'], timeout=1200)
    return ROOT / '_docs'


def _dom(exe, page:Path, tmp_path) -> dict:
    "Load `page` in Chromium and return what the browser saw: links, and each image's natural width."
    probe = page.with_name(f'.probe-{page.name}')
    js = """<script>window.addEventListener('load', () => { document.body.setAttribute('data-probe', JSON.stringify({
      links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
      images: [...document.images].map(i => [i.getAttribute('src').slice(0, 40), i.naturalWidth])})); });</script>"""
    probe.write_text(page.read_text().replace('</body>', js + '</body>'))
    try:
        out = subprocess.run([exe, *CHROME_FLAGS, f'--user-data-dir={tmp_path / "chrome"}', '--virtual-time-budget=10000',
                              '--dump-dom', probe.as_uri()], capture_output=True, text=True, timeout=120).stdout
    finally: probe.unlink()
    m = re.search(r'data-probe="([^"]*)"', out)
    assert m, 'the page did not finish loading in Chromium'
    return json.loads(m.group(1).replace('&quot;', '"').replace('&amp;', '&'))


def figures(nb:Path) -> int:
    "Figures (PNG outputs) the notebook carries in cells that the docs show."
    cells = json.loads(nb.read_text())['cells']
    hidden = lambda c: re.search(r'^#\|\s*(hide|include:\s*false|output:\s*false)', ''.join(c['source']), re.M)
    return sum('image/png' in o.get('data', {}) for c in cells if c['cell_type'] == 'code' and not hidden(c)
               for o in c.get('outputs', []))


def test_site_in_chromium(site, tmp_path):
    exe = chromium()
    import yaml
    sidebar = yaml.safe_load((ROOT / 'nbs' / 'sidebar.yml').read_text())['website']['sidebar']['contents']
    nbs = [f for item in sidebar for f in ([item] if isinstance(item, str) else item['contents'])]
    pages = [re.sub(r'^\d+[a-z]?_', '', Path(f).stem) + '.html' for f in nbs]
    index = _dom(exe, site / 'index.html', tmp_path)
    for p in pages:
        assert (site / p).exists(), f'{p} missing from the site'
        assert p in index['links'], f'the index does not link {p}'
    local = [l.split('#')[0] for l in index['links'] if l.endswith('.html') or '.html#' in l]
    assert all((site / l).exists() for l in local if not l.startswith(('http', '//'))), local
    # the chapters' figures really load (a broken image has naturalWidth 0)
    assert sum(figures(ROOT / 'nbs' / f) for f in nbs) > 0, 'no notebook carries a figure: nothing to check'
    for f, p in zip(nbs, pages):
        dom = _dom(exe, site / p, tmp_path)
        broken = [src for src, w in dom['images'] if w == 0]
        assert not broken, f'{p}: {len(broken)} broken images: {broken[:3]}'
        shown = sum(w > 0 for _, w in dom['images'])
        assert shown >= figures(ROOT / 'nbs' / f), f'{p} shows {shown} images, its notebook has {figures(ROOT / "nbs" / f)} figures'
    shot = tmp_path / 'index.png'
    subprocess.run([exe, *CHROME_FLAGS, f'--user-data-dir={tmp_path / "chrome2"}', '--window-size=1280,1000',
                    f'--screenshot={shot}', (site / 'index.html').as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000
