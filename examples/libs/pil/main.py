"""Pillow: draw an image, save it as PNG, JPEG and GIF, open each again."""
import hashlib
import io

from PIL import Image, ImageDraw, ImageFilter, ImageOps

img = Image.new("RGB", (64, 48), (20, 40, 200))
draw = ImageDraw.Draw(img)
draw.rectangle((8, 8, 40, 30), fill=(250, 200, 0))
draw.ellipse((30, 20, 60, 44), outline=(255, 255, 255), width=2)
print("raw", hashlib.sha256(img.tobytes()).hexdigest()[:16])
for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP"):
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    buf.seek(0)
    back = Image.open(buf)
    back.load()
    print(fmt, back.format, back.mode, back.size, back.convert("RGB").getpixel((10, 10)))
small = ImageOps.grayscale(img.filter(ImageFilter.GaussianBlur(2))).resize((16, 12))
print("thumb", hashlib.sha256(small.tobytes()).hexdigest()[:16])
