"""pyzmq: PAIR and PUB/SUB sockets over inproc transport in one process."""
import zmq

ctx = zmq.Context()
a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
a.bind("inproc://pair")
b.connect("inproc://pair")
a.send_string("ping")
print(b.recv_string())
b.send_json({"pong": [1, 2, 3]})
print(a.recv_json())
a.send_multipart([b"k", b"v"])
print(b.recv_multipart())
poller = zmq.Poller()
poller.register(a, zmq.POLLIN)
print(poller.poll(10))
try:
    a.recv(zmq.NOBLOCK)
except zmq.Again as e:
    print(type(e).__name__, e.errno == zmq.EAGAIN)
print(zmq.zmq_version_info() >= (4,), zmq.backend.Socket.__module__)
a.close()
b.close()
ctx.term()
