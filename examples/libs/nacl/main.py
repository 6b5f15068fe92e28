"""PyNaCl: Ed25519 signatures, SecretBox, Box and BLAKE2b with fixed keys and nonces."""
import nacl.encoding
import nacl.hash
import nacl.pwhash
import nacl.secret
import nacl.signing
from nacl.public import Box, PrivateKey

sk = nacl.signing.SigningKey(bytes(range(32)))
signed = sk.sign(b"attack at dawn")
print(signed.signature.hex())
print(sk.verify_key.verify(signed).decode())
box = nacl.secret.SecretBox(b"k" * 32)
ct = box.encrypt(b"secret", bytes(24))
print(ct.hex(), box.decrypt(ct).decode())
alice, bob = PrivateKey(b"a" * 32), PrivateKey(b"b" * 32)
print(Box(alice, bob.public_key).encrypt(b"hi bob", b"n" * 24).ciphertext.hex())
print(nacl.hash.blake2b(b"data", encoder=nacl.encoding.HexEncoder).decode()[:32])
print(nacl.pwhash.argon2id.kdf(32, b"password", b"0123456789abcdef",
                               opslimit=nacl.pwhash.argon2id.OPSLIMIT_MIN,
                               memlimit=nacl.pwhash.argon2id.MEMLIMIT_MIN).hex())
