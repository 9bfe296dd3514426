"""The vendor-BLAS ceiling for bench/peers-node.ts --ceiling: fp32 C = A·B, N×N, with
PyTorch on CUDA (cuBLAS), TF32 off so that it is true fp32 like every WebGPU backend.
Inputs uniform in [-1, 1]; a warm-up, then repeats timed with CUDA events (median, min);
one sampled row is checked against float64 so a wrong result is not counted.

usage: python3 bench/cublas.py 256,512,1024   → JSON on stdout
"""
import json
import statistics
import sys

import torch


def time_matmul(n: int, repeats: int) -> dict:
    g = torch.Generator(device="cuda").manual_seed(n)
    a = torch.rand(n, n, device="cuda", generator=g) * 2 - 1
    b = torch.rand(n, n, device="cuda", generator=g) * 2 - 1
    c = a @ b  # warm-up (and cuBLAS heuristics)
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        c = a @ b
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    row = n // 3
    ref = a[row].double() @ b.double()
    err = float((c[row].double() - ref).norm() / ref.norm())
    if err > 1e-5:
        raise SystemExit(f"cublas.py: matmul {n} is wrong: relative error {err:.2e} > 1e-5")
    med = statistics.median(times)
    return {"n": n, "medianMs": med, "minMs": min(times), "gflops": 2 * n**3 / (med / 1000) / 1e9, "relError": err}


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sizes = [int(s) for s in sys.argv[1].split(",")]
    if not torch.cuda.is_available():
        raise SystemExit("cublas.py: PyTorch sees no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    results = [time_matmul(n, repeats=20 if n <= 2048 else 10) for n in sizes]
    print(json.dumps({
        "library": f"PyTorch {torch.__version__} cuBLAS",
        "device": torch.cuda.get_device_name(0),
        "tf32": bool(torch.backends.cuda.matmul.allow_tf32),
        "results": results,
    }))


if __name__ == "__main__":
    main()
