"""PyCryptodome (Cryptodome): AES-GCM, ChaCha20, SHA-3, HMAC and scrypt with fixed inputs."""
from Cryptodome.Cipher import AES, ChaCha20
from Cryptodome.Hash import HMAC, SHA3_256, SHA256, BLAKE2b
from Cryptodome.Protocol.KDF import scrypt
from Cryptodome.Util.Padding import pad

key = bytes(range(16))
cipher = AES.new(key, AES.MODE_GCM, nonce=bytes(12))
ct, tag = cipher.encrypt_and_digest(b"attack at dawn")
print(ct.hex(), tag.hex())
print(AES.new(key, AES.MODE_CBC, iv=bytes(16)).encrypt(pad(b"hello", 16)).hex())
print(ChaCha20.new(key=bytes(32), nonce=bytes(8)).encrypt(b"stream").hex())
print(SHA3_256.new(b"abc").hexdigest())
print(HMAC.new(b"k", b"msg", digestmod=SHA256).hexdigest()[:32])
print(BLAKE2b.new(digest_bits=256, data=b"x").hexdigest()[:32])
print(scrypt(b"password", b"salt", 16, N=1024, r=8, p=1).hex())
