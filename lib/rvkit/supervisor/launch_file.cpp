// rvkit supervisor: the launch file (a placeholder until the parser lands; see launch_file.hpp).
#include "rvkit/supervisor/launch_file.hpp"

namespace rvkit::supervisor {

const char* to_string(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::Always: return "always";
    case RestartPolicy::OnFailure: return "on-failure";
    case RestartPolicy::Never: return "never";
  }
  return "?";
}

}  // namespace rvkit::supervisor
