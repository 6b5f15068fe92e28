"""bs4: parse documents in legacy encodings, as Beautiful Soup's documentation shows
(UnicodeDammit with the encodings the user suspects, from_encoding, output encodings)."""
from bs4 import BeautifulSoup, UnicodeDammit

russian = "<p>Привет, мир: кодировка</p>"
dammit = UnicodeDammit(russian.encode("koi8_r"), ["cp1251", "koi8_r"])
print(dammit.original_encoding, dammit.unicode_markup)

soup = BeautifulSoup("<html><body><h1>Grüße</h1><p>naïve café</p></body></html>".encode("cp1252"),
                     "html.parser", from_encoding="windows-1252")
print(soup.original_encoding, soup.h1.string, soup.p.string)
print(soup.p.encode("iso8859_15"))
print(soup.prettify("utf-16").decode("utf-16").splitlines()[2].strip())
