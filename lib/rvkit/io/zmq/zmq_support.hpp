// rvkit io, private: what the ZeroMQ transports share (zmq_transport.cpp and the files beside it).
//
// The process's one ZeroMQ context, endpoint specs ("@tcp://*:5555?topic=frame/"), and binding or
// connecting as a spec says. Not for tools: they open endpoints through rvkit/io/transport.hpp.
//
// Threading: a ZeroMQ socket belongs to one thread at a time. context() is thread-safe.
#pragma once
#include <zmq.hpp>

#include <string>
#include <vector>

namespace rvkit::zmqio {

zmq::context_t& context();

struct Endpoint {
  std::string address;
  bool bind = false;
  std::vector<std::string> topics;  // inputs' ?topic= filters; {""} when none
};

// Parses "[@|>]ADDRESS[?topic=PREFIX[&topic=...]]"; throws Error naming the spec.
Endpoint parse_endpoint(const std::string& spec, bool bind_default);
// Binds or connects the socket as the endpoint says; a failure names the spec.
void attach(zmq::socket_t& sock, const Endpoint& e, const std::string& spec);

}  // namespace rvkit::zmqio
