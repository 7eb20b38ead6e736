// rvkit supervisor: the client side of `hub run`'s control socket (control_server.hpp has the
// protocol), for `hub status`, `hub restart`, `hub stop` and `hub logs`.
//
// One request, one reply, one connection, bounded by a timeout: a hub run that hangs makes the
// client fail with a clear line instead of waiting forever. Every failure is an rvkit::Error with
// one line naming the socket: "no hub run is listening on PATH" (no socket file, or nobody
// behind it), "no reply from the hub run on PATH within 5 s", a malformed reply. Blocking; any
// thread.
#pragma once
#include <string>

#include "rvkit/core/json.hpp"

namespace rvkit::supervisor {

// Sends `request` (a JSON object) to the control socket at `path` ("" = default_control_path())
// and returns the reply object, whether its "ok" is true or false.
Json control_request(const std::string& path, const Json& request, double timeout_s = 5);

// control_request(), and a reply {"ok":false,"error":E} thrown as rvkit::Error(E).
Json control_call(const std::string& path, const Json& request, double timeout_s = 5);

}  // namespace rvkit::supervisor
