"""chardet: detect the encoding of text encoded with codecs named by string, and decode it."""
import codecs

import chardet

samples = [
    ("日本語の文章をいくつか書きます。これは文字コード判定のための例文です。", "shift_jis"),
    ("日本語の文章をいくつか書きます。これは文字コード判定のための例文です。", "euc_jp"),
    ("这是一个用于检测字符编码的中文句子，内容比较长一些，以便检测结果稳定。", "gb2312"),
    ("這是一個用於檢測字元編碼的中文句子，內容比較長一些，以便檢測結果穩定。", "big5"),
    ("이것은 문자 인코딩을 감지하기 위한 한국어 문장입니다. 조금 더 길게 씁니다.", "euc_kr"),
    ("Это предложение на русском языке для определения кодировки текста.", "koi8_r"),
    ("Это предложение на русском языке для определения кодировки текста.", "cp1251"),
    ("Ελληνικό κείμενο για την ανίχνευση της κωδικοποίησης χαρακτήρων.", "iso8859_7"),
]
for text, codec in samples:
    data = text.encode(codec)
    guess = chardet.detect(data)
    name = guess["encoding"]
    print(codec, "->", name, codecs.lookup(name).name, data.decode(name) == text)
print(codecs.lookup("cp932").name, "ä€".encode("cp1252").hex(), b"\x82\xa0".decode("cp932"))
