"""pytz: localize and convert times in named zones."""
import datetime

import pytz

utc = pytz.utc
for name in ("Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles", "Australia/Lord_Howe"):
    zone = pytz.timezone(name)
    local = zone.localize(datetime.datetime(2023, 3, 26, 12, 0, 0))
    print(name, local.isoformat(), local.tzname(), local.astimezone(utc).isoformat())
print(pytz.timezone("US/Eastern").normalize(
    utc.localize(datetime.datetime(2023, 11, 5, 6, 30)).astimezone(pytz.timezone("US/Eastern"))))
print(len(pytz.all_timezones) > 400, "Europe/Paris" in pytz.common_timezones)
