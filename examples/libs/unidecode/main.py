"""Unidecode: ASCII transliterations of text in many scripts."""
from unidecode import unidecode

for s in ["Škoda Ærøskøbing", "北京市", "Москва", "Αθήνα", "東京 とうきょう", "서울", "Ελλάδα ☺ €5",
          "مرحبا", "हिन्दी", "ﬁ ½ ™"]:
    print(s, "->", unidecode(s))
