#!/usr/bin/env python3
"""Scipy restatement of medpy.metric.binary dc / jc / hd95 / asd (medpy 0.4.0 semantics, METRICS.md).

medpy itself is not installable here, so this re-derives it from the specification: surfaces are
`M XOR binary_erosion(M)` with the face-connected structure (connectivity 1, outside = background),
distances come from scipy's exact `distance_transform_edt(~surface, sampling=spacing)` read at the other
mask's surface voxels (C order), hd95 is `numpy.percentile(..., 95)` of both directions pooled and asd the
`ndarray.mean()` of the prediction -> reference direction. It works on the whole array, as medpy does.

Usage (Debian's python3 has scipy: apt-get install -y python3-scipy python3-numpy):
    /usr/bin/python3 medpy_reference.py PRED.nii[.gz] REF.nii[.gz] [--spacing x,y,z] [--asd-direction ref-to-pred]

    /usr/bin/python3 medpy_reference.py --check-vectors ../../test/fixtures/metric-vectors

Prints one JSON object: dice, jaccard, hd95, asd, emptyPrediction, emptyReference. Arrays are read the way
ssl-bench reads NIfTI (C order = header dims reversed); --spacing is given in header (x, y, z) order.
"""
import argparse
import gzip
import json
import struct
import sys

import numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure

NIFTI_DTYPES = {2: "u1", 4: "i2", 8: "i4", 16: "f4", 64: "f8", 256: "i1", 512: "u2", 768: "u4", 1024: "i8", 1280: "u8"}


def read_nifti1(path):
    """Minimal NIfTI-1 reader: returns (C-order array with the header dims reversed, spacing in that order)."""
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    endian = "<" if struct.unpack("<i", raw[0:4])[0] == 348 else ">"
    if struct.unpack(endian + "i", raw[0:4])[0] != 348:
        sys.exit(f"{path}: not a NIfTI-1 file")
    dim = struct.unpack(endian + "8h", raw[40:56])
    datatype = struct.unpack(endian + "h", raw[70:72])[0]
    pixdim = struct.unpack(endian + "8f", raw[76:108])
    vox_offset = int(struct.unpack(endian + "f", raw[108:112])[0])
    ndim = dim[0]
    dims = list(dim[1 : ndim + 1])
    spacing = [abs(float(p)) for p in pixdim[1 : ndim + 1]]
    while len(dims) > 1 and dims[-1] == 1:  # same convention as ssl-bench: trailing singletons dropped
        dims.pop()
        spacing.pop()
    count = int(np.prod(dims))
    dtype = np.dtype(endian + NIFTI_DTYPES[datatype])
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=vox_offset)
    return data.reshape(dims[::-1]), spacing[::-1]


def border(mask, structure):
    return mask ^ binary_erosion(mask, structure=structure, iterations=1)


def directed_distances(a_border, b_border, spacing):
    """Distance from every surface voxel of A (C order) to the nearest surface voxel of B."""
    field = distance_transform_edt(~b_border, sampling=spacing)
    return field[a_border]


def metrics(pred, ref, spacing, asd_direction="pred-to-ref"):
    p = np.atleast_1d(pred.astype(bool))
    r = np.atleast_1d(ref.astype(bool))
    n_p = int(np.count_nonzero(p))
    n_r = int(np.count_nonzero(r))
    inter = int(np.count_nonzero(p & r))
    out = {"emptyPrediction": n_p == 0, "emptyReference": n_r == 0}
    if n_p == 0 or n_r == 0:
        # medpy raises here; the papers' test loops record (0, 0, 0, 0).
        out.update(dice=0.0, jaccard=0.0, hd95=0.0, asd=0.0)
        return out
    out["dice"] = 2.0 * inter / float(n_p + n_r)
    out["jaccard"] = inter / float(n_p + n_r - inter)
    structure = generate_binary_structure(p.ndim, 1)
    sampling = np.asarray(spacing, dtype=np.float64)
    pb = border(p, structure)
    rb = border(r, structure)
    d_pr = directed_distances(pb, rb, sampling)
    d_rp = directed_distances(rb, pb, sampling)
    out["hd95"] = float(np.percentile(np.hstack((d_pr, d_rp)), 95))
    out["asd"] = float((d_rp if asd_direction == "ref-to-pred" else d_pr).mean())
    return out


def check_vectors(folder):
    """Runs every metric-vectors/*.json case (METRICS.md §11) and compares with its expected values."""
    import glob
    import os

    failures = 0
    files = sorted(glob.glob(os.path.join(folder, "*.json")))
    for path in files:
        with open(path) as fh:
            v = json.load(fh)
        size = int(np.prod(v["shape"]))
        masks = []
        for key in ("pred", "ref"):
            m = np.zeros(size, dtype=bool)
            enc = v[key]
            if enc["encoding"] == "indices":
                m[np.asarray(enc["data"], dtype=np.int64)] = True
            else:
                for start, length in enc["data"]:
                    m[start : start + length] = True
            masks.append(m.reshape(v["shape"]))
        got = metrics(masks[0], masks[1], v["spacing"])
        expected = v.get("ssl_convention") if (got["emptyPrediction"] or got["emptyReference"]) else v["expected"]
        for k in ("dice", "jaccard", "hd95", "asd"):
            e = expected[k]
            if abs(got[k] - e) > 1e-9 + 1e-9 * abs(e):
                failures += 1
                print(f"{os.path.basename(path)} {k}: got {got[k]!r}, expected {e!r}")
    print(f"{len(files)} vectors, {failures} mismatches")
    return failures


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-vectors":
        sys.exit(1 if check_vectors(sys.argv[2]) else 0)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pred")
    ap.add_argument("ref")
    ap.add_argument("--spacing", help="comma-separated, header (x,y,z) order; default: pred's header")
    ap.add_argument("--asd-direction", default="pred-to-ref", choices=["pred-to-ref", "ref-to-pred"])
    args = ap.parse_args()
    pred, spacing = read_nifti1(args.pred)
    ref, _ = read_nifti1(args.ref)
    if pred.shape != ref.shape:
        sys.exit(f"shapes differ: {pred.shape} vs {ref.shape}")
    if args.spacing:
        spacing = [float(s) for s in args.spacing.split(",")][::-1]
    result = metrics(pred, ref, spacing, args.asd_direction)
    print(json.dumps({k: result[k] for k in ("dice", "jaccard", "hd95", "asd", "emptyPrediction", "emptyReference")}))


if __name__ == "__main__":
    main()
