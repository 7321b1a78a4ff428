"""Import names that differ from the name of the package providing them, for the hint a
missing import gets: `No module named 'sklearn'` is fixed by `scikit-learn` in
requirements.txt, and `sklearn==1.9.1` there names no usable package. Only import names that
are no other package's name on the index (`jwt`, `attr` are, so they are not here); any other
import name is taken as its package's name."""

from __future__ import annotations

PACKAGE_OF_MODULE = {
    "cv2": "opencv-python-headless",
    "dateutil": "python-dateutil",
    "PIL": "pillow",
    "skimage": "scikit-image",
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
}


def package_of(module: str) -> str:
    """The package that provides `module` (a dotted import name). No side effects."""
    for name in (module, module.split(".")[0]):
        if name in PACKAGE_OF_MODULE:
            return PACKAGE_OF_MODULE[name]
    return module.split(".")[0]
