"""pycountry: ISO 3166, 639, 4217 and 15924 lookups, and translated names through gettext."""
import gettext

import pycountry

de = pycountry.countries.get(alpha_2="DE")
print(de.name, de.alpha_3, de.numeric, getattr(de, "official_name", ""))
print(pycountry.countries.lookup("japan").alpha_2, len(pycountry.countries) > 240)
print(pycountry.languages.get(alpha_2="fr").name, pycountry.currencies.get(alpha_3="CHF").name)
print(pycountry.scripts.get(alpha_4="Cyrl").name)
print(sorted(s.code for s in pycountry.subdivisions.get(country_code="LU"))[:4])
german = gettext.translation("iso_3166-1", pycountry.LOCALES_DIR, languages=["de"])
print(german.gettext(de.name), german.gettext("France"))
