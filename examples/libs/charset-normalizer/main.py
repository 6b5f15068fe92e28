"""charset_normalizer: find the encoding of byte strings, among every codec Python has."""
from charset_normalizer import from_bytes

samples = [
    ("日本語の文章をいくつか書きます。これは文字コード判定のための例文です。", "shift_jis"),
    ("这是一个用于检测字符编码的中文句子，内容比较长一些，以便检测结果稳定。", "gb18030"),
    ("Это предложение на русском языке для определения кодировки текста.", "cp1251"),
    ("Grüße aus München — übermäßig schön, naïve Café-Kultur.", "cp1252"),
    ("Ελληνικό κείμενο για την ανίχνευση της κωδικοποίησης χαρακτήρων.", "iso8859_7"),
]
for text, codec in samples:
    best = from_bytes(text.encode(codec)).best()
    print(codec, "->", best.encoding, str(best) == text, best.language)
