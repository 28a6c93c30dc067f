"""Pick OpenBLAS's fast kernels before torch loads.

Debian's OpenBLAS does not recognise these virtual Xeons and falls back to generic kernels
(26 GFLOP/s on 2 cores measured here); on a CPU with AVX-512 the SkylakeX kernels reach about
115 GFLOP/s with results matching float64 to 1e-4. Import this module before torch: it re-executes
the script once with OPENBLAS_CORETYPE set, unless the variable is already set or Python was
not started on a script file (tests imported under unittest keep the default kernels).
"""
import os
import sys


def ensure_fast_blas():
    if "OPENBLAS_CORETYPE" in os.environ:
        return
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return
    if " avx512f" in flags and sys.argv and sys.argv[0].endswith(".py") and os.path.isfile(sys.argv[0]):
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        os.execv(sys.executable, [sys.executable] + sys.argv)


ensure_fast_blas()
