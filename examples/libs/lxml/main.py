"""lxml: parse XML from a file, XPath, XSLT, HTML parsing, and a document in Shift_JIS."""
import os

from lxml import etree, html

here = os.path.dirname(os.path.abspath(__file__))
doc = etree.parse(os.path.join(here, "books.xml"))
print([t.text for t in doc.xpath("//book[price > 10]/title")])
print(doc.xpath("sum(//price)"))
transform = etree.XSLT(etree.parse(os.path.join(here, "books.xsl")))
print(str(transform(doc)).strip())
root = html.fromstring("<div><p class='a'>Hello <b>world</b></p><a href='/x'>link</a></div>")
print(root.text_content(), [a.get("href") for a in root.iter("a")])
print(etree.tostring(root.find(".//p"), method="html").decode())
sjis = '<?xml version="1.0" encoding="Shift_JIS"?><msg>こんにちは、世界</msg>'.encode("shift_jis")
print(etree.fromstring(sjis).text)
el = etree.Element("root", nsmap={"x": "urn:x"})
etree.SubElement(el, "{urn:x}child").text = "ü"
print(etree.tostring(el, encoding="iso-8859-1").decode("iso-8859-1"))
