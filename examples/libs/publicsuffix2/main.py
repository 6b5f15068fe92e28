"""publicsuffix2: registrable domains from the Public Suffix List (Debian's system copy)."""
from publicsuffix2 import PublicSuffixList, get_sld, get_tld

psl = PublicSuffixList()
for host in ["www.example.co.uk", "a.b.c.kawasaki.jp", "foo.github.io", "bücher.de", "x.city.kobe.jp",
             "example.com", "s3.amazonaws.com"]:
    print(host, psl.get_sld(host), psl.get_tld(host), psl.get_public_suffix(host))
print(get_sld("mail.google.com"), get_tld("www.bbc.co.uk"))
