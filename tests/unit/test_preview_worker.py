"""The process that opens pictures and PDFs keeps to its limits, and says why it refused."""

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import vault
from tests.samples import pdf, phone_photo
from vault.config import Settings
from vault.documents.previews import PreviewFailedError, run_worker


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)


def test_a_thumbnail_of_a_pdf_and_of_a_photo(tmp_path: Path) -> None:
    for paper in (pdf("vignette"), phone_photo(1000, 500, orientation=6)):
        small = Image.open(io.BytesIO(run_worker(settings(tmp_path), "thumbnail", [paper])))
        assert small.format == "JPEG"
        assert max(small.size) == 240


def test_too_little_memory_is_a_refusal_not_a_crash(tmp_path: Path) -> None:
    with pytest.raises(PreviewFailedError) as refused:
        run_worker(settings(tmp_path, preview_memory_mib=8), "thumbnail", [pdf()])
    assert not refused.value.too_many_pixels


def test_a_picture_of_too_many_pixels_is_named_as_such(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("1", (9_000, 7_000)).save(out, "PNG")
    with pytest.raises(PreviewFailedError) as refused:
        run_worker(settings(tmp_path), "photos", [out.getvalue(), phone_photo()])
    assert refused.value.too_many_pixels


def test_the_worker_loads_no_settings_no_keys_no_database() -> None:
    """What a hostile file could reach in the worker: its own libraries, nothing of ours."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; import vault.documents.preview_worker as w;"
            " [w.load_libraries(job) for job in w.LIBRARIES]; print(' '.join(sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(Path(vault.__file__).resolve().parent.parent)},
    ).stdout.split()
    ours = {name for name in loaded if name.split(".")[0] in ("vault", "keys", "storage", "webui")}
    assert ours == {
        "vault",
        "vault.documents",
        "vault.documents.format_checks",
        "vault.documents.pixels",
        "vault.documents.preview_worker",
        "vault.documents.watermark",
    }
    # (pypdf loads `cryptography` to open encrypted PDFs: a library, no key of ours.)
    for name in ("sqlalchemy", "pydantic", "boto3", "argon2"):
        assert name not in loaded
