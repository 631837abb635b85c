"""Build effvit's docs: `readme` renders nbs/index.ipynb to README.md; `site` builds the website into _docs/.

Where the Quarto CLI exists `site` runs `nbdev_docs`. Without it, it runs nbdev's own notebook processing (the step
`nbdev_docs` runs before Quarto: show_doc tables, hidden cells and directives removed) and renders the processed
notebooks to HTML with nbconvert, with a sidebar in the book's order, so the site can be built and checked anywhere."""
import html, json, re, shutil, subprocess, sys
from pathlib import Path

from fastcore.script import call_parse

ROOT = Path(__file__).resolve().parents[1]
NBS, DOCS = ROOT / 'nbs', ROOT / '_docs'
DIRECTIVE = re.compile(r'^\s*#\s*\|\s*(.*)$')


def page_name(nb:Path) -> str:
    "nbdev's URL rule: drop the numeric prefix (`00_core.ipynb` -> `core.html`)."
    return re.sub(r'^\d+[a-z]?_', '', nb.stem) + '.html'


def sidebar() -> list[tuple[str, list[str]]]:
    "Sections and notebook files of nbs/sidebar.yml, in order."
    import yaml
    spec = yaml.safe_load((NBS / 'sidebar.yml').read_text())['website']['sidebar']['contents']
    out = []
    for item in spec:
        if isinstance(item, str): out.append(('', [item]))
        else: out.append((item['section'], item['contents']))
    return out


# ---------------------------------------------------------------- README
def _directives(src:str) -> set[str]:
    return {m.group(1).split()[0] for line in src.splitlines() if (m := DIRECTIVE.match(line)) and m.group(1).strip()}


def _repath(md:str) -> str:
    "Links relative to nbs/ (images, ...) made relative to the repository root, where README.md lives."
    return re.sub(r'\]\((?!https?:|#|/)([^)]+\.(?:png|svg|jpg|gif|md))\)', r'](nbs/\1)', md)


def render_readme(nb_path:Path=NBS / 'index.ipynb') -> str:
    "Markdown of the index notebook: markdown cells, visible code, and text/markdown outputs."
    nb = json.loads(nb_path.read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts.append(_repath(src)); continue
        d = _directives(src)
        if d & {'hide', 'export', 'exporti', 'default_exp'}: continue
        code = '\n'.join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip()
        if code and 'echo:' not in ' '.join(d): parts.append(f'```python\n{code}\n```')
        for o in c.get('outputs', []):
            data = o.get('data', {})
            if 'text/markdown' in data: parts.append(_repath(''.join(data['text/markdown'])))
            elif o.get('output_type') == 'stream' and o.get('name') == 'stdout': parts.append('```\n' + ''.join(o['text']).rstrip() + '\n```')
            elif 'text/plain' in data and 'image/png' not in data: parts.append('```\n' + ''.join(data['text/plain']).rstrip() + '\n```')
    return '\n\n'.join(p.strip('\n') for p in parts if p.strip()) + '\n'


# ---------------------------------------------------------------- site (HTML fallback)
CSS = """
body { margin: 0; font-family: -apple-system, 'Segoe UI', Roboto, sans-serif; }
#effvit-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 230px; overflow-y: auto; padding: 18px 14px;
  background: #f7f7f9; border-right: 1px solid #ddd; font-size: 14px; }
#effvit-nav h2 { font-size: 18px; margin: 0 0 12px 0; } #effvit-nav h3 { font-size: 12px; text-transform: uppercase;
  color: #777; margin: 16px 0 6px 0; } #effvit-nav a { display: block; padding: 3px 0; color: #1a56a6;
  text-decoration: none; } #effvit-nav a.current { font-weight: bold; color: #000; }
#effvit-page { margin-left: 260px; max-width: 1100px; padding: 10px 20px; }
"""


def _nav(pages:list[tuple[str, list[tuple[str, str]]]], current:str) -> str:
    out = ['<nav id="effvit-nav"><h2><a href="index.html">effvit</a></h2>']
    for section, items in pages:
        if section: out.append(f'<h3>{html.escape(section)}</h3>')
        for href, title in items:
            cls = ' class="current"' if href == current else ''
            out.append(f'<a href="{href}"{cls}>{html.escape(title)}</a>')
    out.append('</nav>')
    return '\n'.join(out)


def _title(nb) -> str:
    for c in nb['cells']:
        if c['cell_type'] == 'markdown' and (m := re.search(r'^#\s+(.+)$', ''.join(c['source']), re.M)): return m.group(1).strip()
        if c['cell_type'] == 'raw' and (m := re.search(r'^title:\s*(.+)$', ''.join(c['source']), re.M)): return m.group(1).strip().strip('"')
    return ''


def _quarto_to_nbconvert(nb):
    "What Quarto would do with a processed notebook, done for nbconvert: front matter, echo/include, link attributes."
    import nbformat, yaml
    cells = []
    for c in nb.cells:
        src = c.source
        if c.cell_type == 'raw' and src.lstrip().startswith('---'):
            fm = yaml.safe_load(src.strip().strip('-')) or {}
            md = f"# {fm.get('title', '')}" + (f"\n\n> {fm['description']}" if fm.get('description') else '')
            cells.append(nbformat.v4.new_markdown_cell(md)); continue
        if c.cell_type == 'code':
            d = {m.group(1).strip() for l in src.splitlines() if (m := DIRECTIVE.match(l))}
            if {'include: false', 'hide'} & d: continue
            c.source = '\n'.join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip()
            tags = set(c.metadata.get('tags', []))
            if 'echo: false' in d or not c.source: tags.add('remove_input')
            c.metadata['tags'] = sorted(tags)
            for o in c.get('outputs', []):
                md = o.get('data', {}).get('text/markdown')
                if md is not None: o['data']['text/markdown'] = re.sub(r'\)\{[^}]*\}', ')', ''.join(md))
        cells.append(c)
    nb.cells = cells
    return nb


def build_html_site(n_workers:int=2) -> Path:
    "Process the notebooks with nbdev and render them to _docs/*.html with nbconvert."
    import nbformat
    from nbconvert import HTMLExporter
    from nbdev.doclinks import _build_modidx
    from nbdev.serve import proc_nbs
    _build_modidx()
    cache = proc_nbs(NBS, n_workers=n_workers, force=True)
    shutil.rmtree(DOCS, ignore_errors=True); DOCS.mkdir()
    pages = []
    for section, files in sidebar():
        items = []
        for f in files:
            src = NBS / f
            if not src.exists(): raise FileNotFoundError(f'sidebar.yml lists {f}, which is not in nbs/')
            items.append((page_name(src), _title(json.loads(src.read_text())) or src.stem))
        pages.append((section, items))
    from nbconvert.preprocessors import TagRemovePreprocessor
    exporter = HTMLExporter(template_name='lab', exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'remove_input'}, enabled=True), enabled=True)
    for section, files in sidebar():
        for f in files:
            proc = cache / f
            nb = _quarto_to_nbconvert(nbformat.read(proc, as_version=4))
            body, res = exporter.from_notebook_node(nb)
            name = page_name(proc)
            body = body.replace('<body', '<body data-effvit-page="%s"' % name, 1)
            body = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + _nav(pages, name) + '<main id="effvit-page">', body, count=1)
            body = body.replace('</body>', '</main></body>').replace('</head>', f'<style>{CSS}</style></head>')
            (DOCS / name).write_text(body)
    for d in NBS.iterdir():                                    # assets the pages link to (images/, ...)
        if d.is_dir() and not d.name.startswith(('.', '_')) and any(d.glob('*.png')):
            shutil.copytree(d, DOCS / d.name, dirs_exist_ok=True)
    print(f'built {sum(len(i) for _, i in pages)} pages into {DOCS}')
    return DOCS


@call_parse
def main(
    what:str, # 'readme' (README.md from nbs/index.ipynb) or 'site' (the docs website into _docs/)
    check:bool=False, # readme: fail if README.md is not what index.ipynb renders to (write nothing)
):
    "Build the README or the docs site."
    if what == 'readme':
        text = render_readme()
        if check:
            if (ROOT / 'README.md').read_text() != text: sys.exit('README.md is stale: run `make readme` and commit it')
            return print('README.md is up to date')
        (ROOT / 'README.md').write_text(text); return print('wrote README.md')
    if what != 'site': sys.exit(f"unknown target {what!r}: use 'readme' or 'site'")
    if shutil.which('quarto'): subprocess.run([str(Path(sys.executable).parent / 'nbdev_docs')], cwd=ROOT, check=True)
    else: build_html_site()
