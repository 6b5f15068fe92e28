"""Babel: dates, numbers and currencies formatted with CLDR locale data."""
import datetime

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_currency, format_decimal

d = datetime.date(2023, 3, 14)
dt = datetime.datetime(2023, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)
for loc in ("en_US", "de_DE", "fr_FR", "ja_JP"):
    print(loc, "|", format_date(d, format="full", locale=loc), "|",
          format_decimal(1234567.891, locale=loc), "|",
          format_currency(1099.98, "EUR", locale=loc))
print(format_datetime(dt, "EEEE d MMMM y HH:mm zzzz", tzinfo=get_timezone("Europe/Berlin"),
                      locale="de_DE"))
print(Locale.parse("pt_BR").get_display_name("en"), "/", Locale("ja").display_name)
