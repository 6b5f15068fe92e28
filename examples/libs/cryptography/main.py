"""cryptography: hashes, HMAC, Fernet, Ed25519 and AES-GCM with fixed keys."""
import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

h = hashes.Hash(hashes.SHA256())
h.update(b"hello world")
print(h.finalize().hex())
m = hmac.HMAC(b"secret", hashes.SHA512())
m.update(b"message")
print(m.finalize().hex()[:32])
kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=b"salt" * 4, iterations=1000)
key = base64.urlsafe_b64encode(kdf.derive(b"password"))
print(key.decode())
f = Fernet(key)
print(f.decrypt(f.encrypt(b"a secret message")).decode())
sk = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
print(sk.sign(b"data").hex()[:64])
print(sk.public_key().public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode().strip())
print(AESGCM(bytes(16)).encrypt(bytes(12), b"plaintext", b"aad").hex())
