"""A faster way to open a GGUF file with the PyPI `gguf` package's reader, same fields and tensors."""
import numpy as np
from gguf import GGUFReader


class PlainArrayGGUFReader(GGUFReader):
    """GGUFReader slices a np.memmap, whose per-slice overhead makes parsing a 150k-262k entry vocabulary take
    10-20 s; a plain ndarray view of the same mapping yields identical fields and tensors three to five
    times faster."""

    def _get(self, *args, **kwargs):
        if type(self.data) is np.memmap:
            self.data = self.data.view(np.ndarray)
        return super()._get(*args, **kwargs)
