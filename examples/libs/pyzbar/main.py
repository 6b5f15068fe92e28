"""pyzbar: read a QR code that qrcode drew, as pyzbar's README shows (libzbar through ctypes)."""
import io

import qrcode
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol, decode

img = qrcode.make("https://example.com/distill?x=1")
buf = io.BytesIO()
img.save(buf, format="PNG")
buf.seek(0)
for symbol in decode(Image.open(buf), symbols=[ZBarSymbol.QRCODE]):
    print(symbol.type, symbol.data.decode())
