#include "synthetic_tags.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <apriltag/apriltag.h>
#include <apriltag/common/image_u8.h>
#include <apriltag/tag16h5.h>
#include <apriltag/tag36h11.h>
#include <opencv2/imgproc.hpp>

using rvkit::geometry::Pose3;

namespace synth {

namespace {

// Tag model frame used by the homography: x to the viewer's right, y down, z into the tag.
const cv::Matx33d kModelFromTag(0, 1, 0, 0, 0, -1, -1, 0, 0);
const cv::Matx33d kOpticalFromCamera(0, -1, 0, 0, 0, -1, 1, 0, 0);

struct Family {
  apriltag_family_t* f;
  void (*destroy)(apriltag_family_t*);
  explicit Family(const std::string& name) {
    if (name == "36h11") {
      f = tag36h11_create();
      destroy = tag36h11_destroy;
    } else if (name == "16h5") {
      f = tag16h5_create();
      destroy = tag16h5_destroy;
    } else {
      throw std::runtime_error("synthetic: unknown family " + name);
    }
  }
  ~Family() { destroy(f); }
};

// libapriltag's image of a tag (white outer border included), padded with `pad` more white cells.
cv::Mat tag_bitmap(apriltag_family_t* fam, int id, int pad) {
  image_u8_t* im = apriltag_to_image(fam, id);
  cv::Mat m(im->height, im->width, CV_8UC1, im->buf, size_t(im->stride));
  cv::Mat out;
  cv::copyMakeBorder(m, out, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(255));
  image_u8_destroy(im);
  return out;
}

// Homography from the tag plane (model x, y in metres) to image pixels.
cv::Matx33d plane_to_image(const Camera& cam, const Tag& tag) {
  cv::Matx33d r = kOpticalFromCamera * rvkit::vision::to_cv(tag.camera_to_tag.R) * kModelFromTag.t();
  cv::Vec3d t = kOpticalFromCamera * rvkit::vision::to_cv(tag.camera_to_tag.t);
  cv::Matx33d m(r(0, 0), r(0, 1), t[0], r(1, 0), r(1, 1), t[1], r(2, 0), r(2, 1), t[2]);
  return cam.K * m;
}

}  // namespace

Camera Camera::with_hfov(int w, int h, double hfov_deg) {
  double f = (w / 2.0) / std::tan(hfov_deg * M_PI / 360);
  return Camera{cv::Matx33d(f, 0, (w - 1) / 2.0, 0, f, (h - 1) / 2.0, 0, 0, 1), w, h};
}

Pose3 tag_in_front(double distance, double left, double up, double yaw_deg, double pitch_deg, double roll_deg) {
  // A tag facing the camera has its X axis pointing back at it (yaw 180 deg in the camera frame).
  constexpr double d = M_PI / 180;
  Pose3 facing = Pose3::from_xyz_rpy(distance, left, up, 0, 0, M_PI);
  Pose3 turn = Pose3::from_xyz_rpy(0, 0, 0, roll_deg * d, pitch_deg * d, yaw_deg * d);
  return facing * turn;
}

std::array<cv::Point2d, 4> true_corners(const Camera& cam, const Tag& tag) {
  cv::Matx33d H = plane_to_image(cam, tag);
  double h = tag.size / 2;
  const cv::Vec3d model[4] = {{-h, h, 1}, {h, h, 1}, {h, -h, 1}, {-h, -h, 1}};
  std::array<cv::Point2d, 4> out;
  for (int i = 0; i < 4; ++i) {
    cv::Vec3d p = H * model[i];
    out[size_t(i)] = {p[0] / p[2], p[1] / p[2]};
  }
  return out;
}

cv::Mat render(const Camera& cam, const std::vector<Tag>& tags_in, const RenderOptions& opt) {
  cv::RNG rng(opt.seed);
  // Background: soft random blotches between 60 and 190.
  cv::Mat small(std::max(2, cam.h / 40), std::max(2, cam.w / 40), CV_8UC1);
  rng.fill(small, cv::RNG::UNIFORM, 60, 190);
  cv::Mat img;
  cv::resize(small, img, cv::Size(cam.w, cam.h), 0, 0, cv::INTER_CUBIC);

  Family fam(opt.family);
  const int S = opt.supersample, pad = 2;
  const cv::Matx33d A(S, 0, S / 2.0 - 0.5, 0, S, S / 2.0 - 0.5, 0, 0, 1);  // low-res -> supersampled pixels

  std::vector<Tag> tags = tags_in;  // far to near, so nearer tags cover farther ones
  std::sort(tags.begin(), tags.end(), [](const Tag& a, const Tag& b) {
    return a.camera_to_tag.t.norm() > b.camera_to_tag.t.norm();
  });
  for (const Tag& tag : tags) {
    if (tag.camera_to_tag.t[0] <= 0.05) throw std::runtime_error("synthetic: tag behind the camera");
    cv::Mat bits = tag_bitmap(fam.f, tag.id, pad);
    cv::Mat grey;
    bits.convertTo(grey, CV_8UC1, (220.0 - 30.0) / 255.0, 30.0);  // ink 30, paper 220
    const int N = bits.cols;
    const double c = tag.size / fam.f->width_at_border;
    const cv::Matx33d M(c, 0, -c * (N - 1) / 2.0, 0, c, -c * (N - 1) / 2.0, 0, 0, 1);  // bitmap px -> metres
    cv::Matx33d H = plane_to_image(cam, tag) * M;  // bitmap px -> image px

    // Image-space bounding box of the padded sheet.
    std::vector<cv::Point2d> src = {{-0.5, -0.5}, {N - 0.5, -0.5}, {N - 0.5, N - 0.5}, {-0.5, N - 0.5}}, dst;
    cv::perspectiveTransform(src, dst, cv::Mat(H));
    cv::Rect box = cv::boundingRect(std::vector<cv::Point2f>(dst.begin(), dst.end()));
    box.x -= 2;
    box.y -= 2;
    box.width += 4;
    box.height += 4;
    if ((box & cv::Rect(0, 0, cam.w, cam.h)) != box) throw std::runtime_error("synthetic: tag not fully in view");

    cv::Mat roi = img(box);
    cv::Mat hi;
    cv::resize(roi, hi, cv::Size(), S, S, cv::INTER_NEAREST);
    cv::Matx33d shift(1, 0, -box.x, 0, 1, -box.y, 0, 0, 1);
    cv::Matx33d Hh = A * shift * H;
    cv::Mat warped, mask, ones(bits.size(), CV_8UC1, cv::Scalar(255));
    cv::warpPerspective(grey, warped, cv::Mat(Hh), hi.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT);
    cv::warpPerspective(ones, mask, cv::Mat(Hh), hi.size(), cv::INTER_NEAREST, cv::BORDER_CONSTANT);
    warped.copyTo(hi, mask);
    cv::resize(hi, roi, roi.size(), 0, 0, cv::INTER_AREA);
  }
  if (opt.blur_sigma > 0) cv::GaussianBlur(img, img, cv::Size(0, 0), opt.blur_sigma);
  if (opt.noise_sigma > 0) {
    cv::Mat noise(img.size(), CV_16SC1);
    rng.fill(noise, cv::RNG::NORMAL, 0, opt.noise_sigma);
    cv::Mat f;
    img.convertTo(f, CV_16SC1);
    f += noise;
    f.convertTo(img, CV_8UC1);
  }
  return img;
}

}  // namespace synth

namespace synth {

std::vector<Tag> visible_tags(const Camera& cam, const Pose3& field_to_camera, const std::map<int, Pose3>& layout,
                              double tag_size, double max_angle_deg, double max_distance) {
  std::vector<Tag> out;
  Pose3 camera_from_field = field_to_camera.inverse();
  for (const auto& [id, field_to_tag] : layout) {
    Tag t{id, camera_from_field * field_to_tag, tag_size};
    cv::Vec3d to_camera = rvkit::vision::to_cv(field_to_camera.t - field_to_tag.t);
    double dist = cv::norm(to_camera);
    cv::Vec3d normal(field_to_tag.R(0, 0), field_to_tag.R(1, 0), field_to_tag.R(2, 0));  // tag X axis
    if (dist > max_distance || t.camera_to_tag.t[0] < 0.3) continue;
    if (normal.dot(to_camera) / dist < std::cos(max_angle_deg * M_PI / 180)) continue;
    bool inside = true;
    Tag sheet = t;  // the white card around the tag must be in view too
    sheet.size *= 1.8;
    for (const auto& c : true_corners(cam, sheet))
      inside = inside && c.x > 8 && c.y > 8 && c.x < cam.w - 9 && c.y < cam.h - 9;
    if (inside) out.push_back(t);
  }
  return out;
}

}  // namespace synth
