"""NumPy: arrays, linear algebra, FFT and a seeded random generator."""
import numpy as np

a = np.array([[3.0, 1.0, 2.0], [1.0, 4.0, 0.5], [2.0, 0.5, 5.0]])
b = np.array([1.0, 2.0, 3.0])
x = np.linalg.solve(a, b)
print(np.round(x, 6).tolist())
print(np.round(np.linalg.eigvalsh(a), 6).tolist())
print(np.round(np.linalg.det(a), 6), np.allclose(a @ x, b))
print(np.round(np.abs(np.fft.fft(np.arange(8.0))), 4).tolist())
rng = np.random.default_rng(12345)
print(rng.integers(0, 100, size=5).tolist())
m = np.arange(12).reshape(3, 4)
print(m.sum(axis=0).tolist(), m.T.shape, m.dtype.name, np.median(m))
print(np.array(["a", "bb"]).dtype.str, np.datetime64("2023-01-01") + np.timedelta64(40, "D"))
