"""certifi: the CA bundle path (Debian's certifi points at the system bundle) used by ssl."""
import ssl

import certifi

path = certifi.where()
print(path)
pem = certifi.contents()
print(pem.count("-----BEGIN CERTIFICATE-----") > 100)
ctx = ssl.create_default_context(cafile=path)
names = set()
for c in ctx.get_ca_certs():
    for rdn in c["subject"]:
        for k, v in rdn:
            if k == "commonName":
                names.add(v)
print("ISRG Root X1" in names, "DigiCert Global Root G2" in names)
