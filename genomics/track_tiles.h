// Encoding of per-position track tiles for the results store: float16 values (NaN kept), NaN-aware
// mean/min/max summaries at coarser zooms (as bigWig zoom levels), byte-shuffled and zstd-compressed.
//
// Geometry: a tile covers kTilePositions positions of one sequence; the last tile of a sequence is
// shorter. Zoom z (0..kMaxZoom) has bins of zoom_bin_size(z) = 16^z positions; a tile at zoom z
// holds ceil(n / 16^z) bins of the same positions as the zoom-0 tile of the same index.
//
// Blob layout (before zstd): an array of uint16 words, byte-shuffled (all low bytes, then all high
// bytes) because float16 high bytes (sign, exponent) repeat far more than low bytes and zstd finds
// that only when they are adjacent.
//   zoom 0: n float16 values.
//   zoom z: for nb bins, nb float16 means, nb float16 minima, nb float16 maxima, nb uint16 counts of
//           non-NaN positions (the weights needed to merge bins into coarser ones).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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

    Result<std::vector<uint8_t>> encode_values(const float* values, int64_t n);
    Result<std::vector<uint8_t>> encode_summary(const ZoomSummary& s);
    // Decoding checks the blob against the size the caller expects from the tile's n and zoom.
    Result<std::vector<float>> decode_values(const void* blob, size_t bytes, int64_t n);
    Result<ZoomSummary> decode_summary(const void* blob, size_t bytes, int64_t n_bins);

private:
    Result<std::vector<uint8_t>> compress_words(const std::vector<uint16_t>& words);
    Result<std::vector<uint16_t>> decompress_words(const void* blob, size_t bytes, size_t n_words);
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ms
