// Encoding of per-position track tiles for the results store: values coded per track (float16, or
// linear 8/16-bit quantisation over a declared range; NaN kept), NaN-aware mean/min/max summaries at
// coarser zooms (as bigWig zoom levels), byte-shuffled and zstd-compressed.
//
// Geometry: a tile covers kTilePositions positions of one sequence; the last tile of a sequence is
// shorter. Zoom z (0..kMaxZoom) has bins of zoom_bin_size(z) = 16^z positions; a tile at zoom z
// holds ceil(n / 16^z) bins of the same positions as the zoom-0 tile of the same index.
//
// Value codings (TrackEncoding, chosen per track when it is created):
//   f16: IEEE float16, round to nearest even: relative error <= 2^-11 in the normal range. Any value.
//   q8:  code = round((v - lo) / step) with step = (hi - lo) / 254, codes 0..254, 255 = NaN. Values
//        outside [lo, hi] are clamped to it. Absolute error <= step / 2 (0.00197 for [0, 1]).
//   q16: as q8 with step = (hi - lo) / 65534, codes 0..65534, 65535 = NaN; error <= step / 2.
// Probabilities are stored as q8 by default in a job: a reader cannot tell 0.2500 from 0.2520 in a
// track view, and one byte a value is what brings a four-channel chromosome under 1.5 bytes per
// position and channel with its zoom levels (docs/formats.md).
//
// Blob layout (before zstd): the codes as byte planes: 16-bit codes (f16, q16) as all low bytes,
// then all high bytes, because high bytes (sign, exponent, leading bits) repeat far more than low
// bytes and zstd finds that only when they are adjacent; 8-bit codes as they are.
//   zoom 0: n codes.
//   zoom z: for nb bins, nb coded means, nb coded minima, nb coded maxima (each its own planes),
//           then nb uint16 counts of non-NaN positions (two planes; the weights needed to merge bins
//           into coarser ones). Summaries are computed from the stored (coded) values, so zooms agree
//           with zoom 0; a q8/q16 mean is itself quantised (error <= step / 2 more).
// An f16 tile is laid out exactly as the schema-1 tiles were, so those stay readable unchanged.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"

namespace ms {

inline constexpr int64_t kTilePositions = 65536;
inline constexpr int kMaxZoom = 3;
inline constexpr int64_t zoom_bin_size(int zoom) { return int64_t(1) << (4 * zoom); }
inline constexpr int64_t zoom_bins(int64_t n, int zoom) { return (n + zoom_bin_size(zoom) - 1) / zoom_bin_size(zoom); }

// IEEE 754 binary16, round to nearest even; NaN stays NaN, beyond ±65504 becomes ±inf.
uint16_t float_to_half(float f);
float half_to_float(uint16_t h);
// The value a float becomes after storage: the round trip through float16.
inline float round_to_half(float f) { return half_to_float(float_to_half(f)); }

enum class ValueCoding : uint8_t { f16, q8, q16 };
const char* to_string(ValueCoding c);

// How one track's values are stored. lo/hi matter for q8/q16 only.
struct TrackEncoding {
    ValueCoding coding = ValueCoding::f16;
    float lo = 0, hi = 1;

    static TrackEncoding float16() { return {}; }
    static TrackEncoding quantized8(float lo, float hi) { return {ValueCoding::q8, lo, hi}; }
    static TrackEncoding quantized16(float lo, float hi) { return {ValueCoding::q16, lo, hi}; }
    // The largest absolute error of a stored value inside [lo, hi] (q8, q16); for f16, 0 (its error
    // is relative: 2^-11 of the value).
    double max_abs_error() const;
    bool operator==(const TrackEncoding&) const = default;
};
// "f16", "q8[0,1]": how `info` and errors show an encoding.
std::string describe(const TrackEncoding& e);
// Checks a user-chosen encoding: a finite range with lo < hi for q8/q16.
Result<void> validate(const TrackEncoding& e);
// The value a float becomes after storage under an encoding.
float round_trip(const TrackEncoding& e, float v);

// Summary of a tile at one zoom: per bin, NaN-aware mean/min/max (NaN when every position is NaN)
// and the count of non-NaN positions.
struct ZoomSummary {
    std::vector<float> mean, min, max;
    std::vector<uint16_t> count;
    size_t size() const { return mean.size(); }
};
ZoomSummary summarize(const float* values, int64_t n, int zoom);
// Zooms 1..kMaxZoom at once (element z-1 is zoom z): one pass over the values, each coarser zoom
// merged from the finer one's exact sums, so the result equals summarize() at every zoom.
std::vector<ZoomSummary> summarize_zooms(const float* values, int64_t n);

// Compresses and decompresses tiles; holds zstd contexts that are reused across tiles (one codec
// per thread).
class TileCodec {
public:
    TileCodec();
    ~TileCodec();
    TileCodec(TileCodec&&) noexcept;
    TileCodec& operator=(TileCodec&&) noexcept;

    // One zoom-0 tile and its zooms 1..kMaxZoom (element z is zoom z), summaries taken from the
    // stored values.
    Result<std::vector<std::vector<uint8_t>>> encode_tile(const TrackEncoding& e, const float* values, int64_t n);
    Result<std::vector<uint8_t>> encode_values(const TrackEncoding& e, const float* values, int64_t n);
    Result<std::vector<uint8_t>> encode_summary(const TrackEncoding& e, const ZoomSummary& s);
    // Decoding checks the blob against the size the caller expects from the tile's n and zoom.
    Result<std::vector<float>> decode_values(const TrackEncoding& e, const void* blob, size_t bytes, int64_t n);
    Result<ZoomSummary> decode_summary(const TrackEncoding& e, const void* blob, size_t bytes, int64_t n_bins);

private:
    Result<std::vector<uint8_t>> compress(const std::vector<uint8_t>& planes);
    Result<const std::vector<uint8_t>*> decompress(const void* blob, size_t bytes, size_t expect_bytes);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms
