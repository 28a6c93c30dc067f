"""Where the training corpus comes from, and under which licence: the CPython standard library
(PSF), Debian python3-* packages with a licence allow-list, pip site-packages whose metadata
names an allowed licence, and the npm packages installed under training/data/npm whose own
package.json does. corpus.py walks these sources."""
import glob
import json
import os
import re
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALLOWED = {"MIT", "BSD-2-Clause", "BSD-3-Clause", "BSD", "Apache-2.0", "ISC", "PSF-2.0", "0BSD"}

# Debian python3-* packages in /usr/lib/python3/dist-packages with their licences
# (checked against /usr/share/doc/<package>/copyright).
DIST_PACKAGES = {
    "numpy": "BSD-3-Clause", "torch": "BSD-3-Clause", "sympy": "BSD-3-Clause",
    "mpmath": "BSD-3-Clause", "networkx": "BSD-3-Clause", "jinja2": "BSD-3-Clause",
    "yaml": "MIT", "attr": "MIT", "click": "BSD-3-Clause", "pygments": "BSD-2-Clause",
    "idna": "BSD-3-Clause", "onnx": "Apache-2.0", "typing_extensions": "PSF-2.0",
    "packaging": "Apache-2.0", "setuptools": "MIT", "pkg_resources": "MIT", "six": "MIT",
    "colorama": "BSD-3-Clause", "distro": "Apache-2.0", "oauthlib": "BSD-3-Clause",
    "jwt": "MIT", "blinker": "MIT", "httplib2": "MIT", "markupsafe": "BSD-3-Clause",
    "fsspec": "BSD-3-Clause", "dateutil": "Apache-2.0", "future": "MIT", "astunparse": "BSD-3-Clause",
    "argcomplete": "Apache-2.0", "charset_normalizer": "MIT", "requests": "Apache-2.0",
    "urllib3": "MIT", "psutil": "BSD-3-Clause", "wheel": "MIT", "cffi": "MIT",
}


@dataclass
class Source:
    name: str
    root: str
    licence: str
    kind: str  # how packages are named inside the source: "top" (first dir) or "whole"
    bare: str = ""  # the package's name without source, version or Python version (the split key)


def norm_licence(lic):
    if isinstance(lic, dict):
        lic = lic.get("type", "")
    if isinstance(lic, list):
        lic = " OR ".join(norm_licence(x) for x in lic)
    lic = (lic or "").strip().strip("()")
    for part in re.split(r"\s+OR\s+", lic):
        p = part.strip().strip("()")
        if p in ALLOWED:
            return p
    return None


def site_package_sources(site):
    """Packages in a pip site-packages folder whose own metadata names an allowed licence."""
    out = []
    for info in sorted(glob.glob(os.path.join(site, "*.dist-info"))):
        try:
            meta = open(os.path.join(info, "METADATA"), errors="replace").read(20000)
        except OSError:
            continue
        lic = None
        for line in meta.split("\n"):
            if line.startswith(("License:", "License-Expression:")):
                lic = lic or norm_licence(line.split(":", 1)[1])
            if line.startswith("Classifier: License :: OSI Approved ::"):
                c = line.rsplit("::", 1)[1].strip()
                lic = lic or {"MIT License": "MIT", "BSD License": "BSD", "Apache Software License": "Apache-2.0",
                              "ISC License (ISCL)": "ISC", "Python Software Foundation License": "PSF-2.0"}.get(c)
        if not lic:
            continue
        try:
            tops = open(os.path.join(info, "top_level.txt")).read().split()
        except OSError:
            tops = [os.path.basename(info).split("-")[0]]
        for top in tops:
            if os.path.isdir(os.path.join(site, top)):
                out.append(Source(f"pypi-{top}", os.path.join(site, top), lic, "whole", top))
    return out


def sources(stdlib=None, site_packages=()):
    out = []
    std = stdlib or "/usr/lib/python3.11"
    if os.path.isdir(std):
        out.append(Source("cpython-stdlib-" + os.path.basename(std.rstrip("/")), std, "PSF-2.0", "top", ""))
    for site in site_packages:
        out += site_package_sources(site)
    dist = "/usr/lib/python3/dist-packages"
    for pkg, lic in sorted(DIST_PACKAGES.items()):
        if os.path.isdir(os.path.join(dist, pkg)):
            out.append(Source(f"debian-python3-{pkg}", os.path.join(dist, pkg), lic, "whole", pkg))
    seen = set()
    for nm in [os.path.join(ROOT, "training", "data", "npm", "node_modules")]:
        for pj in sorted(glob.glob(nm + "/*/package.json") + glob.glob(nm + "/@*/*/package.json")):
            d = os.path.dirname(pj)
            try:
                meta = json.load(open(pj))
            except Exception:
                continue
            name = meta.get("name") or os.path.basename(d)
            lic = norm_licence(meta.get("license") or meta.get("licenses"))
            if name in seen or not lic:
                continue
            seen.add(name)
            out.append(Source(f"npm-{name}@{meta.get('version', '?')}", d, lic, "whole", name))
    return out
