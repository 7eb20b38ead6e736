#include "rvkit/io/wire/end_of_stream.hpp"

#include <algorithm>

#include "rvkit/records/eos.hpp"

namespace rvkit::wire {

std::vector<Json> eos_records(const std::vector<std::string>& cams) {
  std::vector<Json> out;
  for (const std::string& cam : cams) {
    records::Eos e;
    e.cam = cam;
    out.push_back(e);
  }
  out.push_back(records::Eos{});
  return out;
}

void CamList::note(const Json& header) {
  auto cam = header.find("cam");
  if (cam == header.end() || !cam->is_string() || cam->get_ref<const std::string&>().empty()) return;
  auto type = header.find("type");  // no copies: this runs for every message written
  if (type != header.end() && type->is_string() && type->get_ref<const std::string&>() == records::Eos::kType) return;
  const std::string& name = cam->get_ref<const std::string&>();
  if (std::find(cams_.begin(), cams_.end(), name) == cams_.end()) cams_.push_back(name);
}

}  // namespace rvkit::wire
