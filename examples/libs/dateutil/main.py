"""dateutil: parse dates, convert between named zones (tz.gettz), recurrence rules."""
import datetime

from dateutil import parser, relativedelta, rrule, tz

ny = tz.gettz("America/New_York")
tokyo = tz.gettz("Asia/Tokyo")
dt = parser.parse("2023-07-04 09:30:00").replace(tzinfo=ny)
print(dt.isoformat(), dt.tzname())
print(dt.astimezone(tokyo).isoformat(), dt.astimezone(tokyo).tzname())
print(parser.parse("Sat Oct 11 17:13:46 UTC 2003").isoformat())
print((dt + relativedelta.relativedelta(months=+5, weekday=relativedelta.FR(-1))).isoformat())
start = datetime.datetime(2023, 1, 1)
for d in rrule.rrule(rrule.MONTHLY, count=3, byweekday=rrule.MO(1), dtstart=start):
    print(d.date())
print(tz.gettz("Europe/London").utcoffset(datetime.datetime(2023, 6, 1)))
