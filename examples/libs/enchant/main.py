"""PyEnchant: spell checking with an en_US dictionary through libenchant's providers."""
import enchant
from enchant.checker import SpellChecker

print(enchant.dict_exists("en_US"))
d = enchant.Dict("en_US")
print(d.tag, d.check("hello"), d.check("helo"))
print(d.suggest("helo")[:3])
chk = SpellChecker("en_US")
chk.set_text("This sentance has a mispeled word.")
print([err.word for err in chk])
print(d.provider.name)
