"""requests: prepared requests (IDNA host names, encoded params) and a response whose text is
decoded with the detected character set; no network."""
import requests
from requests.structures import CaseInsensitiveDict

req = requests.Request("GET", "http://bücher.example/søg", params={"q": "café crème", "n": 2},
                       headers={"Accept": "text/html"}).prepare()
print(req.method, req.url)
print(requests.utils.requote_uri("http://example.com/a b?x=ä"))

resp = requests.models.Response()
resp.status_code = 200
resp.headers = CaseInsensitiveDict({"Content-Type": "text/plain"})
resp._content = ("日本語のテキストです。文字コードを自動的に判定します。"
                 "これは長めの文章で、判定が安定するようにしています。").encode("shift_jis")
print(resp.encoding, resp.apparent_encoding)
resp.encoding = resp.apparent_encoding
print(resp.text[:12])
resp._content = "Grüße aus Köln, schöne Straße".encode("latin-1")
resp.encoding = "iso-8859-1"
print(resp.text)
print(requests.codes.teapot, requests.status_codes._codes[404][0])
