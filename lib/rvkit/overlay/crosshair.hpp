// rvkit overlay: crosshairs at normalised positions, as on a Limelight.
//
// x and y run from -1 to 1 across the image, right and up positive; (0, 0) is the centre.
// A crosshair may belong to one camera ("front=0.1,-0.2") or to all.
#pragma once
#include <string>
#include <vector>

#include "rvkit/overlay/canvas.hpp"

namespace rvkit::overlay {

struct Crosshair {
  std::string cam;  // "" for every camera
  double x = 0, y = 0;
};

// Parses "[CAM=]X,Y"; throws rvkit::OptionError naming the option and the problem.
Crosshair parse_crosshair(const std::string& spec);

class CrosshairStage {
 public:
  explicit CrosshairStage(std::vector<Crosshair> c) : crosshairs_(std::move(c)) {}
  bool empty() const { return crosshairs_.empty(); }
  void draw(Canvas& c, const std::string& cam) const;

 private:
  std::vector<Crosshair> crosshairs_;
};

}  // namespace rvkit::overlay
