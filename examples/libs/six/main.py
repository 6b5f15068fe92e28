"""six: the six.moves aliases of renamed standard modules."""
import six
from six.moves import configparser, filter, http_client, queue, reduce, urllib
from six.moves.urllib.parse import quote, urlparse

print(urlparse("http://example.com/a?b=c").netloc, quote("a b/c"))
print(urllib.parse.urlencode({"k": "v w"}), http_client.responses[404])
print(reduce(lambda a, b: a * b, range(1, 6)), list(filter(None, [0, 1, 2])))
q = queue.Queue()
q.put("x")
print(q.get(), six.text_type.__name__, six.PY3)
cp = configparser.ConfigParser()
cp.read_string("[s]\nk = v\n")
print(cp.get("s", "k"))
from six.moves import html_parser, cPickle, builtins
print(html_parser.HTMLParser.__module__, cPickle.__name__, builtins.__name__)
print(six.moves.urllib.request.Request("http://example.com").get_method())
