#!/usr/bin/python3
# A camera model written by mrcal-calibrate-cameras, read through mrcal's own Python API, printed as
# one JSON line: the intrinsics (fx fy cx cy then the distortion, mrcal's = OpenCV's order for the
# LENSMODEL_OPENCVn models), their 1-sigma as mrcal's uncertainty method gives them, the RMS residual
# and the count of corners the solve ignored (not found, or mrcal's outliers).
#
# The 1-sigma follows mrcal's formulation (http://mrcal.secretsauce.net/uncertainty.html): the
# solution's packed state b responds to observation noise of sigma pixels as
#   Var(b) = sigma^2 (J'J)^-1 J_obs' J_obs (J'J)^-1
# (J: the Jacobian of every measurement, regularization included; J_obs: the board observations'
# rows), sigma the RMS of the inlier observations' residuals (mrcal's observed_pixel_uncertainty
# estimate), unpacked to physical units with mrcal.unpack_state's scaling.
#   mrcal_intrinsics.py camera-0.cameramodel
import json
import sys

import numpy as np
import mrcal

m = mrcal.cameramodel(sys.argv[1])
lensmodel, intrinsics = m.intrinsics()
oi = m.optimization_inputs()
b_packed, x, J, _ = mrcal.optimizer_callback(**oi, no_factorization=True)
J = J.toarray()
n_obs = mrcal.num_measurements_boards(**oi)
weights = oi["observations_board"][..., 2].ravel()
inlier = np.repeat(weights > 0, 2)  # x and y of each observed corner
x_obs = x[:n_obs]
sigma = float(np.sqrt(np.mean(x_obs[inlier] ** 2)))
A = np.linalg.inv(J.T @ J)
J_obs = J[:n_obs]
cov_packed = sigma**2 * A @ J_obs.T @ J_obs @ A
scale = np.ones(len(b_packed))
mrcal.unpack_state(scale, **oi)  # the packed -> physical factor of each state variable
i0 = mrcal.state_index_intrinsics(0, **oi)
n = mrcal.num_states_intrinsics(**oi)
s = scale[i0 : i0 + n]
cov = cov_packed[i0 : i0 + n, i0 : i0 + n] * np.outer(s, s)
print(json.dumps({
    "lensmodel": lensmodel,
    "intrinsics": [float(v) for v in intrinsics],
    "sigma_intrinsics": [float(v) for v in np.sqrt(np.diag(cov))],
    "observed_pixel_uncertainty": sigma,
    "rms_px": float(np.sqrt(np.mean(x_obs[inlier] ** 2))),
    "ignored_points": int(np.sum(weights <= 0)),  # corners not found, and mrcal's outliers
    "imagersize": [int(v) for v in m.imagersize()],
}))
