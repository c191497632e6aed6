"""Datasets: shapes, scaling, the fixed split, IDX validation, lookup order, downloads."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
from pathlib import Path

import numpy as np
import pytest

from ferrosim.errors import InputError
from ferrosim.io import datasets
from ferrosim.io.datasets import candidate_dirs, load_dataset, read_idx

SHARED_MNIST = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("FERROSIM_DATA", raising=False)
    monkeypatch.delenv("FERROSIM_OFFLINE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    datasets._load_cached.cache_clear()
    yield
    datasets._load_cached.cache_clear()


def idx_bytes(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fake_idx(folder: Path, n_train=12, n_test=5, side=4, gz=True) -> dict[str, np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, side, side)),
        "train-labels-idx1-ubyte": np.arange(n_train) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, side, side)),
        "t10k-labels-idx1-ubyte": np.arange(n_test) % 10,
    }
    for stem, arr in arrays.items():
        data = idx_bytes(arr)
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)
    return arrays


def test_digits_split_and_scaling():
    d = load_dataset("digits")
    assert d.x_train.shape == (1347, 64) and d.x_test.shape == (450, 64)
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    assert d.n_classes == 10 and d.n_features == 64
    # stratified: every class is in the test set in proportion to its size (within one sample)
    counts = np.bincount(d.y_test, minlength=10)
    share = np.bincount(np.concatenate([d.y_train, d.y_test])) * 450 / 1797
    assert np.all(np.abs(counts - share) < 1)
    # fixed: a second load (cache cleared) gives identical arrays
    datasets._load_cached.cache_clear()
    again = load_dataset("digits")
    assert np.array_equal(again.x_train, d.x_train) and np.array_equal(again.y_test, d.y_test)
    assert not d.x_train.flags.writeable


@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="../shared/data/mnist not present")
def test_real_mnist_from_data_dir_and_env(monkeypatch):
    d = load_dataset("mnist", SHARED_MNIST, download=False)
    assert d.x_train.shape == (60000, 784) and d.x_test.shape == (10000, 784)
    assert d.x_train.max() == 1.0 and d.x_train.min() == 0.0
    assert np.bincount(d.y_train).tolist()[:2] == [5923, 6742]  # published class counts
    assert d.y_test[:5].tolist() == [7, 2, 1, 0, 4]
    datasets._load_cached.cache_clear()
    monkeypatch.setenv("FERROSIM_DATA", str(SHARED_MNIST.parent))  # parent: <dir>/mnist is found
    monkeypatch.setenv("FERROSIM_OFFLINE", "1")
    assert np.array_equal(load_dataset("mnist").y_train, d.y_train)


@pytest.mark.parametrize("gz", [True, False])
def test_fake_idx_values_and_scaling(tmp_path, gz):
    arrays = write_fake_idx(tmp_path / "fake", gz=gz)
    d = load_dataset(f"idx:{tmp_path / 'fake'}")
    assert d.x_train.shape == (12, 16) and d.x_test.shape == (5, 16)
    expected = arrays["train-images-idx3-ubyte"].reshape(12, 16) / 255.0
    np.testing.assert_allclose(d.x_train, expected, rtol=1e-6)
    assert d.y_train.tolist() == (np.arange(12) % 10).tolist()


def test_cache_dir_is_used_and_offline_error_names_the_places(tmp_path, monkeypatch):
    monkeypatch.setenv("FERROSIM_OFFLINE", "1")
    with pytest.raises(InputError) as err:
        load_dataset("fashion-mnist")
    msg = err.value.one_line()
    assert "fashion-mnist" in msg and str(tmp_path / "cache" / "ferrosim" / "fashion-mnist") in msg
    assert "downloads are off" in msg
    write_fake_idx(tmp_path / "cache" / "ferrosim" / "fashion-mnist")
    datasets._load_cached.cache_clear()
    assert load_dataset("fashion-mnist").x_train.shape == (12, 16)


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.setenv("FERROSIM_DATA", str(tmp_path / "env"))
    assert candidate_dirs("mnist") == [tmp_path / "env", tmp_path / "env" / "mnist"]
    assert candidate_dirs("mnist", tmp_path / "arg")[0] == tmp_path / "arg"  # --data-dir wins


def test_unknown_name_suggests():
    with pytest.raises(InputError, match="did you mean 'mnist'"):
        load_dataset("minst")


@pytest.mark.parametrize("corrupt, needle", [
    (lambda b: b"\x01" + b[1:], "bad magic"),
    (lambda b: b[:2] + b"\x0d" + b[3:], "not unsigned byte"),
    (lambda b: b[:-3], "but the file holds"),
    (lambda b: b[:6], "truncated IDX header"),
])
def test_malformed_idx_names_the_file(tmp_path, corrupt, needle):
    good = idx_bytes(np.zeros((3, 2, 2)))
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(corrupt(good))
    with pytest.raises(InputError, match=needle) as err:
        read_idx(path)
    assert str(path) in err.value.one_line()


def test_label_count_mismatch(tmp_path):
    write_fake_idx(tmp_path / "f")
    (tmp_path / "f" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.arange(4))))
    with pytest.raises(InputError, match="5 images but 4 labels"):
        load_dataset(f"idx:{tmp_path / 'f'}")


class _FakeResponse(io.BytesIO):
    headers = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_verifies_md5_and_installs_atomically(tmp_path, monkeypatch):
    blobs = {}
    fake = write_fake_idx(tmp_path / "src")
    for stem in fake:
        blobs[f"{stem}.gz"] = (tmp_path / "src" / f"{stem}.gz").read_bytes()
    md5 = {k: hashlib.md5(blobs[f"{stem}.gz"]).hexdigest() for k, stem in datasets._IDX_FILES.items()}
    monkeypatch.setitem(datasets._MD5, "mnist", md5)
    urls = []

    def fake_urlopen(url, timeout):
        urls.append(url)
        return _FakeResponse(blobs[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(datasets.urllib.request, "urlopen", fake_urlopen)
    d = load_dataset("mnist", tmp_path / "data")
    assert d.x_train.shape == (12, 16)
    assert sorted(p.name for p in (tmp_path / "data" / "mnist").iterdir()) == sorted(blobs)
    assert all(u.startswith("https://") for u in urls) and len(urls) == 4


def test_download_md5_mismatch_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.urllib.request, "urlopen", lambda url, timeout: _FakeResponse(b"not mnist"))
    with pytest.raises(InputError, match="MD5"):
        load_dataset("mnist", tmp_path / "data")
    assert list((tmp_path / "data" / "mnist").iterdir()) == []


def test_download_network_failure_is_one_line(tmp_path, monkeypatch):
    def refuse(url, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(datasets.urllib.request, "urlopen", refuse)
    with pytest.raises(InputError) as err:
        load_dataset("mnist", tmp_path / "data")
    line = err.value.one_line()
    assert "\n" not in line and "Network is unreachable" in line and "could not download mnist" in line
