"""dlib's HOG face detector, 5-point landmark model and ResNet face encoder, loaded on first use.

face_recognition's own `api` module loads the 68-point landmark model at import, and that
model's training data (iBUG 300-W) is not licensed for commercial use; so the kiosk never
imports `face_recognition` and reads the two model files it needs straight from the
`face_recognition_models` package (found without importing it, which would pull in
pkg_resources).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.errors import KnownError

FIVE_POINT_MODEL = "shape_predictor_5_face_landmarks.dat"
ENCODER_MODEL = "dlib_face_recognition_resnet_model_v1.dat"
ENCODING_SIZE = 128

# Pixels as numpy arrays (uint8 in practice); loose because OpenCV's stubs return loose types.
Image = npt.NDArray[Any]

_lock = threading.Lock()
_models: FaceModels | None = None


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise KnownError("face.error.models_missing", "face_recognition_models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@dataclass
class FaceModels:
    """The three dlib models, usable from any thread. Two threads in one HOG detector crash
    the process, so each thread gets its own (they are cheap); encoding holds `encode_lock`
    because dlib's network keeps per-instance scratch buffers."""

    detector: Any
    landmarks: Any
    encoder: Any
    encode_lock: threading.Lock = field(default_factory=threading.Lock)
    _per_thread: threading.local = field(default_factory=threading.local)

    def detect(self, grey: Image, upsample: int = 0) -> list[Any]:
        detector = getattr(self._per_thread, "detector", None)
        if detector is None:
            import dlib

            detector = self._per_thread.detector = dlib.get_frontal_face_detector()
        return list(detector(grey, upsample))

    def encode(self, image: Image, shape: Any) -> npt.NDArray[np.float64]:
        with self.encode_lock:
            return np.asarray(self.encoder.compute_face_descriptor(image, shape), np.float64)


def load() -> FaceModels:
    """The shared models, loaded once (about a second) on the first call, never at import."""
    global _models
    with _lock:
        if _models is None:
            import dlib

            d = models_dir()
            for name in (FIVE_POINT_MODEL, ENCODER_MODEL):
                if not (d / name).is_file():
                    raise KnownError("face.error.models_missing", f"{d / name} is missing")
            _models = FaceModels(
                detector=dlib.get_frontal_face_detector(),
                landmarks=dlib.shape_predictor(str(d / FIVE_POINT_MODEL)),
                encoder=dlib.face_recognition_model_v1(str(d / ENCODER_MODEL)),
            )
        return _models
