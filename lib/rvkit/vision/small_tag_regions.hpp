// rvkit vision: where a decimated AprilTag search may have missed small tags (detect's fine pass).
//
// At decimate 2 a tag whose black square is 14-30 px wide is 7-15 px in the image libapriltag finds
// quads on: its one-cell white border is under a pixel and its quad is often not found, though the
// tag decodes at full resolution. The decimated image still shows such a tag as a dark, compact,
// roughly square blob on a lighter surround, or (on a dark or mid-grey wall) as a light ring, its white
// border, around the square. small_tag_regions() finds those blobs and rings cheaply (a box filter
// and contours on the decimated image) and returns the full-resolution regions around them
// that a decimate-1 search should look at: AprilTagDetector::detect() runs that search there, on the
// region sharpened (AprilTagOptions::fine_sharpen), so a single frame gets better than decimate-1 recall
// for small tags at little more than decimate-2 cost.
//
// Blobs that hold a tag already found, or that are too small, too large (the decimated search finds
// those), too elongated, too hollow or too uniform inside to be a tag's square, are left out. A
// candidate whose tag (square and border) lies inside a region already chosen is dropped; the result
// is at most `max_regions` regions, the most tag-like first, and never more than `max_area_share` of
// the image in all (a cluttered scene costs a bounded amount). Cost: the finder about 1.5 ms at
// 1280x720 and 0.4 ms at 640x480 (2-core EPYC VM), and the searches in its regions.
#pragma once
#include <vector>

#include <opencv2/core.hpp>

#include "rvkit/vision/apriltag_detector.hpp"

namespace rvkit::vision {

struct SmallTagRegionOptions {
  double min_side = 12;          // least black-square side looked for, full-resolution px
  double max_side = 30;          // largest: bigger tags are the decimated search's (it finds nearly all over 20 px)
  int max_regions = 48;          // most regions returned
  double max_area_share = 0.25;  // most of the image they cover in all
};

// `gray`: the full-resolution 8-bit image; `decimate`: the decimated search's factor (regions are
// only found for decimate >= 1.5: below it the search is at full resolution already); `found`: the
// tags that search found. Regions are in full-resolution pixels, within the image.
std::vector<cv::Rect> small_tag_regions(const cv::Mat& gray, double decimate, const std::vector<TagDetection>& found,
                                        const SmallTagRegionOptions& opt = {});

}  // namespace rvkit::vision
