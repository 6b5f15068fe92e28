"""soundfile: write a tone to WAV, FLAC and Ogg Vorbis and read it back, as soundfile's README
shows (libsndfile through ctypes.util.find_library('sndfile') and cffi's dlopen)."""
import io

import numpy as np
import soundfile as sf

rate = 8000
t = np.arange(rate // 10) / rate
tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float64)
stereo = np.column_stack([tone, tone[::-1]])

print(sf.__libsndfile_version__.split(".")[0], "major")
for fmt, subtype in [("WAV", "PCM_16"), ("FLAC", "PCM_16"), ("OGG", "VORBIS")]:
    buf = io.BytesIO()
    sf.write(buf, stereo, rate, format=fmt, subtype=subtype)
    buf.seek(0)
    info = sf.info(buf)
    buf.seek(0)
    data, samplerate = sf.read(buf, dtype="float64")
    line = [fmt, info.format_info, info.subtype_info, info.channels, samplerate, data.shape]
    if subtype == "PCM_16":  # lossless: the samples come back to 16-bit precision
        line.append(bool(np.allclose(data, stereo, atol=1 / 2**15)))
    print(*line)
buf = io.BytesIO()
with sf.SoundFile(buf, "w", rate, 1, "PCM_24", format="WAV") as f:
    for block in np.array_split(tone, 4):
        f.write(block)
buf.seek(0)
print([round(float(np.abs(b).max()), 3) for b in sf.blocks(buf, blocksize=200)])
print(sorted(sf.available_formats())[:5])
