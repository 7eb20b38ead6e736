// rvkit nt: a pose as the NetworkTables type `struct:Pose3d` (WPILib's struct serialization), so
// AdvantageScope, Glass and WPILib's StructSubscriber decode what ntpub publishes and ntsub can read
// what robot code publishes. The pose itself is geometry::Pose3; only the byte layout lives here.
#pragma once
#include <array>
#include <optional>
#include <utility>

#include "rvkit/geometry/pose.hpp"
#include "rvkit/nt/value.hpp"

namespace rvkit::nt {

// struct:Pose3d: Translation3d (x, y, z) then Rotation3d (Quaternion w, x, y, z): 7 little-endian
// doubles. The quaternion is written unit, with w >= 0.
Bytes pack_pose3d(const geometry::Pose3& p);
// nullopt unless `b` is 56 bytes; the quaternion is normalised (a zero one reads as no rotation).
std::optional<geometry::Pose3> unpack_pose3d(const Bytes& b);
// The struct schemas struct:Pose3d depends on, as (type name, schema text), innermost first.
const std::array<std::pair<const char*, const char*>, 4>& pose3d_schemas();

}  // namespace rvkit::nt
