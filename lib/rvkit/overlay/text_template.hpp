// rvkit overlay: --text templates, e.g. 'RPM {/SmartDashboard/Shooter/RPM:%.0f}'.
//
// Text outside braces is kept ('{{' and '}}' are literal braces). A field is {KEY} or {KEY:FORMAT}:
//
//   {/SmartDashboard/Shooter/RPM}       the latest value of an NT topic (`nt` / `nt_snapshot` records
//                                       from ntsub); a KEY starting with '/' is a topic
//   {detections/field_pose/distance}    TYPE/POINTER: a field of the newest record of that type for this
//   {detections@front/tags/0/id}        frame's camera (its own record when it has one; records without
//                                       a cam count for every camera), or of camera CAM with TYPE@CAM.
//                                       POINTER is a JSON Pointer (RFC 6901) without its leading '/'
//   {#detections/tags}  {#/topic}       the number of elements of an array or object (0 when absent)
//   {cam} {seq} {w} {h} {fps} {latency} {time} {tags} {targets}
//                                       built-ins: the frame's camera, sequence number and size, the
//                                       camera's frame rate, now minus t_capture in ms, t_capture as
//                                       HH:MM:SS.mmm UTC, tags and targets in the frame's record
//
// FORMAT is one printf conversion: %d %i %u %x %X %o %f %F %e %E %g %G %s, with flags, a width and a
// precision (each at most 2 digits), e.g. %.0f, %5.1f, %+d, %08.3f, %-6s. Without one: integers as
// integers, other numbers with 2 decimals (trailing zeros trimmed), strings as they are, booleans
// true/false, arrays and objects as compact JSON. A value that is not there yet shows as '--'.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "rvkit/core/json.hpp"
#include "rvkit/overlay/records.hpp"

namespace rvkit::overlay {

// What a template may refer to, for one frame.
struct TemplateContext {
  std::string cam;
  int64_t seq = 0, t_capture = 0;
  int w = 0, h = 0;
  double fps = 0;         // 0: not known yet
  double latency_ms = 0;
  const Record* frame_record = nullptr;  // the frame's own record, if it has one
  const RecordStore* store = nullptr;
};

class TextTemplate {
 public:
  // Throws rvkit::OptionError naming the template and the problem, e.g.
  //   --text 'RPM {/x:%q}': '%q' is not a printf format for one value (e.g. %.2f, %d, %s)
  static TextTemplate parse(const std::string& text);

  std::string render(const TemplateContext& ctx) const;

  const std::string& text() const { return text_; }
  const std::set<std::string>& topics() const { return topics_; }  // NT topics it reads
  const std::set<std::string>& types() const { return types_; }    // record types it reads

 private:
  enum class Kind { Literal, Builtin, Topic, Field };
  struct Part {
    Kind kind = Kind::Literal;
    std::string text;      // literal text, built-in name, topic, or record type
    std::string cam;       // TYPE@CAM
    Json::json_pointer pointer;
    bool count = false;    // {#...}
    std::string format;    // printf conversion, "" for the default
  };
  std::string text_;
  std::vector<Part> parts_;
  std::set<std::string> topics_, types_;
};

// Formats one value with a printf conversion as above (format "" = the default); exposed for tests.
std::string format_value(const Json& v, const std::string& format);

}  // namespace rvkit::overlay
