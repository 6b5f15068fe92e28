"""phonenumbers: parse, validate and format numbers of several regions; geocoding and carriers."""
import phonenumbers
from phonenumbers import carrier, geocoder, timezone

for raw, region in [("+41 44 668 18 00", None), ("020 7946 0958", "GB"), ("(650) 253-0000", "US"),
                    ("+81 3-3224-9999", None), ("+49 30 901820", None), ("+55 11 91234-5678", None)]:
    n = phonenumbers.parse(raw, region)
    print(phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164),
          phonenumbers.is_valid_number(n),
          phonenumbers.region_code_for_number(n),
          phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.INTERNATIONAL), "|",
          geocoder.description_for_number(n, "en"), "|", geocoder.description_for_number(n, "de"),
          "|", carrier.name_for_number(n, "en"), "|", timezone.time_zones_for_number(n))
print(phonenumbers.example_number("FR").national_number)
