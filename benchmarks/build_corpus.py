"""Prebuilds the shared test corpus into the cache, and prints what it holds.

python benchmarks/build_corpus.py                # every TF model in every mode + mediapipe
python benchmarks/build_corpus.py --small        # skip MobileNetV2
python benchmarks/build_corpus.py --hashes       # sha256 of each file (determinism checks)
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import corpus  # noqa: E402  (needs the path above)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="skip MobileNetV2-sized models")
    parser.add_argument("--models", nargs="+", choices=corpus.TF_MODELS, help="TF models to build")
    parser.add_argument("--no-mediapipe", action="store_true", help="skip the mediapipe models")
    parser.add_argument("--hashes", action="store_true", help="print each file's sha256")
    args = parser.parse_args(argv)

    models = args.models or (corpus.SMALL_TF_MODELS if args.small else corpus.TF_MODELS)
    print(f"cache: {corpus.cache_dir()}")
    for name in models:
        started = time.perf_counter()
        paths = [corpus.tf_model_path(name, mode) for mode in corpus.MODES]
        print(f"{name:<14} {time.perf_counter() - started:6.1f} s")
        for mode, path in zip(corpus.MODES, paths, strict=True):
            print_model(f"  {mode}", path, args.hashes)
    if not args.no_mediapipe:
        started = time.perf_counter()
        paths = corpus.mediapipe_models()
        print(f"mediapipe {corpus.MEDIAPIPE_VERSION}: {len(paths)} models")
        print(f"  {time.perf_counter() - started:.1f} s")
        for path in paths:
            custom = corpus.custom_op_names(path)
            note = f"  custom ops: {', '.join(custom)}" if custom else ""
            print_model(f"  {path.stem}", path, args.hashes, note)
    return 0


def print_model(label: str, path: Path, with_hash: bool, note: str = "") -> None:
    digest = f"  {hashlib.sha256(path.read_bytes()).hexdigest()}" if with_hash else ""
    print(f"{label:<40} {path.stat().st_size:>10,} B{digest}{note}")


if __name__ == "__main__":
    sys.exit(main())
