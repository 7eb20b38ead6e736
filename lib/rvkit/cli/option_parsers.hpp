// rvkit: the parsers of the option values several tools share, with one wording for their errors.
//
//   --size WxH            parse_frame_size    (cap, overlay; 32..8192 each)
//   --robot-to-camera x,y,z,roll,pitch,yaw, --field-size LENGTH,WIDTH
//                         parse_number_list   (a fixed count of comma-separated numbers)
//   --aspect MIN-MAX, --fullness MIN-MAX
//                         parse_number_range
//
// Each throws rvkit::OptionError ("OPTION 'VALUE': problem"; rvkit/cli/option_error.hpp), which
// run_tool() reports as one line and exit status 2. They take the option's name only to word the
// error. Numbers are read with std::from_chars: the locale never changes what "0.5" means; spaces
// around a number are allowed, NaN and infinities are not. No CLI11 here, so library modules may
// parse with them too; rvkit/cli/shared_options.hpp declares the options themselves.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "rvkit/core/option_error.hpp"

namespace rvkit {

// A frame size in pixels; 0x0 (empty) is "not given".
struct FrameSize {
  int width = 0, height = 0;
  bool empty() const { return width == 0 && height == 0; }
  bool operator==(const FrameSize& o) const { return width == o.width && height == o.height; }
};

// The range of every --size: 32 px is the smallest frame the test pattern renders; 8192 covers 8K
// video and keeps a BGR frame (192 MiB at 8192x8192) within what a --max-bytes can allow.
constexpr int kMinFrameSide = 32;
constexpr int kMaxFrameSide = 8192;

// "WxH" (an upper-case X too), each side kMinFrameSide..kMaxFrameSide.
FrameSize parse_frame_size(std::string_view option, const std::string& text);

// Exactly as many comma-separated finite numbers as `form` has names ("x,y,z,roll,pitch,yaw" is 6),
// in order; `form` words the error.
std::vector<double> parse_number_list(std::string_view option, const std::string& text, std::string_view form);

struct NumberRange {
  double min = 0, max = 0;
};
// "MIN-MAX" with MIN <= MAX (either may be negative: "-1-2" is -1..2).
NumberRange parse_number_range(std::string_view option, const std::string& text);

}  // namespace rvkit
