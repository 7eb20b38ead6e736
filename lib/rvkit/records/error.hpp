// rvkit records: the error every record reader throws.
//
// A record that does not match its definition in docs/records.md is reported in one line that names
// the record type, the field (as a path into the record) and the problem, the way the message format's
// errors name theirs:
//   detections: tags[2].corners: expected 4 [x, y] pairs of pixel coordinates
// Readers of a part of a record (overlay reads the tags of any record) get the path without the type.
#pragma once
#include "rvkit/core/error.hpp"

namespace rvkit::records {

class RecordError : public Error {
 public:
  using Error::Error;
};

}  // namespace rvkit::records
