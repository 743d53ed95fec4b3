"""Inlines the viewer's parts into one HTML page (called by build.sh).

The template's placeholders:
  {{CSP}}     the Content Security Policy, with the SHA-256 of the one
              inline script and the one inline style
  {{STYLE}}   the CSS files, concatenated
  {{SCRIPT}}  one module script: the plain scripts and wasm-bindgen's glue
              (its `export` keywords dropped: nothing imports the page)
  {{WASM}}    the WebAssembly module as base64, in a data element that the
              script decodes (a non-JavaScript <script> type never runs)
Deterministic: the same inputs give the same bytes.
"""

import argparse
import base64
import hashlib
import re
import sys


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def glue(text):
    # `export function f`, `export class C` -> plain declarations; drop
    # `export { a, b };` and `export default x;` lines.
    text = re.sub(r"^export (function|class|const|let|async function) ", r"\1 ", text, flags=re.M)
    text = re.sub(r"^export \{[^}]*\};?\s*$", "", text, flags=re.M)
    text = re.sub(r"^export default [^;]*;\s*$", "", text, flags=re.M)
    if re.search(r"^export ", text, flags=re.M):
        sys.exit("assemble.py: an export the glue rewrite does not know")
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template", required=True)
    ap.add_argument("--style", action="append", default=[])
    ap.add_argument("--script", action="append", default=[])
    ap.add_argument("--glue", required=True)
    ap.add_argument("--wasm", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    # The plain scripts in order, the glue after the first (uPlot) so that
    # app.js sees `initSync` and `Viewer`.
    parts = []
    for i, path in enumerate(a.script):
        parts.append(read(path))
        if i == 0:
            parts.append(glue(read(a.glue)))
    script = "\n".join(parts)
    style = "\n".join(read(p) for p in a.style)
    for name, text in (("script", script), ("style", style)):
        if re.search(r"</(script|style)", text, flags=re.I):
            sys.exit(f"assemble.py: the {name} contains a closing tag")

    def sha(text):
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"

    csp = "; ".join([
        "default-src 'none'",
        f"script-src {sha(script)} 'wasm-unsafe-eval'",
        f"style-src {sha(style)}",
        "connect-src 'none'",
        "font-src 'none'",
        "media-src 'none'",
        "object-src 'none'",
        "worker-src 'none'",
        "frame-src 'none'",
        "form-action 'none'",
        "base-uri 'none'",
    ])
    with open(a.wasm, "rb") as f:
        wasm = base64.b64encode(f.read()).decode()

    page = read(a.template)
    for key, value in (("{{CSP}}", csp), ("{{STYLE}}", style), ("{{SCRIPT}}", script), ("{{WASM}}", wasm)):
        if page.count(key) != 1:
            sys.exit(f"assemble.py: the template must hold {key} exactly once")
        page = page.replace(key, value)
    with open(a.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(page)


main()
