// Track tile encoding: float16 conversion, zoom summaries and the zstd codec (see track_tiles.h).
#include "genomics/track_tiles.h"

#include <zstd.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

namespace ms {

namespace {

uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}
float float_of(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// zstd level 3 (its default): about 300 MB/s per core on this machine class, so compression never
// limits a writer fed by the engine; higher levels gain a few percent for several times the time.
constexpr int kZstdLevel = 3;

}  // namespace

uint16_t float_to_half(float f) {
    const uint32_t x = bits_of(f);
    const uint16_t sign = uint16_t((x >> 16) & 0x8000u);
    const uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | 0x7e00u;  // NaN (quiet); the payload is not kept
    if (a >= 0x38800000u) {                      // a normal float16 (or overflow)
        // Round to nearest even on the 13 dropped mantissa bits, then rebias 127 -> 15.
        const uint32_t r = (a + 0xfffu + ((a >> 13) & 1u) - 0x38000000u) >> 13;
        return sign | uint16_t(std::min<uint32_t>(r, 0x7c00u));
    }
    // Subnormal or zero: adding 0.5 aligns the float16 subnormal step (2^-24) with the float's
    // last mantissa bit, so the FPU's own round-to-nearest-even does the rounding.
    const float magic = float_of(126u << 23);
    return sign | uint16_t(bits_of(float_of(a) + magic) - (126u << 23));
}

float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        const float v = std::ldexp(float(mant), -24);
        return sign ? -v : v;
    }
    if (exp == 31) return float_of(sign | 0x7f800000u | (mant << 13));
    return float_of(sign | ((exp + 112u) << 23) | (mant << 13));
}

ZoomSummary summarize(const float* values, int64_t n, int zoom) {
    assert(zoom >= 1 && zoom <= kMaxZoom && n >= 0 && n <= kTilePositions);
    const int64_t bs = zoom_bin_size(zoom), nb = zoom_bins(n, zoom);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    ZoomSummary s;
    s.mean.assign(nb, nan);
    s.min.assign(nb, nan);
    s.max.assign(nb, nan);
    s.count.assign(nb, 0);
    for (int64_t b = 0; b < nb; ++b) {
        // Double sums: a 4096-position float sum loses digits the float16 mean would still show.
        double sum = 0;
        float lo = std::numeric_limits<float>::infinity(), hi = -lo;
        int count = 0;
        for (int64_t i = b * bs, e = std::min(n, (b + 1) * bs); i < e; ++i) {
            const float v = values[i];
            if (std::isnan(v)) continue;
            sum += v;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
            ++count;
        }
        if (count == 0) continue;
        s.mean[b] = float(sum / count);
        s.min[b] = lo;
        s.max[b] = hi;
        s.count[b] = uint16_t(count);
    }
    return s;
}

std::vector<ZoomSummary> summarize_zooms(const float* values, int64_t n) {
    assert(n >= 0 && n <= kTilePositions);
    // Per bin of the current zoom: exact double sum, min, max, count of non-NaN values.
    int64_t nb = zoom_bins(n, 1);
    std::vector<double> sum(size_t(nb), 0.0);
    std::vector<float> lo(size_t(nb), INFINITY), hi(size_t(nb), -INFINITY);
    std::vector<int32_t> count(size_t(nb), 0);
    for (int64_t b = 0; b < nb; ++b) {
        double s = 0;
        float mn = INFINITY, mx = -INFINITY;
        int32_t c = 0;
        for (int64_t i = b * 16, e = std::min(n, i + 16); i < e; ++i) {
            const float v = values[i];
            if (std::isnan(v)) continue;
            s += v;
            mn = std::min(mn, v);
            mx = std::max(mx, v);
            ++c;
        }
        sum[size_t(b)] = s;
        lo[size_t(b)] = mn;
        hi[size_t(b)] = mx;
        count[size_t(b)] = c;
    }
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<ZoomSummary> out;
    for (int zoom = 1;; ++zoom) {
        ZoomSummary z;
        z.mean.resize(size_t(nb));
        z.min.resize(size_t(nb));
        z.max.resize(size_t(nb));
        z.count.resize(size_t(nb));
        for (size_t b = 0; b < size_t(nb); ++b) {
            const bool any = count[b] > 0;
            z.mean[b] = any ? float(sum[b] / count[b]) : nan;
            z.min[b] = any ? lo[b] : nan;
            z.max[b] = any ? hi[b] : nan;
            z.count[b] = uint16_t(count[b]);
        }
        out.push_back(std::move(z));
        if (zoom == kMaxZoom) break;
        // Merge 16 bins into one for the next zoom, in place (bin b reads bins 16b.. which are >= b).
        const int64_t coarse = zoom_bins(n, zoom + 1);
        for (int64_t b = 0; b < coarse; ++b) {
            double s = 0;
            float mn = INFINITY, mx = -INFINITY;
            int32_t c = 0;
            for (int64_t i = b * 16, e = std::min(nb, i + 16); i < e; ++i) {
                s += sum[size_t(i)];
                mn = std::min(mn, lo[size_t(i)]);
                mx = std::max(mx, hi[size_t(i)]);
                c += count[size_t(i)];
            }
            sum[size_t(b)] = s;
            lo[size_t(b)] = mn;
            hi[size_t(b)] = mx;
            count[size_t(b)] = c;
        }
        nb = coarse;
    }
    return out;
}

struct TileCodec::Impl {
    struct CDel {
        void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
    };
    struct DDel {
        void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
    };
    std::unique_ptr<ZSTD_CCtx, CDel> cctx{ZSTD_createCCtx()};
    std::unique_ptr<ZSTD_DCtx, DDel> dctx{ZSTD_createDCtx()};
    std::vector<uint8_t> shuffled;
};

TileCodec::TileCodec() : impl_(std::make_unique<Impl>()) {}
TileCodec::~TileCodec() = default;
TileCodec::TileCodec(TileCodec&&) noexcept = default;
TileCodec& TileCodec::operator=(TileCodec&&) noexcept = default;

Result<std::vector<uint8_t>> TileCodec::compress_words(const std::vector<uint16_t>& words) {
    if (!impl_->cctx) return make_error("cannot compress a track tile: zstd could not allocate its context");
    const size_t n = words.size();
    std::vector<uint8_t>& sh = impl_->shuffled;
    sh.resize(2 * n);
    for (size_t i = 0; i < n; ++i) {
        sh[i] = uint8_t(words[i] & 0xffu);
        sh[n + i] = uint8_t(words[i] >> 8);
    }
    std::vector<uint8_t> out(ZSTD_compressBound(sh.size()));
    const size_t r = ZSTD_compressCCtx(impl_->cctx.get(), out.data(), out.size(), sh.data(), sh.size(), kZstdLevel);
    if (ZSTD_isError(r)) return make_error("cannot compress a track tile: zstd says ", ZSTD_getErrorName(r));
    out.resize(r);
    return out;
}

Result<std::vector<uint16_t>> TileCodec::decompress_words(const void* blob, size_t bytes, size_t n_words) {
    if (!impl_->dctx) return make_error("cannot decompress a track tile: zstd could not allocate its context");
    const unsigned long long content = ZSTD_getFrameContentSize(blob, bytes);
    if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN)
        return make_error("track tile is not a zstd frame (", bytes, " bytes)");
    if (content != 2 * n_words)
        return make_error("track tile holds ", content, " bytes; expected ", 2 * n_words, " (", n_words, " values)");
    std::vector<uint8_t>& sh = impl_->shuffled;
    sh.resize(2 * n_words);
    const size_t r = ZSTD_decompressDCtx(impl_->dctx.get(), sh.data(), sh.size(), blob, bytes);
    if (ZSTD_isError(r)) return make_error("track tile does not decompress: zstd says ", ZSTD_getErrorName(r));
    if (r != sh.size()) return make_error("track tile decompressed to ", r, " bytes; expected ", sh.size());
    std::vector<uint16_t> words(n_words);
    for (size_t i = 0; i < n_words; ++i) words[i] = uint16_t(sh[i] | (uint16_t(sh[n_words + i]) << 8));
    return words;
}

Result<std::vector<uint8_t>> TileCodec::encode_values(const float* values, int64_t n) {
    std::vector<uint16_t> words(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) words[size_t(i)] = float_to_half(values[i]);
    return compress_words(words);
}

Result<std::vector<uint8_t>> TileCodec::encode_summary(const ZoomSummary& s) {
    const size_t nb = s.size();
    std::vector<uint16_t> words(4 * nb);
    for (size_t b = 0; b < nb; ++b) {
        words[b] = float_to_half(s.mean[b]);
        words[nb + b] = float_to_half(s.min[b]);
        words[2 * nb + b] = float_to_half(s.max[b]);
        words[3 * nb + b] = s.count[b];
    }
    return compress_words(words);
}

Result<std::vector<float>> TileCodec::decode_values(const void* blob, size_t bytes, int64_t n) {
    std::vector<uint16_t> words;
    MS_ASSIGN(words, decompress_words(blob, bytes, size_t(n)));
    std::vector<float> v(words.size());
    for (size_t i = 0; i < words.size(); ++i) v[i] = half_to_float(words[i]);
    return v;
}

Result<ZoomSummary> TileCodec::decode_summary(const void* blob, size_t bytes, int64_t n_bins) {
    const size_t nb = size_t(n_bins);
    std::vector<uint16_t> words;
    MS_ASSIGN(words, decompress_words(blob, bytes, 4 * nb));
    ZoomSummary s;
    s.mean.resize(nb);
    s.min.resize(nb);
    s.max.resize(nb);
    s.count.resize(nb);
    for (size_t b = 0; b < nb; ++b) {
        s.mean[b] = half_to_float(words[b]);
        s.min[b] = half_to_float(words[nb + b]);
        s.max[b] = half_to_float(words[2 * nb + b]);
        s.count[b] = words[3 * nb + b];
    }
    return s;
}

}  // namespace ms
