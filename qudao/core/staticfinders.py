"""Static files that come from the npm registry (docs/decisions/0001-stack.md).

`package.json` pins the browser packages, `make install` installs them into `node_modules/` with
`npm ci`, and this finder serves the few files pages load, under `static/vendor/`, through
WhiteNoise like our own assets. Only the files named in NPM_FILES are exposed: not a package's
sources, maps or other builds. Nothing from npm is committed or loaded from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning as CheckWarning
from django.core.files.storage import FileSystemStorage

# static path -> path inside node_modules/
NPM_FILES: dict[str, str] = {
    "vendor/echarts/echarts.min.js": "echarts/dist/echarts.min.js",
}


def node_modules() -> Path:
    return Path(getattr(settings, "NODE_MODULES_DIR", settings.BASE_DIR / "node_modules"))


class NpmFinder(BaseFinder):
    """Finds NPM_FILES in node_modules/ (for `findstatic`, `collectstatic` and WhiteNoise's
    WHITENOISE_USE_FINDERS)."""

    def check(self, **kwargs):
        missing = [source for source in NPM_FILES.values() if not (node_modules() / source).is_file()]
        if missing:
            return [
                CheckWarning(
                    f"{', '.join(missing)} missing from {node_modules()}: charts will not draw.",
                    hint="Run `make install` (npm ci) in the repository root.",
                    id="qudao.W010",
                )
            ]
        return []

    def find(self, path, find_all=False, **kwargs):
        # like Django's own finders: the path (or [path] with find_all), or [] when not found
        find_all = find_all or kwargs.get("all", False)
        source = NPM_FILES.get(path)
        full = node_modules() / source if source is not None else None
        if full is None or not full.is_file():
            return []
        return [str(full)] if find_all else str(full)

    def list(self, ignore_patterns):
        for static_path, source in NPM_FILES.items():
            full = node_modules() / source
            if not full.is_file():
                continue
            storage = FileSystemStorage(location=str(full.parent))
            storage.prefix = str(Path(static_path).parent)
            yield full.name, storage
