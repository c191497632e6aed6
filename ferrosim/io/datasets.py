"""Datasets: scikit-learn's bundled digits, and MNIST / Fashion-MNIST from IDX files.

Every dataset comes back as float32 pixels scaled to [0, 1], one row per sample, int64 labels,
and a fixed train/test split (the published one for MNIST-style data; a fixed stratified split
for digits). Shuffling happens in training, seeded by the run.

Where IDX files are looked for, first hit wins:
  1. `data_dir` (the `--data-dir` option / `dataset.data_dir`), itself or its `<name>/` folder;
  2. `$FERROSIM_DATA`, itself or its `<name>/` folder;
  3. the user cache, `$XDG_CACHE_HOME/ferrosim/<name>` (default `~/.cache/ferrosim/<name>`).
When none has the files they are downloaded from the standard mirrors into `<first>/<name>/`,
each checked against its published MD5. `FERROSIM_OFFLINE=1` turns downloads off (batch jobs on
nodes without network): a missing file is then one clear error line.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ferrosim.errors import InputError, closest
from ferrosim.io.atomic import atomic_write

DATASET_NAMES = ("digits", "mnist", "fashion-mnist")
"""Names `load_dataset` accepts (besides `idx:<folder>`)."""

_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}

# Published MD5 sums of the gzip files (MNIST: torchvision / LeCun; Fashion-MNIST: zalandoresearch).
_MD5 = {
    "mnist": {
        "train_images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train_labels": "d53e105ee54ea40749a09fcbcd1e9432",
        "test_images": "9fb629c4189551a2d022fa330f9573f3",
        "test_labels": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train_images": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train_labels": "25c81989df183df01b3e8a0aad5dffbe",
        "test_images": "bef4ecab320f06d8554ea6380940ec79",
        "test_labels": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

_DIGITS_TEST = 450  # 1347 train / 450 test, stratified, fixed


@dataclass(frozen=True)
class Dataset:
    """A classification dataset with a fixed train/test split (arrays are read-only)."""

    name: str
    x_train: np.ndarray  # (n_train, n_features) float32 in [0, 1]
    y_train: np.ndarray  # (n_train,) int64 in [0, n_classes)
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    source: str  # where the data came from (for provenance in results)

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])


def load_dataset(name: str, data_dir: str | Path | None = None, *, download: bool = True) -> Dataset:
    """Load a dataset by name: `digits`, `mnist`, `fashion-mnist`, or `idx:<folder>`.

    `download=False` (or `FERROSIM_OFFLINE=1`) never touches the network.
    """
    key = str(Path(data_dir).expanduser().resolve()) if data_dir is not None else None
    return _load_cached(name, key, download and not _offline())


@lru_cache(maxsize=4)
def _load_cached(name: str, data_dir: str | None, download: bool) -> Dataset:
    if name == "digits":
        return _load_digits()
    if name.startswith("idx:"):
        folder = Path(name[4:]).expanduser()
        if not folder.is_dir():
            raise InputError(f"idx dataset folder {folder} does not exist")
        return _from_idx(name, {k: _find_file(folder, stem, name) for k, stem in _IDX_FILES.items()})
    if name not in _MIRRORS:
        near = closest(name, DATASET_NAMES)
        hint = f"did you mean '{near}'?" if near else "or idx:<folder> with the four IDX files"
        raise InputError(f"unknown dataset '{name}'; choose one of {', '.join(DATASET_NAMES)}", hint=hint)
    roots = candidate_dirs(name, data_dir)
    for folder in roots:
        files = {k: _existing(folder, stem) for k, stem in _IDX_FILES.items()}
        if all(files.values()):
            return _from_idx(name, files)
    target = roots[-1]  # always a <name>/ folder: MNIST and Fashion-MNIST share file names
    if not download:
        raise InputError(
            f"{name} IDX files not found in {' or '.join(str(r) for r in roots)} and downloads are off",
            hint="put the four *-ubyte.gz files there, pass --data-dir, or unset FERROSIM_OFFLINE",
        )
    return _from_idx(name, _download(name, target))


def candidate_dirs(name: str, data_dir: str | Path | None = None) -> list[Path]:
    """Folders searched for `name`'s IDX files, in order (see the module docstring)."""
    base = data_dir if data_dir is not None else os.environ.get("FERROSIM_DATA")
    if base:
        base = Path(base).expanduser()
        return [base, base / name]
    return [cache_dir() / name]


def cache_dir() -> Path:
    """The user cache folder for downloaded datasets."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root).expanduser() / "ferrosim"


def _offline() -> bool:
    return os.environ.get("FERROSIM_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def _existing(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    # Some distributions use a dot before idx (train-images.idx3-ubyte).
    dotted = stem.replace("-idx", ".idx")
    for candidate in (folder / f"{dotted}.gz", folder / dotted):
        if candidate.is_file():
            return candidate
    return None


def _find_file(folder: Path, stem: str, name: str) -> Path:
    found = _existing(folder, stem)
    if found is None:
        raise InputError(f"{name}: {stem}[.gz] not found in {folder}")
    return found


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzip or raw) of unsigned bytes; validates the header against the size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read IDX data: {exc}", file=path) from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise InputError("not an IDX file (bad magic number)", file=path)
    if raw[2] != 0x08:
        raise InputError(f"IDX data type 0x{raw[2]:02x} is not unsigned byte (0x08)", file=path)
    ndim = raw[3]
    if ndim < 1 or len(raw) < 4 + 4 * ndim:
        raise InputError("truncated IDX header", file=path)
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims, dtype=np.int64))
    body = memoryview(raw)[4 + 4 * ndim :]
    if len(body) != expected:
        raise InputError(
            f"IDX header says {'x'.join(map(str, dims))} = {expected} bytes but the file holds {len(body)}",
            file=path,
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def _from_idx(name: str, files: dict[str, Path]) -> Dataset:
    arrays = {k: read_idx(p) for k, p in files.items()}
    parts = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim < 2:
            raise InputError("image file must have at least 2 dimensions", file=files[f"{split}_images"])
        if labels.ndim != 1:
            raise InputError("label file must be 1-dimensional", file=files[f"{split}_labels"])
        if len(images) != len(labels):
            raise InputError(f"{len(images)} images but {len(labels)} labels", file=files[f"{split}_labels"])
        parts.append((images.reshape(len(images), -1), labels))
    (xtr, ytr), (xte, yte) = parts
    if xtr.shape[1] != xte.shape[1]:
        raise InputError(f"train images have {xtr.shape[1]} pixels, test images {xte.shape[1]}",
                         file=files["test_images"])
    n_classes = int(max(ytr.max(), yte.max())) + 1
    return _frozen(name, xtr.astype(np.float32) / np.float32(255.0), ytr.astype(np.int64),
                   xte.astype(np.float32) / np.float32(255.0), yte.astype(np.int64), n_classes,
                   source=str(Path(files["train_images"]).parent))


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    x = (bunch.data / 16.0).astype(np.float32)
    y = bunch.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=_DIGITS_TEST, random_state=0, stratify=y)
    return _frozen("digits", xtr, ytr, xte, yte, 10,
                   source="scikit-learn load_digits (UCI optdigits 8x8), stratified split 1347/450, random_state=0")


def _frozen(name, xtr, ytr, xte, yte, n_classes, source) -> Dataset:
    for a in (xtr, ytr, xte, yte):
        a.flags.writeable = False
    return Dataset(name, xtr, ytr, xte, yte, n_classes, source)


def _download(name: str, folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, stem in _IDX_FILES.items():
        dest = folder / f"{stem}.gz"
        if not dest.is_file():
            _fetch(name, f"{stem}.gz", _MD5[name][key], dest)
        out[key] = dest
    return out


class _WrongChecksum(Exception):
    """A downloaded file whose MD5 is not the published one."""


def _fetch(name: str, filename: str, md5: str, dest: Path) -> None:
    """Download one file from the first mirror that answers, verify its MD5, then move it in place."""
    errors = []
    for mirror in _MIRRORS[name]:
        url = mirror + filename

        def verified(fh, url=url):  # streamed into the atomic writer's temporary file
            digest = _stream(url, fh, filename)
            if digest != md5:
                raise _WrongChecksum(f"{url}: MD5 {digest} != {md5}")

        try:
            atomic_write(dest, verified)  # a wrong checksum or a broken download leaves no file
            return
        except _WrongChecksum as exc:
            errors.append(str(exc))
        except OSError as exc:  # URLError and socket timeouts are OSErrors
            errors.append(f"{url}: {getattr(exc, 'reason', exc)}")
    raise InputError(f"could not download {name} {filename}: {'; '.join(errors)}",
                     hint=f"download the file by hand into {dest.parent} or pass --data-dir")


def _stream(url: str, fh, label: str) -> str:
    md5 = hashlib.md5()
    with urllib.request.urlopen(url, timeout=30) as resp:
        total = int(resp.headers.get("Content-Length") or 0) or None
        progress = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            progress = Progress(transient=True)
            progress.start()
            task = progress.add_task(f"downloading {label}", total=total)
        try:
            while chunk := resp.read(1 << 16):
                fh.write(chunk)
                md5.update(chunk)
                if progress is not None:
                    progress.update(task, advance=len(chunk))
        finally:
            if progress is not None:
                progress.stop()
    return md5.hexdigest()
